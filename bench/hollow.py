"""Make a hollowed copy of a fixture repository: same paths, commits and README, no real work.

Every function body in the candidate's source files becomes a placeholder (``// TODO`` and a
"not implemented" throw where the language needs a return), and every test body asserts only a
literal (``expect(true).toBe(true)``, ``assertTrue(true)``). Blob shas and sizes in ``tree.json``
are recomputed so the copy is a consistent repository for the GitHub replay. This is the case
issue #10 describes: an envelope that looks strong around code that does nothing.

    .venv/bin/python bench/hollow.py FIXTURE_DIR OUT_DIR   # writes OUT_DIR/hollow-copy__<name>
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tree_sitter_go
import tree_sitter_java
import tree_sitter_javascript
import tree_sitter_typescript
from tree_sitter import Language, Node, Parser

from tats_core.judging.code.reading import looks_like_test

OWNER = "hollow-copy"


@dataclass(frozen=True)
class Hollowing:
    language: Callable[[], Any]
    functions: frozenset[str]
    stub: str
    hollow_test: str


_JS_FUNCTIONS = frozenset(
    {"function_declaration", "method_definition", "arrow_function", "function_expression",
     "function", "generator_function_declaration"}
)  # fmt: skip
_TS = Hollowing(
    tree_sitter_typescript.language_typescript,
    _JS_FUNCTIONS,
    "{\n  // TODO\n  throw new Error('Not implemented');\n}",
    "{\n  expect(true).toBe(true);\n}",
)
_TSX = Hollowing(tree_sitter_typescript.language_tsx, _TS.functions, _TS.stub, _TS.hollow_test)
_JS = Hollowing(tree_sitter_javascript.language, _JS_FUNCTIONS, _TS.stub, _TS.hollow_test)
_JAVA = Hollowing(
    tree_sitter_java.language,
    frozenset({"method_declaration", "constructor_declaration"}),
    "{\n        // TODO\n        throw new UnsupportedOperationException();\n    }",
    "{\n        assertTrue(true);\n    }",
)
_GO = Hollowing(
    tree_sitter_go.language,
    frozenset({"function_declaration", "method_declaration", "func_literal"}),
    '{\n\t// TODO\n\tpanic("not implemented")\n}',
    "{\n\tassert.True(t, true)\n}",
)
BY_EXTENSION = {
    ".ts": _TS, ".tsx": _TSX, ".js": _JS, ".jsx": _JS, ".mjs": _JS, ".java": _JAVA, ".go": _GO,
}  # fmt: skip


def _bodies(node: Node, functions: frozenset[str], innermost: bool) -> tuple[list[Node], bool]:
    """Function bodies to replace under ``node``, and whether the subtree holds a function.
    Source files: outermost bodies (a method's callbacks go with it). Tests: innermost ones (the
    ``it`` callback, not the ``describe`` that holds it)."""
    found: list[Node] = []
    holds = False
    for child in node.children:
        body = child.child_by_field_name("body") if child.type in functions else None
        if body is None:
            inner, child_holds = _bodies(child, functions, innermost)
            found += inner
            holds = holds or child_holds
            continue
        holds = True
        if not innermost:
            found.append(body)
            continue
        inner, nested = _bodies(body, functions, innermost)
        found += inner if nested else [body]
    return found, holds


def hollow_text(path: str, text: str) -> str:
    """The file with every function (or test) body replaced; other files unchanged."""
    suffix = Path(path).suffix.lower()
    how = BY_EXTENSION.get(suffix)
    if how is None:
        return text
    data = text.encode("utf-8")
    tree = Parser(Language(how.language())).parse(data)
    is_test = looks_like_test(path)
    bodies, _ = _bodies(tree.root_node, how.functions, innermost=is_test)
    replacement = (how.hollow_test if is_test else how.stub).encode()
    for body in sorted(bodies, key=lambda n: n.start_byte, reverse=True):
        data = data[: body.start_byte] + replacement + data[body.end_byte :]
    return data.decode("utf-8")


def git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()


def hollow_copy(fixture: Path, out_dir: Path) -> tuple[Path, int]:
    """Write the hollowed copy under ``out_dir``; returns its folder and how many files changed."""
    # The original owner stays in the name: two fixtures may share a repository name.
    name = fixture.name.replace("__", "-", 1)
    target = out_dir / f"{OWNER}__{name}"
    shutil.copytree(fixture, target, dirs_exist_ok=True)
    tree = json.loads((target / "tree.json").read_text())
    changed = 0
    for entry in tree["tree"]:
        blob = target / "blobs" / str(entry.get("sha"))
        if entry["type"] != "blob" or not blob.is_file():
            continue
        text = blob.read_text(encoding="utf-8", errors="replace")
        hollowed = hollow_text(entry["path"], text)
        if hollowed == text:
            continue
        data = hollowed.encode("utf-8")
        entry["sha"], entry["size"] = git_blob_sha(data), len(data)
        (target / "blobs" / entry["sha"]).write_bytes(data)
        changed += 1
    (target / "tree.json").write_text(json.dumps(tree))
    repo = json.loads((target / "repo.json").read_text())
    repo["full_name"] = f"{OWNER}/{name}"
    repo.setdefault("owner", {})["login"] = OWNER
    (target / "repo.json").write_text(json.dumps(repo))
    return target, changed


if __name__ == "__main__":
    folder, count = hollow_copy(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{folder}: {count} files hollowed")
