"""What every kind of project tells the runner: how to install, how to test, how to read results.

Steps name the sandbox's paths from ``box`` (its fixed layout).
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tats_core.testrun import box
from tats_core.testrun.results import TestCounts, TestStatus


@dataclass(frozen=True)
class Step:
    """One command in the sandbox, run in the project's folder."""

    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)  # placed under /tats


@dataclass(frozen=True)
class Skip:
    """Why a set of tests is not run: ``no_tests`` (there are none) or ``not_run``."""

    status: TestStatus
    reason: str


@dataclass(frozen=True)
class Registries:
    """Where dependencies come from; only these hosts are reachable while installing."""

    pypi_index: str = "https://pypi.org/simple"
    npm_registry: str = "https://registry.npmjs.org/"
    go_proxy: str | None = None  # e.g. "https://proxy.golang.org" where it is reachable
    hosts: frozenset[str] = frozenset({"pypi.org", "files.pythonhosted.org", "registry.npmjs.org"})

    def reachable(self, url: str) -> bool:
        host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        return host in self.hosts


class Project(Protocol):
    """A project TATS knows how to test (Python, Node.js, Go)."""

    kind: str  # "python", "node", "go"
    runner: str  # "pytest", "jest", "go test", ...
    folder: str  # in the repository; "" at its root
    test_files: list[str]  # the project's own, relative to its folder

    @property
    def reports(self) -> bool:
        """Whether its runner writes a per-test report (else it is judged by its exit code)."""

    notices: list[str]  # what TATS ignored or changed, to say so
    refused: str | None  # why it must not be installed (a dependency named by URL, ...)

    def install(self, registries: Registries) -> Step | None:
        """The install phase's step; None when there is nothing to install."""

    def own_tests(self) -> Step | Skip:
        """The step that runs the project's tests, or why there are none."""

    def acceptance_tests(self, files: Mapping[str, bytes]) -> Step | Skip:
        """The step that runs exactly the acceptance ``files`` (by repository-relative path)."""

    def prepare_acceptance_tree(self, tree: Path, paths: list[str]) -> None:
        """Make a copy of the tree fit for the acceptance run (e.g. drop the candidate's hooks)."""

    def counts(self, out: Path) -> TestCounts | None:
        """The results from the run's report folder; None when the runner wrote none."""


def describe(project: Project) -> str:
    where = f" in {project.folder}/" if project.folder else ""
    return f"{project.kind} ({project.runner}){where}"


def base_env(path_prefix: str = "") -> dict[str, str]:
    return {
        "PATH": f"{path_prefix}:{box.BASE_PATH}" if path_prefix else box.BASE_PATH,
        "HOME": box.HOME,
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "CI": "true",
        "TERM": "dumb",
        "NO_COLOR": "1",
    }


def relative_to_project(paths: list[str], folder: str) -> list[str]:
    """Repository-relative paths as the project's folder sees them."""
    return [posixpath.relpath(path, folder or ".") for path in paths]


SKIPPED_FOLDERS = {"node_modules", ".git", "venv", ".venv", "env", "__pycache__", "site-packages"}
SKIPPED_FOLDERS |= {"dist", "build", "target", "vendor", ".tox", ".mypy_cache", ".pytest_cache"}


def tree_files(folder: Path, limit: int = 20_000) -> list[str]:
    """Files under ``folder`` (relative, sorted), outside dependency, build and virtualenv folders."""
    found: list[str] = []
    for parent, dirs, files in os.walk(folder):
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIPPED_FOLDERS and not (Path(parent) / d / "pyvenv.cfg").exists()
        )
        base = Path(parent).relative_to(folder)
        found += [(base / name).as_posix() for name in sorted(files)]
        if len(found) >= limit:
            break
    return found[:limit]
