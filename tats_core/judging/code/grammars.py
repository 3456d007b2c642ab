"""The tree-sitter grammars: which one reads each language, and what to look for in its tree.

Each grammar ships as a wheel with its parser compiled in (nothing is fetched at run time).
A parser and its query are built once per grammar and kept (module-level cache): they hold no
state between parses. A grammar that fails to load leaves its language unread (``available``).

Per language (``SPECS``): the node types of comments and of functions (with a body), the
JavaScript-style lambdas counted only when named (``const f = () => …``), a query for spec
frameworks' test blocks (``it(…)``, ``test(…)``, ``"…" in { … }``, Ginkgo ``It``), the names
that make a function a test in a test file (``func TestX``, PHPUnit ``test*``, minitest
``test_*``), and definitions whose empty body leaves no node (Ruby).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import tree_sitter as ts


@dataclass(frozen=True)
class Spec:
    grammar: tuple[str, str]  # module, function returning the language pointer
    comments: tuple[str, ...]
    functions: tuple[str, ...]
    lambdas: tuple[str, ...] = ()  # functions only when their parent names them
    blocks: str = ""  # query for a spec framework's test blocks, captured as @unit
    test_name: re.Pattern[str] | None = None  # a function with this name in a test file is a test
    bodyless: tuple[str, ...] = ()  # definitions whose empty body has no node (Ruby)


_JS_LAMBDAS = ("arrow_function", "function_expression", "function")
JS_NAMING_PARENTS = {
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
SPECS: dict[str, Spec] = {
    "javascript": Spec(("tree_sitter_javascript", "language"), **_JS),  # type: ignore[arg-type]
    "typescript": Spec(("tree_sitter_typescript", "language_typescript"), **_JS),  # type: ignore[arg-type]
    "tsx": Spec(("tree_sitter_typescript", "language_tsx"), **_JS),  # type: ignore[arg-type]
    "java": Spec(
        ("tree_sitter_java", "language"),
        comments=("line_comment", "block_comment"),
        functions=("method_declaration",),
        test_name=re.compile(r"test[A-Z0-9_]"),
    ),
    "kotlin": Spec(
        ("tree_sitter_kotlin", "language"),
        comments=("line_comment", "block_comment"),
        functions=("function_declaration",),
        blocks="((call_expression (call_expression (identifier) @callee) (annotated_lambda)) @unit"
        f" (#any-of? @callee {_BLOCK_WORDS}))",
    ),
    "go": Spec(
        ("tree_sitter_go", "language"),
        comments=("comment",),
        functions=("function_declaration", "method_declaration"),
        test_name=re.compile(r"Test(?:[A-Z0-9_]|$)"),
        # Ginkgo: It("…", func() { Expect(…) })
        blocks="((call_expression function: (identifier) @callee arguments: (argument_list"
        ' (func_literal))) @unit (#any-of? @callee "It" "Specify" "FIt"))',
    ),
    "csharp": Spec(
        ("tree_sitter_c_sharp", "language"),
        comments=("comment",),
        functions=("method_declaration", "local_function_statement"),
    ),
    "ruby": Spec(
        ("tree_sitter_ruby", "language"),
        comments=("comment",),
        functions=("method", "singleton_method"),
        blocks="((call !receiver method: (identifier) @callee block: (_)) @unit"
        f" (#any-of? @callee {_BLOCK_WORDS}))",
        test_name=re.compile(r"test_"),
        bodyless=("method", "singleton_method"),
    ),
    "php": Spec(
        ("tree_sitter_php", "language_php"),
        comments=("comment",),
        functions=("function_definition", "method_declaration"),
        blocks="((function_call_expression function: (name) @callee) @unit"
        f" (#any-of? @callee {_BLOCK_WORDS}))",
        test_name=re.compile(r"test"),
    ),
    "scala": Spec(
        ("tree_sitter_scala", "language"),
        comments=("comment", "block_comment"),
        functions=("function_definition",),
        blocks="((call_expression function: (call_expression function: (identifier) @callee))"
        f" @unit (#any-of? @callee {_BLOCK_WORDS}))"
        ' ((infix_expression operator: (identifier) @in right: (block)) @unit (#eq? @in "in"))',
    ),
}
_KOTLIN_BLOCK_COMMENT = "multiline_comment"  # older grammar releases' name for block_comment


def available(language: str) -> bool:
    """Whether this language's grammar loaded (otherwise its files are only counted)."""
    return tools(language) is not None


@cache
def tools(language: str) -> tuple[ts.Parser, ts.Query] | None:
    """The language's parser and its one query: @comment, @unit (functions), @block (tests)."""
    spec = SPECS.get(language)
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
