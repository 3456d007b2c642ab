"""The layout shows the architecture: these boundaries are checked, not just drawn."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_packages(path: Path) -> set[str]:
    """Top-level packages a module imports anywhere (functions included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_the_core_imports_no_ui_web_framework_or_shell():
    forbidden = {"streamlit", "fastapi", "starlette", "worker_service", "tats_ui"}
    for path in modules("tats_core"):
        assert not imported_packages(path) & forbidden, path.relative_to(ROOT)


def test_development_tools_stay_off_the_production_path():
    allowed = {"tats_core/cli.py", "tats_core/devstack.py"}  # the dev commands, imported lazily
    for path in [*modules("tats_core"), *modules("worker_service")]:
        if str(path.relative_to(ROOT)) not in allowed:
            assert "tats_dev" not in imported_packages(path), path.relative_to(ROOT)


def test_the_worker_and_pages_are_shells_that_do_not_reach_into_each_other():
    for path in modules("worker_service"):
        assert not imported_packages(path) & {"streamlit", "tats_ui"}, path
    for path in [ROOT / "streamlit_app.py", *modules("pages"), *modules("tats_ui")]:
        assert not imported_packages(path) & {"worker_service", "fastapi"}, path
