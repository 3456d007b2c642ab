"""The layout shows the architecture: these boundaries are checked, not just drawn.

Every import counts — top-level, inside a function (lazy), and module paths written as strings
(``"worker_service.app:app_from_env"``, ``importlib.import_module("...")``) — because a boundary
that a lazy import can cross is no boundary.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_PARTY = ("tats_core", "tats_dev", "tats_ui", "worker_service")
MODULE_STRING = re.compile(r"^(?:tats_core|tats_dev|tats_ui|worker_service)(?:\.\w+)*(?::\w+)?$")

# What each part of tats_core may import from tats_core (prefix match; the part itself is always
# allowed). Only ``processing``, ``deps`` and ``cli`` put the pieces together.
EVERYTHING = {"tats_core"}
ALLOWED: dict[str, set[str]] = {
    "tats_core.statuses": set(),
    "tats_core.routes": set(),
    "tats_core.errors": {"tats_core.statuses"},  # each error class names its failure status
    "tats_core.wording": set(),
    "tats_core.retry": set(),  # one Retry-After parser and backoff policy (issue #11)
    # What the operator sees: the metrics' calls and the one logging set-up (issue #18).
    "tats_core.telemetry": set(),
    "tats_core.metrics": {"tats_core.telemetry"},
    "tats_core.logs": set(),
    "tats_core.settings": {"tats_core.errors", "tats_core.routes"},
    "tats_core.store": {"tats_core.statuses", "tats_core.errors", "tats_core.settings"},
    "tats_core.repo": {"tats_core.errors"},
    "tats_core.github": {
        "tats_core.repo",
        "tats_core.store",
        "tats_core.errors",
        "tats_core.settings",
        "tats_core.retry",
        "tats_core.wording",
        "tats_core.telemetry",
    },
    "tats_core.judging": {
        "tats_core.repo",
        "tats_core.errors",
        "tats_core.statuses",
        "tats_core.retry",
        "tats_core.wording",
        "tats_core.telemetry",
    },
    "tats_core.triage": {
        "tats_core.store",
        "tats_core.github.url",  # candidates' URLs are normalised on the way in
        "tats_core.repo.places",  # the code an evaluation cites
        "tats_core.judging.overlap",  # shared code in a job: pure detection over stored files
        "tats_core.judging.analysis",  # ... whose cap applies to a verdict
        "tats_core.judging.concerns",  # ... worded as every concern is
        "tats_core.judging.criteria",  # a job's criteria: checked and hashed as judging reads them
        "tats_core.errors",
        "tats_core.statuses",
        "tats_core.wording",
    },
    # Running submissions' tests in a sandbox: its own seam, wired in by ``processing``.
    "tats_core.testrun": {"tats_core.errors", "tats_core.statuses"},
    "tats_core.processing": EVERYTHING,
    "tats_core.deps": EVERYTHING,
    "tats_core.cli": EVERYTHING,
    "tats_core.__main__": {"tats_core.cli"},
    "tats_core": set(),  # the package's own __init__
}
NEVER_IN_CORE = ("streamlit", "fastapi", "starlette", "worker_service", "tats_ui")
# The deliberate exceptions, each with its reason.
EXCEPTIONS = {
    # `tats dev` and `tats qstash-dev`: the one place the core reaches development tools, lazily.
    ("tats_core.cli", "tats_dev.commands"),
    # `tats worker` starts the worker through an import string, so the core never imports the
    # web framework.
    ("tats_core.cli", "worker_service.serve"),
}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def references(path: Path) -> set[str]:
    """Every module a file names: imports anywhere in it, and module paths written as strings."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # `from tats_core.github import url` names tats_core.github.url
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and MODULE_STRING.match(node.value)
        ):
            found.add(node.value)
    return found


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".") or name.startswith(prefix + ":")


def _part(module: str) -> str:
    """The ALLOWED key that governs a module (the longest matching prefix)."""
    return max((key for key in ALLOWED if _under(module, key)), key=len)


