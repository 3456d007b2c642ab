"""Registry-only installs: what a project's manifests may ask for, and what TATS refuses or drops."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tats_core.testrun.node_deps import node_dependencies
from tats_core.testrun.python_deps import python_dependencies
from tests.testrun_fixtures import write_tree

REGISTRY = "https://registry.npmjs.org/"


def test_requirement_files_keep_packages_and_drop_every_option(tmp_path: Path):
    project = write_tree(
        tmp_path,
        {
            "requirements.txt": (
                "--index-url http://127.0.0.1:9/simple\n"
                "--extra-index-url=https://evil.example/simple\n"
                "-f ./wheels\n"
                "--trusted-host evil.example\n"
                "-r requirements/base.txt\n"
                "-e .\n"
                "requests>=2.31 ; python_version >= '3.8'   # HTTP\n"
                "attrs==23.1.0 \\\n"
                "    --hash=sha256:abc\n"
            ),
            "requirements/base.txt": "flask[async]~=3.0\n-r ../requirements.txt\n",
            "requirements-dev.txt": "pytest==8.0.0\n",
        },
    )
    deps = python_dependencies(project)
    assert deps.refused == []
    assert deps.requirements == [
        "flask[async]~=3.0",
        'requests>=2.31; python_version >= "3.8"',
        "attrs==23.1.0",
        "pytest==8.0.0",
    ]
    assert deps.notices == [
        "requirements.txt:1: option --index-url ignored (TATS installs from the registry)",
        "requirements.txt:2: option --extra-index-url ignored (TATS installs from the registry)",
        "requirements.txt:3: option -f ignored (TATS installs from the registry)",
        "requirements.txt:4: option --trusted-host ignored (TATS installs from the registry)",
        "requirements.txt:6: -e . not built (the project is on PYTHONPATH)",
        "requirements.txt:8: per-requirement options ignored",
    ]
    assert "pytest" in deps.names()


@pytest.mark.parametrize(
    ("line", "refusal"),
    [
        (
            "pkg @ https://127.0.0.1:9/pkg-1.0.whl",
            "requirements.txt:1: pkg is named by URL (https://127.0.0.1:9/pkg-1.0.whl)",
        ),
        (
            "git+https://github.com/x/y.git#egg=y",
            "requirements.txt:1: 'git+https://github.com/x/y.git#egg=y' is not a package from the registry",
        ),
        ("./vendor/pkg", "requirements.txt:1: './vendor/pkg' is not a package from the registry"),
        (
            "https://evil.example/pkg.tar.gz",
            "requirements.txt:1: 'https://evil.example/pkg.tar.gz' is not a package from the registry",
        ),
        (
            "-e git+ssh://git@github.com/x/y.git",
            "requirements.txt:1: -e git+ssh://git@github.com/x/y.git is not a package from the registry",
        ),
    ],
)
def test_dependencies_named_by_url_vcs_or_path_are_refused(tmp_path: Path, line: str, refusal: str):
    deps = python_dependencies(write_tree(tmp_path, {"requirements.txt": line + "\n"}))
    assert deps.refused == [refusal]
    assert deps.requirements == []


def test_pyproject_poetry_setup_and_pipfile_are_read_without_running_anything(tmp_path: Path):
    project = write_tree(
        tmp_path,
        {
            "pyproject.toml": """
