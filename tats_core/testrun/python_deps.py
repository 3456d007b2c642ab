"""A Python project's dependencies, read without running any of its code, registry-only.

Read from ``*requirements*.txt`` (and ``requirements/*.txt``, following ``-r``),
``pyproject.toml`` (PEP 621 dependencies, test/dev extras and dependency groups; Poetry),
``setup.cfg``, ``setup.py`` (literal lists only: it is never run) and ``Pipfile``.

Hygiene, because installing must reach nothing but the registry: a dependency named by URL,
VCS or path is *refused* (the run is not made, and the note says which); requirement-file
options (``--index-url``, ``--extra-index-url``, ``-f``, ``--trusted-host``, ...) and per-line
options (``--hash``) are *dropped* and said so; the project itself (``-e .``) is not built
but put on ``PYTHONPATH`` for the tests.
"""

from __future__ import annotations

import ast
import configparser
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

TEST_GROUP = re.compile(r"test|dev|check|lint|ci", re.IGNORECASE)
OPTION_PARAM = re.compile(r"\s--?[a-zA-Z]")


@dataclass
class PythonDeps:
    requirements: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def add(self, text: str, origin: str) -> None:
        """One requirement as written; refused unless it names a registry package."""
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            self.refused.append(f"{origin}: {text!r} is not a package from the registry")
            return
        if requirement.url:
            self.refused.append(f"{origin}: {requirement.name} is named by URL ({requirement.url})")
            return
        if str(requirement) not in self.requirements:
            self.requirements.append(str(requirement))

    def names(self) -> set[str]:
        return {canonicalize_name(Requirement(text).name) for text in self.requirements}


def python_dependencies(project: Path) -> PythonDeps:
    deps = PythonDeps()
    seen: set[Path] = set()  # each file once, however many others include it
    for path in _requirement_files(project):
        _read_requirements(path, project, deps, seen)
    if (project / "pyproject.toml").is_file():
        _read_pyproject(project / "pyproject.toml", deps)
    if (project / "setup.cfg").is_file():
        _read_setup_cfg(project / "setup.cfg", deps)
    if (project / "setup.py").is_file():
        _read_setup_py(project / "setup.py", deps)
    if (project / "Pipfile").is_file():
        _read_pipfile(project / "Pipfile", deps)
    return deps


def _requirement_files(project: Path) -> list[Path]:
    found = [p for p in project.glob("*requirements*.txt") if p.is_file()]
    folder = project / "requirements"
    if folder.is_dir() and not folder.is_symlink():
        found += [p for p in folder.glob("*.txt") if p.is_file()]
    return sorted(found)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    lines: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = (pending + line).strip(), ""
        if line:
            lines.append((start, line))
    return lines


def _read_requirements(path: Path, project: Path, deps: PythonDeps, seen: set[Path]) -> None:
    resolved = path.resolve()
    if resolved in seen or not resolved.is_relative_to(project.resolve()):
        return
    seen.add(resolved)
    name = resolved.relative_to(project.resolve()).as_posix()
    for number, line in _logical_lines(path.read_text(encoding="utf-8", errors="replace")):
        origin = f"{name}:{number}"
        option, _, value = line.partition(" ") if line.startswith("-") else ("", "", "")
        option, _, inline = option.partition("=")
        value = (inline or value).strip()
        if option in ("-r", "--requirement"):
            _read_requirements(path.parent / value, project, deps, seen)
        elif option in ("-e", "--editable"):
            _editable(value, origin, deps)
        elif option:
            deps.notices.append(
                f"{origin}: option {option} ignored (TATS installs from the registry)"
            )
        else:
            requirement = OPTION_PARAM.split(line, maxsplit=1)[0].strip()
            if requirement != line:
                deps.notices.append(f"{origin}: per-requirement options ignored")
            deps.add(requirement, origin)


def _editable(value: str, origin: str, deps: PythonDeps) -> None:
    if "://" in value or value.startswith(("git+", "hg+", "svn+", "bzr+")):
        deps.refused.append(f"{origin}: -e {value} is not a package from the registry")
    else:
        deps.notices.append(f"{origin}: -e {value} not built (the project is on PYTHONPATH)")


def _read_pyproject(path: Path, deps: PythonDeps) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8", errors="replace"))
    except tomllib.TOMLDecodeError as exc:
        deps.notices.append(
            f"pyproject.toml unreadable ({exc}): its dependencies are not installed"
        )
        return
    project = data.get("project", {})
    for text in project.get("dependencies", []):
        deps.add(text, "pyproject.toml")
    for group, items in project.get("optional-dependencies", {}).items():
        if TEST_GROUP.search(group):
            for text in items:
                deps.add(text, f"pyproject.toml [{group}]")
    groups = data.get("dependency-groups", {})
    for group in groups:
        if TEST_GROUP.search(group):
            for text in _group_items(groups, group, set()):
                deps.add(text, f"pyproject.toml [dependency-groups] {group}")
    _read_poetry(data.get("tool", {}).get("poetry", {}), deps)


