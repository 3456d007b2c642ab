"""Finding functions and test cases in source text with tree-sitter (grammars: ``grammars``).

Tree-sitter never raises on bad input; it marks broken regions as errors and parses the rest, so
a file with a syntax error still yields the functions around it. Junk that would make it slow
is cut short: a file is read up to its first ``MAX_PARSE_BYTES``, a parse that runs past
``PARSE_BUDGET_SECONDS`` is abandoned, and a tree with a huge error node (on which queries go
quadratic) is left unread; ``parse_units`` then returns None.

What counts:
- a *function* is a named definition with a body: functions, methods, and in JavaScript and
  TypeScript the arrow functions and function expressions given a name (``const f = () => …``,
  ``handle = () => …`` in a class, ``{ k: function () … }``); anonymous callbacks are not counted;
- a *test case*, in a test file only, is a method marked as a test (``@Test``, ``[Fact]``,
  ``#[Test]``, a ``/** @test */`` docblock) or named like one (``func TestX``, PHPUnit ``test*``,
  minitest ``test_*``), or a test block of a spec framework (``it``/``test`` in Jest, Mocha,
  Vitest, RSpec, Pest, ScalaTest, Kotest, and ScalaTest's ``"…" in { … }``).
"""

from __future__ import annotations

import re
import time
from bisect import bisect_left
from dataclasses import dataclass, field

import tree_sitter as ts

from tats_core.judging.code.grammars import JS_NAMING_PARENTS, SPECS, Spec, tools


@dataclass(frozen=True)
class CodeUnit:
    """One function or test case: where it starts and what its body says (comments apart)."""

    kind: str  # "function" | "test"
    name: str
    line: int  # 1-based
    body: str  # the body's text with comments removed
    comments: str  # the comments inside the definition, joined


@dataclass(frozen=True)
class ParsedFile:
    units: list[CodeUnit]
    code_lines: int  # non-blank lines once comments are removed


_TEST_MARK = re.compile(
    r"@(?:Test|ParameterizedTest|RepeatedTest|TestFactory|TestTemplate|Property)\b"
    r"|\[\s*(?:Fact|Theory|Test|TestMethod|DataTestMethod|TestCase|TestCaseSource)\b"
    r"|#\[\s*Test\b"
)
_BODY_TYPES = {
    "block",
    "statement_block",
    "compound_statement",
    "body_statement",
    "function_body",
    "arrow_expression_clause",
}
_NAME_TYPES = {
    "identifier",
    "property_identifier",
    "field_identifier",
    "simple_identifier",
    "name",
    "constant",
}
_CALLABLE_ARGS = {
    "arrow_function",
    "function_expression",
    "function",
    "anonymous_function",
    "anonymous_function_creation_expression",
    "block",
    "do_block",
    "lambda_literal",
    "annotated_lambda",
    "func_literal",
}
MAX_PARSE_BYTES = 128_000  # parse at most this much of one file (its head)
PARSE_BUDGET_SECONDS = 0.5
_MAX_ERROR_WIDTH = 1_000
_MAX_ERROR_VISITS = 200_000


def parse_units(language: str, text: str, is_test: bool) -> ParsedFile | None:
    """Functions (non-test files) or test cases (test files) of one file; None if unparsable."""
    loaded = tools(language)
    data = text.encode("utf-8", "replace")
    if loaded is None:
        return None
    parser, query = loaded
    spec = SPECS[language]
    if len(data) > MAX_PARSE_BYTES:  # the head of a huge file, cut at a line break
        data = data[: data.rfind(b"\n", 0, MAX_PARSE_BYTES) + 1]
    tree = _parse_within_budget(parser, data)
    if tree is None:
        return None
    root = tree.root_node
    if root.has_error and _has_wide_error(root):
        return None
    captured = ts.QueryCursor(query).captures(root)  # one walk of the tree, in C
    comments = sorted((n.start_byte, n.end_byte) for n in captured.get("comment", []))
    source = _Source(data, comments)
    units: list[CodeUnit] = []
    for node in captured.get("unit", []):
        unit = _unit(spec, node, source, is_test)
        if unit is not None:
            units.append(unit)
    if is_test:
        for node in captured.get("block", []):
            unit = _spec_block(node, source)
            if unit is not None:
                units.append(unit)
    units.sort(key=lambda u: u.line)
    return ParsedFile(units, source.code_lines())


