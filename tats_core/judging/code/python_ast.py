"""Finding functions and test cases in Python source with the standard library's ``ast``.

Same output as ``parsing`` (``ParsedFile`` of ``CodeUnit``). ``ast`` refuses a whole file on
one syntax error (Python 2 prints, a half-written edit), so such a file falls back to an
indentation reading: a ``def`` line and the lines indented under it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from tats_core.judging.code.parsing import MAX_PARSE_BYTES, CodeUnit, ParsedFile

_COMMENT = re.compile(r"(?:^|(?<=\s))#.*$")
_DEF = re.compile(r"^(?P<indent>[ \t]*)(?:async[ \t]+)?def[ \t]+(?P<name>\w+)")


def parse_python(text: str, is_test: bool) -> tuple[ParsedFile, bool]:
    """The file's units and whether ``ast`` read it (False: the indentation fallback did)."""
    if len(text) > MAX_PARSE_BYTES:  # the head of a huge file, cut at a line break
        text = text[: text.rfind("\n", 0, MAX_PARSE_BYTES) + 1]
    lines = text.splitlines()
    code_lines = sum(1 for line in lines if line.strip() and not line.lstrip().startswith("#"))
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ParsedFile(_by_indentation(lines, is_test), code_lines), False
    units = []
    definitions = _definitions(tree)
    interfaces = _interface_methods(definitions)
    for node in definitions:
        if isinstance(node, ast.ClassDef):
            continue
        decorators = {_decorator_name(d) for d in node.decorator_list}
        if is_test and (not node.name.startswith("test") or "fixture" in decorators):
            continue  # helpers and pytest fixtures (even one named test_…) are not test cases
        statements = node.body
        if (
            statements
            and isinstance(statements[0], ast.Expr)
            and isinstance(statements[0].value, ast.Constant)
            and isinstance(statements[0].value.value, str)
        ):
            statements = statements[1:]  # the docstring documents; it does nothing
        if not is_test and _is_declaration(node, statements, decorators, interfaces):
            continue
        body = _segment(lines, statements) if statements else ""
        end = node.end_lineno or node.lineno
        comments = "\n".join(_comments(lines[node.lineno - 1 : end]))
        units.append(
            CodeUnit(
                kind="test" if is_test else "function",
                name=node.name,
                line=node.lineno,
                body=body,
                comments=comments,
            )
        )
    units.sort(key=lambda u: u.line)
    return ParsedFile(units, code_lines), True


_ABSTRACT = {"abstractmethod", "overload", "abstractproperty"}
_INTERFACE_BASES = {"Protocol", "ABC", "Interface"}


def _definitions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]:
    """Every def and class, nested ones included, found through statements only: a walk of
    every expression node would cost seconds on a long file of tiny statements."""
    found: list[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] = []
    pending: list[list[ast.stmt]] = [tree.body]
    while pending:
        for statement in pending.pop():
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                found.append(statement)
            for name in ("body", "orelse", "finalbody"):
                block = getattr(statement, name, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                    pending.append(block)
            for part in [*getattr(statement, "handlers", []), *getattr(statement, "cases", [])]:
                pending.append(part.body)
    return found


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _interface_methods(definitions: Sequence[ast.stmt]) -> set[int]:
    """Methods of Protocol/ABC classes: signatures, like a Java interface's."""
    found: set[int] = set()
    for node in definitions:
        if isinstance(node, ast.ClassDef):
            bases = {_decorator_name(b) for b in node.bases}
            bases |= {_decorator_name(k.value) for k in node.keywords}  # metaclass=ABCMeta
            if bases & (_INTERFACE_BASES | {"ABCMeta"}):
                found.update(id(child) for child in node.body)
    return found


def _is_declaration(
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    statements: list[ast.stmt],
    decorators: set[str],
    interfaces: set[int],
) -> bool:
    """An abstract method, an overload, or a ``...`` body that a decorator implements."""
    if decorators & _ABSTRACT or id(node) in interfaces:
        return True
    only_ellipsis = (
        len(statements) == 1
        and isinstance(statements[0], ast.Expr)
        and isinstance(statements[0].value, ast.Constant)
        and statements[0].value.value is Ellipsis
    )
    return bool(decorators) and (only_ellipsis or not statements)


def _segment(lines: list[str], statements: list[ast.stmt]) -> str:
    """Source of the statements, comments removed (ast columns count UTF-8 bytes)."""
    first, last = statements[0], statements[-1]
    end_line = last.end_lineno or last.lineno
    chunk = lines[first.lineno - 1 : end_line]
    if not chunk:
        return ""
    head = chunk[0].encode("utf-8")[first.col_offset :].decode("utf-8", "replace")
    if len(chunk) == 1 and last.end_col_offset is not None:
        tail_bytes = chunk[0].encode("utf-8")[first.col_offset : last.end_col_offset]
        return _COMMENT.sub("", tail_bytes.decode("utf-8", "replace"))
    chunk = [head, *chunk[1:]]
    return "\n".join(_COMMENT.sub("", line) for line in chunk)


def _comments(lines: list[str]) -> list[str]:
    return [m.group(0) for line in lines if (m := _COMMENT.search(line))]


def _by_indentation(lines: list[str], is_test: bool) -> list[CodeUnit]:
    units = []
    for i, line in enumerate(lines):
        match = _DEF.match(line)
        if match is None or (is_test and not match.group("name").startswith("test")):
            continue
        indent = len(match.group("indent").expandtabs())
        header = _COMMENT.sub("", line).rstrip()
        body_lines = [] if header.endswith(":") else [header.rsplit(":", 1)[-1]]  # def f(): pass
        for following in lines[i + 1 :]:
            expanded = following.expandtabs()
            if expanded.strip() and len(expanded) - len(expanded.lstrip()) <= indent:
                break
            body_lines.append(following)
        units.append(
            CodeUnit(
                kind="test" if is_test else "function",
                name=match.group("name"),
                line=i + 1,
                body="\n".join(_COMMENT.sub("", b) for b in body_lines),
                comments="\n".join(_comments(body_lines)),
            )
        )
    return units
