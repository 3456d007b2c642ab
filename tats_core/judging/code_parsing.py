"""Finding functions and test cases in source text with tree-sitter grammars.

Each language's grammar ships as a wheel with its parser compiled in (nothing is fetched at run
time). A parser is built once per grammar and kept: they are stateless between parses. Tree-sitter
never raises on bad input; it marks broken regions as errors and parses the rest, so a file with
a syntax error still yields the functions around it.

What counts (per language, in ``_SPECS``):
- a *function* is a named definition with a body: functions, methods, and in JavaScript and
  TypeScript the arrow functions and function expressions given a name (``const f = () => …``,
  ``handle = () => …`` in a class, ``{ k: function () … }``); anonymous callbacks are not counted;
- a *test case*, in a test file only, is a method marked as a test (``@Test``, ``[Fact]``,
  ``#[Test]``, a ``/** @test */`` docblock) or named like one (``func TestX``, PHPUnit ``test*``,
  minitest ``test_*``), or a test block of a spec framework (``it``/``test`` in Jest, Mocha,
  Vitest, RSpec, Pest, ScalaTest, Kotest, and ScalaTest's ``"…" in { … }``).
"""

from __future__ import annotations

import importlib
import re
import time
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import tree_sitter as ts


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


@dataclass(frozen=True)
class _Spec:
    grammar: tuple[str, str]  # module, function returning the language pointer
    comments: tuple[str, ...]
    functions: tuple[str, ...]
    lambdas: tuple[str, ...] = ()  # functions only when their parent names them
    blocks: str = ""  # query for a spec framework's test blocks, captured as @unit
    test_name: re.Pattern[str] | None = None  # a function with this name in a test file is a test
    bodyless: tuple[str, ...] = ()  # definitions whose empty body has no node (Ruby)


_JS_LAMBDAS = ("arrow_function", "function_expression", "function")
_JS_NAMING_PARENTS = {
    "variable_declarator",
    "public_field_definition",
    "field_definition",
    "pair",
    "assignment_expression",
}
_BLOCK_WORDS = (
    '"it" "test" "specify" "scenario" "Scenario" "example" "xit" "xtest" "fit" "should" "property"'
)
_JS = {
    "comments": ("comment",),
    "functions": ("function_declaration", "generator_function_declaration", "method_definition"),
    "lambdas": _JS_LAMBDAS,
    # it(...), test(...), and it.only / test.skip(...), but not test.describe or test.beforeEach
    "blocks": f"((call_expression function: (identifier) @callee) @unit"
    f" (#any-of? @callee {_BLOCK_WORDS}))"
    "((call_expression function: (member_expression object: (identifier) @callee"
    " property: (property_identifier) @modifier)) @unit"
    f' (#any-of? @callee {_BLOCK_WORDS}) (#any-of? @modifier "only" "skip" "concurrent" "failing"))',
}
_SPECS: dict[str, _Spec] = {
    "javascript": _Spec(("tree_sitter_javascript", "language"), **_JS),  # type: ignore[arg-type]
    "typescript": _Spec(("tree_sitter_typescript", "language_typescript"), **_JS),  # type: ignore[arg-type]
    "tsx": _Spec(("tree_sitter_typescript", "language_tsx"), **_JS),  # type: ignore[arg-type]
    "java": _Spec(
        ("tree_sitter_java", "language"),
        comments=("line_comment", "block_comment"),
        functions=("method_declaration",),
        test_name=re.compile(r"test[A-Z0-9_]"),
    ),
    "kotlin": _Spec(
        ("tree_sitter_kotlin", "language"),
        comments=("line_comment", "block_comment"),
        functions=("function_declaration",),
        blocks="((call_expression (call_expression (identifier) @callee) (annotated_lambda)) @unit"
        f" (#any-of? @callee {_BLOCK_WORDS}))",
    ),
    "go": _Spec(
        ("tree_sitter_go", "language"),
        comments=("comment",),
        functions=("function_declaration", "method_declaration"),
        test_name=re.compile(r"Test(?:[A-Z0-9_]|$)"),
        # Ginkgo: It("…", func() { Expect(…) })
        blocks="((call_expression function: (identifier) @callee arguments: (argument_list"
        ' (func_literal))) @unit (#any-of? @callee "It" "Specify" "FIt"))',
    ),
    "csharp": _Spec(
        ("tree_sitter_c_sharp", "language"),
        comments=("comment",),
        functions=("method_declaration", "local_function_statement"),
    ),
    "ruby": _Spec(
        ("tree_sitter_ruby", "language"),
        comments=("comment",),
        functions=("method", "singleton_method"),
        blocks="((call !receiver method: (identifier) @callee block: (_)) @unit"
        f" (#any-of? @callee {_BLOCK_WORDS}))",
        test_name=re.compile(r"test_"),
        bodyless=("method", "singleton_method"),
    ),
    "php": _Spec(
        ("tree_sitter_php", "language_php"),
        comments=("comment",),
        functions=("function_definition", "method_declaration"),
        blocks="((function_call_expression function: (name) @callee) @unit"
        f" (#any-of? @callee {_BLOCK_WORDS}))",
        test_name=re.compile(r"test"),
    ),
    "scala": _Spec(
        ("tree_sitter_scala", "language"),
        comments=("comment", "block_comment"),
        functions=("function_definition",),
        blocks="((call_expression function: (call_expression function: (identifier) @callee))"
        f" @unit (#any-of? @callee {_BLOCK_WORDS}))"
        ' ((infix_expression operator: (identifier) @in right: (block)) @unit (#eq? @in "in"))',
    ),
}
_KOTLIN_BLOCK_COMMENT = "multiline_comment"  # older grammar releases' name for block_comment

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


