"""Node.js / TypeScript projects: ``npm ci`` (or ``npm install``), then ``npm test``.

The runner is read from ``scripts.test`` (jest, also through ``react-scripts``/``craco``;
vitest; mocha; ``node --test``) and asked for its machine-readable report: arguments after
``npm test --`` when the runner is the script's last command, ``NODE_OPTIONS`` for
``node --test``. A script TATS does not recognise (``turbo test``, ``ava``...) still runs;
its result is its exit code, without per-test counts.

Acceptance tests run with the same runner given just the acceptance files (jest with
``--runTestsByPath``); a project without a recognised runner gets Node's own ``node --test``,
which needs no dependency.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tats_core.testrun import box
from tats_core.testrun.node_deps import NodeDeps, node_dependencies
from tats_core.testrun.project import Registries, Skip, Step, base_env, relative_to_project
from tats_core.testrun.reports import Places, ReportError, parse_jest, parse_junit
from tats_core.testrun.results import TestCounts, TestStatus

NO_TESTS, NOT_RUN = TestStatus.NO_TESTS, TestStatus.NOT_RUN

NPM_DEFAULT_TEST = "no test specified"
JS_TEST = re.compile(r"(\.(test|spec)\.[cm]?[jt]sx?$)|(^|/)(__tests__|tests?)/.+\.[cm]?[jt]sx?$")
# (word in the script, runner) in the order they are looked for
RUNNER_WORDS = (
    ("vitest", "vitest"),
    ("react-scripts test", "jest"),
    ("craco test", "jest"),
    ("jest", "jest"),
    ("mocha", "mocha"),
    ("node --test", "node --test"),
)
REPORT_ARGS = {
    "jest": ["--ci", "--json", f"--outputFile={box.OUT}/report.json", "--testLocationInResults"],
    "vitest": [
        "--run",
        "--reporter=default",
        "--reporter=junit",
        f"--outputFile.junit={box.OUT}/report.xml",
    ],
    "mocha": ["--reporter", "xunit", "--reporter-option", f"output={box.OUT}/report.xml"],
}
# Acceptance runs: exactly the given files, not the project's own test globs.
ONLY_THESE = {"jest": ["--runTestsByPath"], "mocha": ["--no-config", "--no-package"], "vitest": []}
NODE_TEST_REPORTERS = (
    "--test-reporter=spec --test-reporter-destination=stdout "
    f"--test-reporter=junit --test-reporter-destination={box.OUT}/report.xml"
)


def is_test_file(path: str) -> bool:
    return bool(JS_TEST.search(path))


def runner_of(script: str) -> tuple[str | None, bool]:
    """The runner a test script uses, and whether arguments appended to it reach that runner."""
    last = re.split(r"&&|\|\||;|\|", script)[-1]
    for word, runner in RUNNER_WORDS:
        if word in script:
            return runner, runner == "node --test" or word in last
    return None, False


@dataclass
class NodeProject:
    root: Path
    folder: str
    deps: NodeDeps
    test_files: list[str] = field(default_factory=list)
    kind: str = "node"
    runner: str = "npm test"
    script: str = ""
    appendable: bool = False
    notices: list[str] = field(default_factory=list)
    refused: str | None = None

    @property
    def reports(self) -> bool:
        return self.runner == "node --test" or (self.appendable and self.runner in REPORT_ARGS)

    @classmethod
    def read(cls, root: Path, folder: str, files: list[str], registries: Registries) -> NodeProject:
        manifests = [f for f in files if posixpath.basename(f) == "package.json"]
        manifests.sort(key=lambda f: (f != "package.json", f))
        deps = node_dependencies(root / folder, manifests, registries.npm_registry)
        project = cls(root, folder, deps, [f for f in files if is_test_file(f)])
        project.notices = list(deps.notices)
        project.refused = "; ".join(deps.refused) or None
        script = str((deps.package.get("scripts") or {}).get("test") or "")
        project.script = "" if NPM_DEFAULT_TEST in script else script
        runner, project.appendable = runner_of(project.script)
        if runner is None and not project.script:
            runner = _runner_in_dependencies(deps)
            project.appendable = runner is not None
        project.runner = runner or ("npm test" if project.script else "node --test")
        return project

    def install(self, registries: Registries) -> Step:
        verb = "ci" if self.deps.lockfile else "install"
        command = ["npm", verb, "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"]
        command += [
            "--include=dev",
            f"--registry={registries.npm_registry}",
            f"--cache={box.CACHE}/npm",
        ]
        # Empty user and global configs: npm reads none of the host's or the image's.
        command += [
            f"--userconfig={box.STEP_FILES}/user.npmrc",
            f"--globalconfig={box.STEP_FILES}/global.npmrc",
        ]
        command += ["--loglevel=warn"]
        env = base_env() | {"npm_config_cafile": box.CA_FILE, "npm_config_update_notifier": "false"}
        files = {"user.npmrc": b"", "global.npmrc": b""}
        return Step(command, env | {"NODE_EXTRA_CA_CERTS": box.CA_FILE}, files)

    def own_tests(self) -> Step | Skip:
        if self.script:
            if self.runner == "node --test":
                return self._step(["npm", "test"], node_test=True)
            args = REPORT_ARGS.get(self.runner, []) if self.appendable else []
            return self._step(["npm", "test", *(["--", *args] if args else [])])
        if self.appendable:  # no script, but a runner among the dependencies
            return self._step([self.runner, *REPORT_ARGS[self.runner]])
        if self.test_files:
            return Skip(
                NOT_RUN, "no test command: package.json has no test script and names no test runner"
            )
        return Skip(NO_TESTS, "no test script and no test files")

    def acceptance_tests(self, files: Mapping[str, bytes]) -> Step | Skip:
        paths = list(files)
        tests = relative_to_project([p for p in paths if is_test_file(p)], self.folder)
        if not tests:
            return Skip(NOT_RUN, "no JavaScript/TypeScript test file among the acceptance files")
        runner = self.runner if self.runner in REPORT_ARGS else "node --test"
        if runner == "node --test":
            return self._step(["node", "--test", *tests], node_test=True)
        return self._step([runner, *REPORT_ARGS[runner], *ONLY_THESE[runner], *tests])

    def prepare_acceptance_tree(self, tree: Path, paths: list[str]) -> None:
        return None

    def _step(self, command: list[str], *, node_test: bool = False) -> Step:
        cwd = posixpath.join(box.SRC, self.folder) if self.folder else box.SRC
        env = base_env(f"{cwd}/node_modules/.bin") | {"npm_config_update_notifier": "false"}
        if node_test:
            env["NODE_OPTIONS"] = NODE_TEST_REPORTERS
        return Step(command, env)

    def counts(self, out: Path) -> TestCounts | None:
        places = Places(self.folder)
        try:
            if (out / "report.json").is_file():
                return parse_jest((out / "report.json").read_bytes(), places)
            if (out / "report.xml").is_file():
                return parse_junit((out / "report.xml").read_bytes(), places)
        except ReportError:
            return None
        return None


def _runner_in_dependencies(deps: NodeDeps) -> str | None:
    names = set(deps.package.get("devDependencies") or {}) | set(
        deps.package.get("dependencies") or {}
    )
    return next((runner for runner in ("jest", "vitest", "mocha") if runner in names), None)


def unbuilt_native_modules(project_dir: Path) -> list[str]:
    """Installed packages that need a native build (``binding.gyp``, ``gypfile``): their
    install scripts, which build or download the binary, never run in the sandbox
    (``--ignore-scripts``), so code that loads them fails whatever the candidate wrote."""
    modules = project_dir / "node_modules"
    if not modules.is_dir():
        return []
    packages = []
    for entry in sorted(modules.iterdir()):
        if entry.name.startswith("@"):
            packages += sorted(p for p in entry.iterdir() if p.is_dir())
        elif not entry.name.startswith(".") and entry.is_dir():
            packages.append(entry)
    return [
        package.relative_to(modules).as_posix()
        for package in packages
        if (package / "binding.gyp").is_file() or _declares_gypfile(package / "package.json")
    ]


def _declares_gypfile(manifest: Path) -> bool:
    try:
        return bool(json.loads(manifest.read_text(encoding="utf-8")).get("gypfile"))
    except (OSError, ValueError, AttributeError):
        return False
