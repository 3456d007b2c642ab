"""The README's configuration table is the settings' documentation: it must list every variable
``Settings`` reads and nothing else (datasette's ``test_docs.py`` does the same), and product code
reads the environment only through ``Settings``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tats_core.settings import setting_names

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("tats_core", "worker_service", "tats_ui", "app_pages", "streamlit_app.py")
SETTING_PREFIXES = ("TATS_", "QSTASH_", "GITHUB_", "COHERE_", "CO_API", "DATABASE_URL")
ROW = re.compile(r"^\| `([A-Z_]+)`(?: \(or `([A-Z_]+)`\))?(?:, `([A-Z_]+)`)? \|")


def _documented() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if match := ROW.match(line):
            names.update(n for n in match.groups() if n)
    return names


def test_the_readme_documents_every_setting_and_no_other():
    documented, read = _documented(), setting_names()
    assert documented, "no configuration table found in the README"
    assert read - documented == set(), "settings the README does not document"
    assert documented - read == set(), "documented variables that Settings does not read"


def _environment_reads(path: Path) -> list[str]:
    """``os.environ[...]``, ``os.environ.get(...)`` and ``os.getenv(...)`` of a setting's name."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call | ast.Subscript):
            continue
        target = node.func if isinstance(node, ast.Call) else node.value
        text = ast.unparse(target)
        if text not in ("os.environ.get", "os.getenv", "os.environ"):
            continue
        args = node.args if isinstance(node, ast.Call) else [node.slice]
        for arg in args[:1]:
            if isinstance(arg, ast.Constant) and str(arg.value).startswith(SETTING_PREFIXES):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {arg.value}")
    return found


def test_product_code_reads_settings_only_through_settings():
    reads = []
    for part in PRODUCT:
        paths = [ROOT / part] if part.endswith(".py") else sorted((ROOT / part).rglob("*.py"))
        for path in paths:
            reads += _environment_reads(path)
    assert reads == []