def _group_items(groups: dict[str, Any], name: str, seen: set[str]) -> list[str]:
    if name in seen:
        return []
    seen.add(name)
    items: list[str] = []
    for item in groups.get(name, []):
        if isinstance(item, str):
            items.append(item)
        elif isinstance(item, dict) and "include-group" in item:
            items += _group_items(groups, item["include-group"], seen)
    return items


def _read_poetry(poetry: dict[str, Any], deps: PythonDeps) -> None:
    tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
    tables += [group.get("dependencies", {}) for group in poetry.get("group", {}).values()]
    for table in tables:
        for name, spec in table.items():
            if name.lower() != "python":
                _add_spec(name, spec, "pyproject.toml [tool.poetry]", deps)


def _add_spec(name: str, spec: Any, origin: str, deps: PythonDeps) -> None:
    """A Poetry or Pipfile entry: ``"^1.2"``, ``"*"``, or a table with version/extras."""
    if isinstance(spec, list):  # Poetry's multiple-constraint form: take the first
        spec = spec[0] if spec else "*"
    if isinstance(spec, dict):
        for key in ("git", "path", "url", "file", "hg", "svn"):
            if key in spec:
                deps.refused.append(f"{origin}: {name} is named by {key} ({spec[key]})")
                return
        extras = f"[{','.join(spec['extras'])}]" if spec.get("extras") else ""
        version = spec.get("version", "*")
    else:
        extras, version = "", str(spec)
    deps.add(f"{name}{extras}{_specifier(version)}", origin)


def _specifier(version: str) -> str:
    """Poetry's ``^`` and ``~`` ranges in PEP 440 terms; ``*`` is any version."""
    version = version.strip()
    if version in ("", "*"):
        return ""
    if version[0] in "^~" and version[1:2] != "=":
        base = version[1:].strip()
        parts = [int(p) if p.isdigit() else 0 for p in base.split(".")[:3]]
        if version[0] == "^":
            bump = next((i for i, p in enumerate(parts) if p), len(parts) - 1)
        else:
            bump = min(1, len(parts) - 1) if len(parts) > 1 else 0
        upper = [*parts[:bump], parts[bump] + 1]
        return f">={base},<{'.'.join(map(str, upper))}"
    if version[0].isdigit():
        return f"=={version}"
    return version


def _read_setup_cfg(path: Path, deps: PythonDeps) -> None:
    config = configparser.ConfigParser(interpolation=None)
    try:
        config.read_string(path.read_text(encoding="utf-8", errors="replace"))
    except configparser.Error:
        deps.notices.append("setup.cfg unreadable: its dependencies are not installed")
        return
    entries = [config.get("options", "install_requires", fallback="")]
    if config.has_section("options.extras_require"):
        entries += [v for k, v in config.items("options.extras_require") if TEST_GROUP.search(k)]
    for entry in entries:
        for line in entry.splitlines():
            if line.strip():
                deps.add(line.strip(), "setup.cfg")


def _read_setup_py(path: Path, deps: PythonDeps) -> None:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except SyntaxError:
        deps.notices.append("setup.py unparsable: its dependencies are not installed")
        return
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", "")) == "setup"
        ):
            for keyword in node.keywords:
                _setup_keyword(keyword, deps)


def _setup_keyword(keyword: ast.keyword, deps: PythonDeps) -> None:
    if keyword.arg not in ("install_requires", "tests_require", "extras_require"):
        return
    try:
        value = ast.literal_eval(keyword.value)
    except ValueError:
        deps.notices.append(f"setup.py: {keyword.arg} is computed, not read (setup.py never runs)")
        return
    if isinstance(value, dict):
        value = [
            item for group, items in value.items() if TEST_GROUP.search(group) for item in items
        ]
    for text in value if isinstance(value, list | tuple) else [value]:
        deps.add(str(text), "setup.py")


def _read_pipfile(path: Path, deps: PythonDeps) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8", errors="replace"))
    except tomllib.TOMLDecodeError:
        deps.notices.append("Pipfile unreadable: its dependencies are not installed")
        return
    for source in data.get("source", []):
        if "pypi.org" not in str(source.get("url", "")):
            deps.notices.append(
                f"Pipfile: source {source.get('url')} ignored (TATS uses the registry)"
            )
    for table in ("packages", "dev-packages"):
        for name, spec in data.get(table, {}).items():
            _add_spec(name, spec, f"Pipfile [{table}]", deps)
