"""How to test a tree: the project TATS will run, or the exact reason it cannot.

Projects are looked for at the root and in folders one or two levels down (``backend/``,
``api/Service/``), outside dependency and virtualenv folders. The shallowest runnable project
wins, one with tests before one without; the others found are named in a notice.

Runnable here: Python (``python_project``), Node.js (``node_project``), Go (``go_project``).
The others the fixtures hold are recognised and reported as not run, with the reason: the
toolchain is not installed, or their registry is not reachable from this host.
"""

from __future__ import annotations

import fnmatch
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tats_core.testrun.go_project import GoProject, go_toolchain
from tats_core.testrun.node_project import NodeProject
from tats_core.testrun.project import Project, Registries, describe, tree_files
from tats_core.testrun.python_project import MANIFESTS, PythonProject

# label, marker files, toolchain command, registry host, registry name
OTHER_ECOSYSTEMS = (
    ("Maven", ("pom.xml",), "mvn", "repo.maven.apache.org", "Maven Central"),
    (
        "Gradle",
        ("build.gradle", "build.gradle.kts"),
        "gradle",
        "services.gradle.org",
        "Gradle's services and Maven Central",
    ),
    ("Ruby", ("Gemfile",), "ruby", "rubygems.org", "RubyGems"),
    ("PHP", ("composer.json",), "php", "repo.packagist.org", "Packagist"),
    (".NET", ("*.csproj", "*.fsproj", "*.sln"), "dotnet", "api.nuget.org", "NuGet"),
    ("Scala", ("build.sbt",), "sbt", "repo1.maven.org", "Maven Central"),
    ("Rust", ("Cargo.toml",), "cargo", "index.crates.io", "crates.io"),
)


NO_PROJECT = "no project TATS can test (no package.json, Python manifest, go.mod, …)"


@dataclass(frozen=True)
class Unrunnable:
    reason: str
    notices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Found:
    folder: str
    kind: str  # python, node, go, or an OTHER_ECOSYSTEMS label

    @property
    def depth(self) -> int:
        return self.folder.count("/") + 1 if self.folder else 0


def detect(root: Path, registries: Registries, python: str) -> Project | Unrunnable:
    files = tree_files(root)
    found = _found(root, files)
    if not found and any(f.endswith(".py") for f in files):
        found = [Found("", "python")]  # loose scripts and tests, no manifest
    if not found:
        return Unrunnable(NO_PROJECT)
    projects: list[Project] = []
    reasons: list[str] = []
    for item in found:
        project = _project(root, item, _files_of(files, item.folder), registries, python)
        if isinstance(project, str):
            reasons.append(project)
        else:
            projects.append(project)
    if not projects:
        return Unrunnable(reasons[0], reasons[1:])
    projects.sort(key=lambda p: (Found(p.folder, p.kind).depth, not _has_tests(p)))
    chosen = projects[0]
    others = [describe(p) for p in projects[1:]] + reasons
    if others:
        chosen.notices.append("also found, not run: " + "; ".join(others))
    return chosen


def nothing_to_run(paths: list[str]) -> str | None:
    """From the tree's file list alone (no download, no sandbox): why this submission has
    nothing TATS can run, or None when it may. Lets the worker skip the archive and the slot."""
    found = _found(Path("."), paths)
    has_python = any(p.endswith(".py") for p in paths)
    if not found and not has_python:
        return NO_PROJECT
    runnable = [f for f in found if f.kind in ("python", "node", "go")]
    if found and not runnable and not has_python:
        where = f" in {found[0].folder}/" if found[0].folder else ""
        return _other_reason(found[0], where, Registries())
    return None


def _found(root: Path, files: list[str]) -> list[Found]:
    # The file names of each folder at most two deep, grouped in one pass: a tree of thousands
    # of files (a committed node_modules) is read once, not once per folder.
    by_folder: dict[str, set[str]] = defaultdict(set)
    for f in files:
        if (parent := _parent(f)).count("/") < 2:
            by_folder[parent].add(f.rsplit("/", 1)[-1])
    found: list[Found] = []
    for folder, names in sorted(by_folder.items()):
        if any(m in names for m in MANIFESTS) or any(
            n.endswith(".txt") and "requirements" in n for n in names
        ):
            found.append(Found(folder, "python"))
        if "package.json" in names:
            found.append(Found(folder, "node"))
        if "go.mod" in names:
            found.append(Found(folder, "go"))
        for label, markers, *_ in OTHER_ECOSYSTEMS:
            if any(fnmatch.filter(names, marker) for marker in markers):
                found.append(Found(folder, label))
    return sorted(found, key=lambda f: f.depth)


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def _files_of(files: list[str], folder: str) -> list[str]:
    if not folder:
        return files
    prefix = folder + "/"
    return [f[len(prefix) :] for f in files if f.startswith(prefix)]


def _project(
    root: Path, item: Found, files: list[str], registries: Registries, python: str
) -> Project | str:
    where = f" in {item.folder}/" if item.folder else ""
    if item.kind == "python":
        if not Path(python).exists():
            return f"Python project{where}: {python} is not installed here"
        return PythonProject.read(root, item.folder, files, python)
    if item.kind == "node":
        if shutil.which("npm") is None:
            return f"Node.js project{where}: node and npm are not installed here"
        return NodeProject.read(root, item.folder, files, registries)
    if item.kind == "go":
        if go_toolchain() is None:
            return f"Go module{where}: Go is not installed here (apt-get install golang-go)"
        return GoProject.read(root, item.folder, files, registries)
    return _other_reason(item, where, registries)


def _other_reason(item: Found, where: str, registries: Registries) -> str:
    for label, _, command, host, registry in OTHER_ECOSYSTEMS:
        if label == item.kind:
            if shutil.which(command) is None:
                return f"{label} project{where}: {command} is not installed here"
            if host not in registries.hosts:
                return f"{label} project{where}: its dependencies come from {registry}, which this host cannot reach"
            return f"{label} project{where}: TATS does not run {label} tests yet"
    return f"{item.kind} project{where}: not supported"


def _has_tests(project: Project) -> bool:
    return bool(project.test_files)