@dataclass
class _Source:
    data: bytes
    comments: list[tuple[int, int]]
    starts: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.starts = [start for start, _ in self.comments]

    def _inside(self, start: int, end: int) -> list[tuple[int, int]]:
        i = bisect_left(self.starts, start)
        found = []
        while i < len(self.comments) and self.comments[i][0] < end:
            found.append(self.comments[i])
            i += 1
        return found

    def code(self, start: int, end: int) -> str:
        """Text of [start, end) with its comments cut out."""
        parts, at = [], start
        for c_start, c_end in self._inside(start, end):
            parts.append(self.data[at:c_start])
            at = max(at, c_end)
        parts.append(self.data[at:end])
        return b"\n".join(parts).decode("utf-8", "replace")

    def comment_text(self, start: int, end: int) -> str:
        return "\n".join(
            self.data[a:b].decode("utf-8", "replace") for a, b in self._inside(start, end)
        )

    def code_lines(self) -> int:
        parts, at = [], 0
        for start, end in self.comments:
            parts.append(self.data[at:start])
            parts.append(b"\n" * self.data.count(b"\n", start, end))  # keep the line breaks
            at = max(at, end)
        parts.append(self.data[at:])
        return sum(1 for line in b"".join(parts).splitlines() if line.strip())


def _unit(spec: Spec, node: ts.Node, source: _Source, is_test: bool) -> CodeUnit | None:
    kind = node.type
    if kind in spec.lambdas:
        parent = node.parent
        if parent is None or parent.type not in JS_NAMING_PARENTS:
            return None
        name = _name(parent) or "(anonymous)"
    else:
        name = _name(node) or "(anonymous)"
    body = _body(node)
    if body is None and kind not in spec.bodyless:
        return None  # a declaration without a body: abstract, interface, overload signature
    if is_test:
        head_end = body.start_byte if body is not None else node.end_byte
        head = source.data[node.start_byte : head_end].decode("utf-8", "replace")
        before = node.prev_named_sibling
        doc = source.data[before.start_byte : before.end_byte] if before is not None else b""
        marked = bool(_TEST_MARK.search(head)) or (b"@test" in doc and b"/**" in doc)
        named = spec.test_name is not None and spec.test_name.match(name) is not None
        if not (marked or named):
            return None  # a helper or fixture in a test file
        if body is not None and b"RunSpecs(" in source.data[body.start_byte : body.end_byte]:
            return None  # Go: the Ginkgo suite's runner; its specs are the It blocks
    inner = body.start_byte if body is not None else _after_signature(node)
    body_text = source.code(body.start_byte, body.end_byte) if body is not None else ""
    return CodeUnit(
        kind="test" if is_test else "function",
        name=name,
        line=node.start_point[0] + 1,
        body=body_text,
        comments=source.comment_text(inner, node.end_byte),
    )


def _parse_within_budget(parser: ts.Parser, data: bytes) -> ts.Tree | None:
    """Parse, giving up after PARSE_BUDGET_SECONDS: error recovery on junk such as ``[[[[…``
    can take tree-sitter tens of seconds. Only the chunked form of ``parse`` reports progress."""
    deadline = time.perf_counter() + PARSE_BUDGET_SECONDS

    def read(offset: int, _point: ts.Point) -> bytes:
        return data[offset : offset + 65_536]

    def over_budget(_offset: int, _has_error: bool) -> bool:
        return time.perf_counter() > deadline

    try:
        tree = parser.parse(read, progress_callback=over_budget)
    except ValueError:  # "Parsing failed": the budget ran out
        parser.reset()
        return None
    # A tree read through a callback fetches node text through it again (slow, in queries'
    # predicates); reparsing the bytes with the tree as the old one is near free and keeps them.
    return parser.parse(data, old_tree=tree)


