"""Which project a tree holds and how TATS tests it, or the exact reason it cannot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tats_core.testrun.detection import Unrunnable, detect
from tats_core.testrun.node_project import NodeProject, runner_of
from tats_core.testrun.project import Registries, Skip, Step, describe
from tats_core.testrun.results import TestStatus
from tests.testrun_fixtures import write_tree

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "repos"
PYTHON = "/usr/bin/python3"


def _detect(root: Path, registries: Registries | None = None):
    return detect(root, registries or Registries(), PYTHON)


def test_the_shallowest_project_with_tests_wins_and_the_others_are_named(tmp_path: Path):
    tree = write_tree(
        tmp_path,
        {
            "README.md": "# app",
            "frontend/package.json": '{"name": "web"}',
            "backend/pyproject.toml": '[project]\nname = "api"\ndependencies = ["fastapi"]\n',
            "backend/tests/test_api.py": "def test_ok(): pass\n",
            "backend/venv/pyvenv.cfg": "home = /usr/bin\n",  # a committed virtualenv: not a project
            "backend/venv/lib/test_inside.py": "",
            "infra/pom.xml": "<project/>",
        },
    )
    project = _detect(tree)
    assert not isinstance(project, Unrunnable)
    assert describe(project) == "python (pytest) in backend/"
    assert project.test_files == ["tests/test_api.py"]
    assert project.notices == [
        "also found, not run: node (node --test) in frontend/; Maven project in infra/: its "
        "dependencies come from Maven Central, which this host cannot reach"
    ]
    step = project.own_tests()
    assert isinstance(step, Step)
    assert "--rootdir" in step.command and "/box/src/backend" in step.command
    assert step.env["PYTHONPATH"] == "/box/src/backend:/box/src/backend/src"


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        (
            {"README.md": "# nothing to run"},
            "no project TATS can test (no package.json, Python manifest, go.mod, …)",
        ),
        (
            {"pom.xml": "<project/>"},
            "Maven project: its dependencies come from Maven Central, which this host cannot reach",
        ),
        ({"Gemfile": "gem 'rails'"}, "Ruby project: ruby is not installed here"),
        ({"App.csproj": "<Project/>"}, ".NET project: dotnet is not installed here"),
        ({"composer.json": "{}"}, "PHP project: php is not installed here"),
    ],
    ids=["nothing", "maven", "ruby", "dotnet", "php"],
)
def test_projects_tats_cannot_run_say_why(tmp_path: Path, files: dict[str, str], reason: str):
    result = _detect(write_tree(tmp_path, files))
    assert isinstance(result, Unrunnable)
    assert result.reason == reason


@pytest.mark.parametrize(
    ("script", "runner", "appendable"),
    [
        ("jest --coverage", "jest", True),
        ("react-scripts test", "jest", True),
        ("cd client && jest --config ./config/jest.config.js", "jest", True),
        ("jest && eslint .", "jest", False),
        ("vitest run", "vitest", True),
        ("ts-mocha -p tsconfig.json 'test/**/*.ts'", "mocha", True),
        ("node --test test/ && echo done", "node --test", True),
        ("turbo test", None, False),
    ],
)
def test_the_runner_is_read_from_the_test_script(script: str, runner: str | None, appendable: bool):
    assert runner_of(script) == (runner, appendable)


def test_node_projects_without_a_script_use_a_runner_they_depend_on(tmp_path: Path):
    write_tree(tmp_path, {"package.json": '{"devDependencies": {"jest": "^29"}}', "a.test.js": ""})
    project = _detect(tmp_path)
    assert isinstance(project, NodeProject)
    step = project.own_tests()
    assert isinstance(step, Step) and step.command[0] == "jest"
    (tmp_path / "package.json").write_text("{}")
    project = _detect(tmp_path)
    assert isinstance(project, NodeProject)
    skip = project.own_tests()
    assert isinstance(skip, Skip)
    assert (skip.status, skip.reason) == (
        TestStatus.NOT_RUN,
        "no test command: package.json has no test script and names no test runner",
    )


def test_go_modules_needing_the_proxy_are_refused_unless_it_is_reachable(tmp_path: Path):
    go_mod = "module x\n\ngo 1.19\n\nrequire (\n\tgithub.com/a/b v1.0.0 // indirect\n\tgithub.com/c/d v2.0.0\n)\n"
    write_tree(tmp_path, {"go.mod": go_mod, "x_test.go": "package x\n"})
    project = _detect(tmp_path)
    assert not isinstance(project, Unrunnable)
    assert project.refused == (
        "needs 2 module(s) from the Go module proxy, which this host cannot reach: "
        "github.com/a/b, github.com/c/d"
    )
    with_proxy = Registries(
        go_proxy="https://proxy.golang.org", hosts=frozenset({"proxy.golang.org"})
    )
    project = _detect(tmp_path, with_proxy)
    assert not isinstance(project, Unrunnable) and project.refused is None
    install = project.install(with_proxy)
    assert install is not None and install.command[-1].endswith("go mod download")
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "modules.txt").write_text("# github.com/a/b v1.0.0\n")
    project = _detect(tmp_path)
    assert not isinstance(project, Unrunnable) and project.refused is None  # vendored: offline


def _fixture_tree(repo: Path, root: Path) -> Path:
    """A fixture's tree: every path, with the text the fixture keeps (empty where it keeps none)."""
    for entry in json.loads((repo / "tree.json").read_text())["tree"]:
        # a committed virtualenv's or node_modules' thousands of files: detection skips them
        if entry["type"] == "blob" and not {"site-packages", "node_modules"} & set(
            entry["path"].split("/")
        ):
            blob = repo / "blobs" / entry["sha"]
            path = root / entry["path"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(blob.read_bytes() if blob.exists() else b"")
    return root


EXPECTED = {
    "Snover98__oasis-home-assignment": "python (pytest) in backend/",
    "Andyrion__takehome-challenge": "node (jest)",
    "gerardocm__mw-backend-takehome-test": "node (vitest)",
    "Patr1ckCam3gu1ng__react-typescript-dotnet-take-home-test": "node (jest) in ui/",
    "claudealdric__receipt-processor-challenge": "go (go test)",
    "codefluential__flowingly-technical-test": "node (npm test)",
    "jweilhammer__receipt-processor-challenge": "Maven project: its dependencies come from Maven Central, which this host cannot reach",
    "chalbaso-git__GpsMonitoring.FleetTracking.TakeHomeAssessment": ".NET project: dotnet is not installed here",
    "atilpai__receipt-processor-challenge": "Scala project: sbt is not installed here",
    "alexdredmon__python-take-home-test": "no project TATS can test (no package.json, Python manifest, go.mod, …)",
}


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="../shared/fixtures is not beside this checkout")
def test_every_fixture_repository_gets_a_plan_or_a_reason(tmp_path: Path):
    seen = {}
    for repo in sorted(FIXTURES.iterdir()):
        result = _detect(_fixture_tree(repo, tmp_path / repo.name))
        seen[repo.name] = result.reason if isinstance(result, Unrunnable) else describe(result)
        if not isinstance(result, Unrunnable):
            assert isinstance(result.own_tests(), Step | Skip)
    assert len(seen) == 32
    assert {name: seen[name] for name in EXPECTED} == EXPECTED
    assert seen["jannis-baratheon__form3-take-home-exercise"] == "go (go test)"
