"""README names have one owner, ``tats_core.repo.files``: the snapshot's choice, the GraphQL query
and the replay derive from it, and no other module lists README names of its own."""

from __future__ import annotations

import ast
from itertools import combinations
from pathlib import Path

from tats_core.github import graphql, shapes
from tats_core.repo import files
from tats_core.repo.snapshot import TreeEntry

ROOT = Path(__file__).resolve().parent.parent
OWNER = ROOT / "tats_core" / "repo" / "files.py"


def blobs(*paths: str) -> list[TreeEntry]:
    return [TreeEntry(p, "blob", 10, "0" * 40) for p in paths]


def test_every_spelling_is_a_readme_of_one_of_the_names():
    assert {s.lower() for s in files.README_SPELLINGS} == set(files.README_NAMES)
    assert all(files.is_readme(s) for s in files.README_SPELLINGS)
    assert len(set(files.README_SPELLINGS)) == len(files.README_SPELLINGS)
    # Spellings keep the names' order, so the first one found is the preferred one.
    order = [files.README_NAMES.index(s.lower()) for s in files.README_SPELLINGS]
    assert order == sorted(order)


def test_the_graphql_query_asks_for_every_spelling():
    assert graphql.FILE_NAMES[: len(files.README_SPELLINGS)] == files.README_SPELLINGS
    variables = graphql.variables("o", "r", "HEAD", None)
    asked = {v.split(":", 1)[1] for k, v in variables.items() if k.startswith("f")}
    assert set(files.README_SPELLINGS) <= asked


def test_the_snapshot_prefers_the_earlier_name_whichever_way_it_is_spelled():
    for better, worse in combinations(files.README_NAMES, 2):
        for spelled in (better.upper(), better.capitalize(), better):
            tree = blobs("src/README.md", worse, spelled)
            assert shapes.readme_path(tree) == spelled, (better, worse)
    assert shapes.readme_path(blobs("README.adoc", "README.es.md")) == "README.adoc"
    assert shapes.readme_path(blobs("docs/README.md", "main.py")) is None


def _readme_lists(path: Path) -> list[int]:
    """Lines of literal tuples, lists or sets holding two or more README names."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            names = [
                e.value
                for e in node.elts
                if isinstance(e, ast.Constant)
                and isinstance(e.value, str)
                and files.is_readme(e.value)
            ]
            if len(names) >= 2:
                lines.append(node.lineno)
    return lines


def test_no_module_but_the_owner_lists_readme_names():
    assert _readme_lists(OWNER), "the owner's own list must be found, or this test finds nothing"
    sources = [*(ROOT / "tats_core").rglob("*.py"), *(ROOT / "tats_dev").rglob("*.py")]
    drifted = {
        str(p.relative_to(ROOT)): lines
        for p in sources
        if p != OWNER and (lines := _readme_lists(p))
    }
    assert drifted == {}