[project]
dependencies = ["httpx>=0.27"]
[project.optional-dependencies]
test = ["pytest-asyncio"]
docs = ["sphinx"]
[dependency-groups]
dev = [{include-group = "lint"}, "coverage"]
lint = ["ruff"]
[tool.poetry.dependencies]
python = "^3.11"
pandas = "^2.1.4"
numpy = {version = "~1.26", extras = ["x"]}
private = {git = "https://github.com/x/private.git"}
[tool.poetry.group.test.dependencies]
freezegun = "1.4.0"
""",
            "setup.py": "from setuptools import setup\nsetup(install_requires=['click>=8'] + EXTRA, tests_require=['mock'])\n",
            "setup.cfg": "[options]\ninstall_requires =\n    six\n[options.extras_require]\ntesting = hypothesis\n",
            "Pipfile": '[[source]]\nurl = "https://mirror.example/simple"\n[packages]\nrich = "*"\n[dev-packages]\nlocal = {path = "./lib"}\n',
        },
    )
    deps = python_dependencies(project)
    assert deps.requirements == [
        "httpx>=0.27",
        "pytest-asyncio",
        "ruff",
        "coverage",
        "pandas<3,>=2.1.4",
        "numpy[x]<1.27,>=1.26",
        "freezegun==1.4.0",
        "six",
        "hypothesis",
        "mock",
        "rich",
    ]
    assert deps.refused == [
        "pyproject.toml [tool.poetry]: private is named by git (https://github.com/x/private.git)",
        "Pipfile [dev-packages]: local is named by path (./lib)",
    ]
    assert "setup.py: install_requires is computed, not read (setup.py never runs)" in deps.notices
    assert (
        "Pipfile: source https://mirror.example/simple ignored (TATS uses the registry)"
        in deps.notices
    )
    assert "sphinx" not in " ".join(deps.requirements)  # docs extras are not the tests'


def test_npm_dependencies_off_the_registry_are_refused(tmp_path: Path):
    package = {
        "dependencies": {
            "left-pad": "^1.3.0",
            "alias": "npm:lodash@^4",
            "evil": "http://127.0.0.1:9/evil.tgz",
            "fork": "github:someone/fork",
            "short": "someone/repo#main",
            "local": "file:../lib",
            "tilde": "~1.2.3",
        },
        "devDependencies": {"git": "git+ssh://git@github.com/x/y.git"},
        "overrides": {"foo": {"bar": "https://evil.example/bar.tgz"}, "baz": "$left-pad"},
    }
    write_tree(
        tmp_path,
        {
            "package.json": json.dumps(package),
            "packages/a/package.json": '{"dependencies": {"x": "link:../b"}}',
        },
    )
    deps = node_dependencies(tmp_path, ["package.json", "packages/a/package.json"], REGISTRY)
    assert deps.refused == [
        "package.json dependencies: evil is not from the registry (http://127.0.0.1:9/evil.tgz)",
        "package.json dependencies: fork is not from the registry (github:someone/fork)",
        "package.json dependencies: short is not from the registry (someone/repo#main)",
        "package.json dependencies: local is not from the registry (file:../lib)",
        "package.json devDependencies: git is not from the registry (git+ssh://git@github.com/x/y.git)",
        "package.json overrides: bar is not from the registry (https://evil.example/bar.tgz)",
        "packages/a/package.json dependencies: x is not from the registry (link:../b)",
    ]


def test_npmrc_and_lockfiles_off_the_registry_are_neutralised(tmp_path: Path):
    lock = {
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "x"},
            "node_modules/ok": {"resolved": REGISTRY + "ok/-/ok-1.0.0.tgz"},
            "apps/web": {"resolved": "apps/web", "link": True},
            "node_modules/bad": {"resolved": "http://127.0.0.1:9/bad-1.0.0.tgz"},
        },
    }
    write_tree(
        tmp_path,
        {
            "package.json": '{"name": "x"}',
            ".npmrc": "registry=http://127.0.0.1:9/\n//127.0.0.1:9/:_authToken=stolen\n",
            "package-lock.json": json.dumps(lock),
            "yarn.lock": "# yarn\n",
        },
    )
    deps = node_dependencies(tmp_path, ["package.json"], REGISTRY)
    assert deps.refused == []
    assert deps.lockfile is None
    assert not (tmp_path / ".npmrc").exists()
    assert not (tmp_path / "package-lock.json").exists()
    assert deps.notices == [
        ".npmrc removed (TATS installs from the registry with its own settings)",
        "package-lock.json dropped (node_modules/bad from http://127.0.0.1:9/bad-1.0.0.tgz): "
        "npm resolved package.json's ranges from the registry",
        "yarn.lock not used: npm installed package.json's ranges",
    ]
    lock["packages"].pop("node_modules/bad")  # type: ignore[attr-defined]
    (tmp_path / "package-lock.json").write_text(json.dumps(lock))
    assert node_dependencies(tmp_path, ["package.json"], REGISTRY).lockfile == "package-lock.json"