def available(language: str) -> bool:
    """Whether this language's grammar loaded (otherwise its files are only counted)."""
    return _tools(language) is not None


def parse_units(language: str, text: str, is_test: bool) -> ParsedFile | None:
    """Functions (non-test files) or test cases (test files) of one file; None if unparsable."""
    tools = _tools(language)
    data = text.encode("utf-8", "replace")
    if tools is None:
        return None
    parser, query = tools
    spec = _SPECS[language]
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


def _unit(spec: _Spec, node: ts.Node, source: _Source, is_test: bool) -> CodeUnit | None:
    kind = node.type
    if kind in spec.lambdas:
        parent = node.parent
        if parent is None or parent.type not in _JS_NAMING_PARENTS:
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


@cache
def _tools(language: str) -> tuple[ts.Parser, ts.Query] | None:
    """The language's parser and its one query: @comment, @unit (functions), @block (tests)."""
    spec = _SPECS.get(language)
    if spec is None:
        return None
    try:
        module = importlib.import_module(spec.grammar[0])
        factory: Callable[[], object] = getattr(module, spec.grammar[1])
        grammar = ts.Language(factory())
        comment_types = [t for t in spec.comments if _has_type(grammar, t)]
        if language == "kotlin" and _has_type(grammar, _KOTLIN_BLOCK_COMMENT):
            comment_types.append(_KOTLIN_BLOCK_COMMENT)
        unit_types = [t for t in (*spec.functions, *spec.lambdas) if _has_type(grammar, t)]
        source = _alternatives(comment_types, "comment") + _alternatives(unit_types, "unit")
        source += spec.blocks.replace("@unit", "@block")
        return ts.Parser(grammar), ts.Query(grammar, source)
    except (ImportError, AttributeError, ValueError, TypeError, ts.QueryError):
        return None


def _has_type(grammar: ts.Language, name: str) -> bool:
    return grammar.id_for_node_kind(name, True) is not None


def _alternatives(types: list[str], capture: str) -> str:
    return "[" + " ".join(f"({t})" for t in types) + f"] @{capture}\n"