def _has_wide_error(root: ts.Node) -> bool:
    """An error node with thousands of children (``[[[[…``), on which queries go quadratic.

    Follows only the branches that contain an error, so a well-formed file costs nothing and a
    file with one typo little; gives up (True) on a tree too tangled to check cheaply.
    """
    stack, visited = [root], 0
    while stack:
        node = stack.pop()
        if node.type == "ERROR" and node.child_count > _MAX_ERROR_WIDTH:
            return True
        visited += node.child_count
        if visited > _MAX_ERROR_VISITS:
            return True
        stack.extend(child for child in node.children if child.has_error)
    return False


def _spec_block(node: ts.Node, source: _Source) -> CodeUnit | None:
    """``it("…", () => {…})``, ``test("…") {…}``, ``"…" should "…" in {…}``: a test case."""
    block: ts.Node | None = None
    if node.type == "infix_expression":  # ScalaTest: <description> in { … }
        operator, right = node.child_by_field_name("operator"), node.child_by_field_name("right")
        if operator is None or operator.text != b"in" or right is None:
            return None
        if right.type not in ("block", "lambda_expression"):
            return None
        block, name = right, _snippet(node.child_by_field_name("left"))
    else:
        callee = node.child_by_field_name("function") or node.child_by_field_name("method")
        if callee is None and node.named_child_count:
            callee = node.named_children[0]  # Kotlin names no fields
        if callee is None:
            return None
        if callee.type == "call_expression":  # test("…") { … } (Scala, Kotlin)
            inner = callee.child_by_field_name("function") or (
                callee.named_children[0] if callee.named_child_count else None
            )
            word = inner.text if inner is not None else None
        elif callee.type == "member_expression":  # it.only, test.skip
            obj = callee.child_by_field_name("object")
            word = obj.text if obj is not None else None
        else:
            word = callee.text
        if word is None:
            return None
        block = _callable_argument(node)
        name = word.decode("utf-8", "replace")
    if block is None:
        return None
    body = block.child_by_field_name("body") or block
    return CodeUnit(
        kind="test",
        name=name,
        line=node.start_point[0] + 1,
        body=source.code(body.start_byte, body.end_byte),
        comments=source.comment_text(body.start_byte, body.end_byte),
    )


def _callable_argument(node: ts.Node) -> ts.Node | None:
    """The last function-like argument of a call (the test's body)."""
    candidates: list[ts.Node] = []
    for child in node.named_children:
        if child.type in _CALLABLE_ARGS:
            candidates.append(child)
        elif child.type in ("arguments", "argument_list", "argument", "value_arguments"):
            for arg in child.named_children:
                inner = (
                    arg.named_children[0]
                    if arg.type == "argument" and arg.named_child_count
                    else arg
                )
                if inner.type in _CALLABLE_ARGS:
                    candidates.append(inner)
    if not candidates:
        return None
    found = candidates[-1]
    if found.type == "annotated_lambda" and found.named_child_count:
        return found.named_children[-1]
    return found


def _body(node: ts.Node) -> ts.Node | None:
    body = node.child_by_field_name("body")
    if body is not None:
        return body
    for child in node.named_children:
        if child.type in _BODY_TYPES:
            return child
    return None


def _name(node: ts.Node) -> str | None:
    found = node.child_by_field_name("name")
    if found is None:
        found = next((c for c in node.named_children if c.type in _NAME_TYPES), None)
    if found is None:
        return None
    return _snippet(found)


def _after_signature(node: ts.Node) -> int:
    params = node.child_by_field_name("parameters")
    name = node.child_by_field_name("name")
    anchor = params or name
    return anchor.end_byte if anchor is not None else node.start_byte


def _snippet(node: ts.Node | None, limit: int = 60) -> str:
    if node is None or node.text is None:
        return "(anonymous)"
    text = " ".join(node.text.decode("utf-8", "replace").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
