"""Native Node modules: the sandbox installs with scripts off, so a module that needs a build
(``binding.gyp``, ``gypfile``) is left without its binary. A failing run then proves nothing
about the candidate: it is ``not_run``, saying why, and a passing run stays passed."""

from __future__ import annotations

import json
from pathlib import Path

from tats_core.statuses import TestStatus
from tats_core.testrun.node_project import unbuilt_native_modules
from tats_core.testrun.results import TestRunResult
from tats_core.testrun.submission import RunConfig, _Run


def package(modules: Path, name: str, manifest: dict, *, gyp: bool = False) -> None:
    folder = modules / name
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps({"name": name, **manifest}))
    if gyp:
        (folder / "binding.gyp").write_text("{}")


def test_modules_that_need_a_native_build_are_found(tmp_path):
    modules = tmp_path / "node_modules"
    package(modules, "express", {"version": "4.19.2"})
    package(modules, "better-sqlite3", {"gypfile": True})
    package(modules, "@scope/bcrypt", {}, gyp=True)
    package(modules, ".bin", {})
    assert unbuilt_native_modules(tmp_path) == ["@scope/bcrypt", "better-sqlite3"]
    assert unbuilt_native_modules(tmp_path / "nowhere") == []


def test_a_failing_run_with_unbuilt_modules_is_not_run_and_a_passing_one_stays(tmp_path):
    run = _Run(RunConfig(cache_dir=tmp_path), slot=0, folder=tmp_path, acceptance={})
    failed = TestRunResult(TestStatus.FAILED, "6 of 14 tests failed: /todos", passed=8, failed=6)
    passed = TestRunResult(TestStatus.PASSED, passed=14)
    assert run._caveat(failed) is failed  # nothing left unbuilt: the failure stands

    run.unbuilt = ["better-sqlite3"]
    judged = run._caveat(failed)
    assert judged.status == TestStatus.NOT_RUN and (judged.passed, judged.failed) == (8, 6)
    assert "better-sqlite3" in judged.note and "6 of 14 tests failed" in judged.note
    assert run._caveat(passed) is passed
