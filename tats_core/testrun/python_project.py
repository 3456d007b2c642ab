"""Python projects: dependencies into a virtualenv with uv, tests with pytest.

Installing: ``uv venv`` then ``uv pip install --no-build`` from the cleaned requirements
(``python_deps``), wheels only, so no package's ``setup.py`` runs; pytest is added when the
project does not name it. The project itself is not built: its folder (and ``src/``) is on
``PYTHONPATH``. Testing: pytest runs unittest suites too, and writes JUnit XML.

For the acceptance run the candidate's ``conftest.py`` files are removed from the copy and
pytest reads TATS's ini (or the employer's ``pytest.ini``), so the candidate's hooks and
``addopts`` do not touch the employer's tests.
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tats_core.testrun import box
from tats_core.testrun.project import Registries, Skip, Step, base_env, relative_to_project
from tats_core.testrun.python_deps import PythonDeps, python_dependencies
from tats_core.testrun.reports import Places, ReportError, parse_junit
from tats_core.testrun.results import TestCounts, TestStatus

NO_TESTS, NOT_RUN = TestStatus.NO_TESTS, TestStatus.NOT_RUN

MANIFESTS = ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile")
REPORT = "report.xml"


def is_test_file(path: str) -> bool:
    name = posixpath.basename(path)
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def looks_like_python(folder: Path, files: list[str]) -> bool:
    has_manifest = any((folder / m).is_file() for m in MANIFESTS)
    has_requirements = any(folder.glob("*requirements*.txt"))
    return has_manifest or has_requirements or any(is_test_file(f) for f in files)


@dataclass
class PythonProject:
    root: Path  # the repository's tree on the host
    folder: str
    python: str = "/usr/bin/python3"
    kind: str = "python"
    runner: str = "pytest"
    deps: PythonDeps = field(default_factory=PythonDeps)
    test_files: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    refused: str | None = None
    reports: bool = True

    @classmethod
    def read(cls, root: Path, folder: str, files: list[str], python: str) -> PythonProject:
        deps = python_dependencies(root / folder)
        project = cls(root, folder, python, deps=deps, notices=list(deps.notices))
        project.test_files = [f for f in files if is_test_file(f)]
        if deps.refused:
            project.refused = "; ".join(deps.refused)
        return project

    @property
    def cwd(self) -> str:
        return posixpath.join(box.SRC, self.folder) if self.folder else box.SRC

    def install(self, registries: Registries) -> Step:
        requirements = list(self.deps.requirements)
        if "pytest" not in self.deps.names():
            requirements.append("pytest")
        uv = shlex.quote(box.UV)
        script = (
            f"{uv} venv --quiet --no-config --python {shlex.quote(self.python)} {box.VENV}\n"
            f"{uv} pip install --no-config --python {box.VENV}/bin/python --no-build"
            f" --index-url {shlex.quote(registries.pypi_index)} --cache-dir {box.CACHE}/uv"
            f" --system-certs --link-mode=copy -r {box.STEP_FILES}/requirements.txt"
        )
        env = base_env() | {"UV_NO_PROGRESS": "1", "UV_PYTHON_DOWNLOADS": "never"}
        env |= {"SSL_CERT_FILE": box.CA_FILE}
        files = {"requirements.txt": ("\n".join(requirements) + "\n").encode()}
        return Step(["/bin/sh", "-ec", script], env, files)

    def own_tests(self) -> Step | Skip:
        if not self.test_files:
            return Skip(NO_TESTS, "no Python test files (test_*.py or *_test.py)")
        return self._pytest([])

    def acceptance_tests(self, files: Mapping[str, bytes]) -> Step | Skip:
        paths = list(files)
        tests = [p for p in paths if is_test_file(p)]
        if not tests:
            return Skip(
                NOT_RUN, "no Python test file among the acceptance files (test_*.py or *_test.py)"
            )
        ini = next((p for p in paths if posixpath.basename(p) == "pytest.ini"), None)
        if ini:
            config = posixpath.join(box.SRC, ini)
            return self._pytest(["-c", config, *relative_to_project(tests, self.folder)])
        step = self._pytest(
            ["-c", f"{box.STEP_FILES}/pytest.ini", *relative_to_project(tests, self.folder)]
        )
        return Step(step.command, step.env, {"pytest.ini": b"[pytest]\n"})

    def prepare_acceptance_tree(self, tree: Path, paths: list[str]) -> None:
        keep = {tree / p for p in paths}
        for conftest in tree.rglob("conftest.py"):
            if conftest not in keep and not conftest.is_symlink():
                conftest.unlink()

    def _pytest(self, extra: list[str]) -> Step:
        command = [f"{box.VENV}/bin/python", "-m", "pytest", "-p", "no:cacheprovider"]
        command += ["-o", "junit_family=xunit1", f"--junitxml={box.OUT}/{REPORT}"]
        command += ["--rootdir", self.cwd, "-q", *extra]
        path = ":".join([self.cwd, posixpath.join(self.cwd, "src")])
        env = base_env(f"{box.VENV}/bin") | {"PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}
        return Step(command, env | {"PYTHONUNBUFFERED": "1"})

    def counts(self, out: Path) -> TestCounts | None:
        report = out / REPORT
        if not report.is_file():
            return None
        try:
            return parse_junit(report.read_bytes(), Places(self.folder))
        except ReportError:
            return None