def core_violations(root: Path) -> list[str]:
    problems: list[str] = []
    for path in sorted((root / "tats_core").rglob("*.py")):
        if "versions" in path.parts:
            continue  # generated migrations
        module = module_name(path, root)
        part = _part(module)
        for ref in sorted(references(path)):
            if (part, ref) in EXCEPTIONS:
                continue
            if any(_under(ref, bad) for bad in NEVER_IN_CORE) or _under(ref, "tats_dev"):
                problems.append(
                    f"{module} -> {ref} (tats_core stays free of UI, web and dev tools)"
                )
            elif _under(ref, "tats_core") and not _under(ref, part):
                allowed = ALLOWED[part]
                if allowed is not EVERYTHING and not any(_under(ref, a) for a in allowed):
                    problems.append(f"{module} -> {ref} ({part} may use {sorted(allowed)})")
    return problems


def shell_violations(root: Path) -> list[str]:
    problems: list[str] = []
    for path in sorted((root / "worker_service").rglob("*.py")):
        for ref in references(path):
            if _under(ref, "streamlit") or _under(ref, "tats_ui") or _under(ref, "tats_dev"):
                problems.append(f"{path.relative_to(root)} -> {ref}")
    pages = [root / "streamlit_app.py", *(root / "app_pages").rglob("*.py")]
    for path in [*pages, *(root / "tats_ui").rglob("*.py")]:
        for ref in references(path):
            if _under(ref, "worker_service") or _under(ref, "fastapi"):
                problems.append(f"{path.relative_to(root)} -> {ref}")
            # The demo button (shown only under `tats dev --demo`) loads the demo lazily.
            if _under(ref, "tats_dev") and ref != "tats_dev.demo.load_demo":
                problems.append(f"{path.relative_to(root)} -> {ref}")
    return problems


def test_tats_core_parts_import_only_what_their_layer_allows():
    assert core_violations(ROOT) == []


def test_the_worker_and_pages_are_shells_that_do_not_reach_into_each_other():
    assert shell_violations(ROOT) == []


def test_every_core_module_belongs_to_a_declared_part():
    for path in (ROOT / "tats_core").rglob("*.py"):
        if "versions" not in path.parts:
            assert _part(module_name(path, ROOT)) != "tats_core" or path.name == "__init__.py", path


def test_every_sub_package_maps_its_parts_in_its_docstring():
    for init in (ROOT / "tats_core").glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        if init.parent.name == "migrations":
            continue
        modules = {p.stem for p in init.parent.glob("*.py") if p.stem != "__init__"}
        missing = {m for m in modules if f"``{m}``" not in doc}
        assert not missing, f"{init.relative_to(ROOT)} does not describe {sorted(missing)}"


def _copy_core(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "tats_core", tmp_path / "tats_core")
    return tmp_path


def test_the_layering_check_catches_a_lazy_import_across_a_boundary(tmp_path):
    root = _copy_core(tmp_path)
    (root / "tats_core" / "judging" / "sneaky.py").write_text(
        "def fetch():\n    from tats_core.github.client import GitHubClient\n    return GitHubClient\n"
    )
    problems = core_violations(root)
    assert len(problems) == 1, problems
    assert problems[0].startswith(
        "tats_core.judging.sneaky -> tats_core.github.client.GitHubClient"
    )


def test_the_layering_check_catches_string_references_and_dev_tools(tmp_path):
    root = _copy_core(tmp_path)
    (root / "tats_core" / "github" / "loader.py").write_text(
        "import importlib\n"
        "JUDGE = importlib.import_module('tats_core.judging.heuristic')\n"
        "def demo():\n    import tats_dev.demo\n"
    )
    problems = core_violations(root)
    assert len(problems) == 2, problems
    assert any("tats_core.judging.heuristic" in p for p in problems)
    assert any("tats_dev.demo" in p and "dev tools" in p for p in problems)
