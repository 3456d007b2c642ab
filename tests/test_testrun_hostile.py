"""Hostile submissions: tests and install steps that try the network (the host's loopback
included), write outside their folder, read TATS's settings, leave processes behind, allocate
and print too much, loop forever; archives that reach out of their tree.

Each is contained, ends in one of the five statuses, leaves nothing behind but the kept output,
and no secret of TATS's appears anywhere in the report.
"""

from __future__ import annotations

import io
import json
import socket
import tarfile
import uuid
from pathlib import Path

import pytest

from tats_core.testrun import RunConfig, SubmissionTestReport, TestStatus, run_submission
from tests import testrun_fixtures
from tests.testrun_fixtures import TOP, processes_marked, submission, tarball

# pytest fixtures, by the names tests ask for
loopback_server = testrun_fixtures.loopback_server
sandbox_base = testrun_fixtures.sandbox_base
sandbox_config = testrun_fixtures.sandbox_config
sandbox_folder = testrun_fixtures.sandbox_folder


SECRET = "tats-hostile-secret-" + uuid.uuid4().hex


@pytest.fixture
def secrets_around(monkeypatch: pytest.MonkeyPatch) -> str:
    """TATS's settings in the worker's environment and in a .env where it runs."""
    for name in ("QSTASH_TOKEN", "GITHUB_TOKEN", "COHERE_API_KEY", "TATS_WEBHOOK_SECRET"):
        monkeypatch.setenv(name, SECRET)
    monkeypatch.setenv("DATABASE_URL", f"postgresql://tats:{SECRET}@127.0.0.1:5432/tats")
    (Path.cwd() / ".env").write_text(f"QSTASH_CURRENT_SIGNING_KEY={SECRET}\n")
    return SECRET


def _contained(report: SubmissionTestReport, config: RunConfig, seen: list[str]) -> None:
    assert seen == []  # the loopback server heard nothing
    assert SECRET not in json.dumps(report.to_dict())
    assert list(config.runs_dir.iterdir()) == []


def _hostile_config(url: str, config: RunConfig, mark: str) -> str:
    host_paths = [str(Path.cwd()), str(config.cache_dir), "/root", "/work"]
    return json.dumps(
        {
            "port": int(url.rsplit(":", 1)[1]),
            "loopback_url": url,
            "registry_ip": socket.getaddrinfo("pypi.org", 443)[0][4][0],
            "host_paths": host_paths,
            "mark": mark,
        }
    )


def test_a_hostile_python_suite_is_contained(
    sandbox_config: RunConfig,
    loopback_server: tuple[str, list[str]],
    secrets_around: str,
):
    url, seen = loopback_server
    mark = "41" + str(uuid.uuid4().int)[:6]
    requirements = (
        f"--index-url {url}/simple\n--extra-index-url {url}/extra\n-f {url}/wheels\n"
        "--trusted-host 127.0.0.1\nmore-itertools\n"
    )
    changes = {
        "hostile.json": _hostile_config(url, sandbox_config, mark),
        "requirements.txt": requirements,
    }
    report = run_submission(submission("python_hostile", changes), config=sandbox_config)
    assert report.tests.status == TestStatus.PASSED, report.tests.note + report.tests.output[-4000:]
    assert report.tests.passed == 6  # every way out was shut
    assert (
        "requirements.txt:1: option --index-url ignored (TATS installs from the registry)"
        in report.notices
    )
    assert processes_marked(mark) == []  # setsid, nohup and double-forked sleepers are all gone
    _contained(report, sandbox_config, seen)


def test_npm_install_scripts_registry_settings_and_lockfile_urls_are_neutralised(
    sandbox_config: RunConfig,
    loopback_server: tuple[str, list[str]],
    secrets_around: str,
):
    url, seen = loopback_server
    lock = {
        "name": "hostile",
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "hostile", "dependencies": {"ms": "^2.1.3"}},
            "node_modules/ms": {"version": "2.1.3", "resolved": f"{url}/ms/-/ms-2.1.3.tgz"},
        },
    }
    changes = {
        "hostile.json": _hostile_config(url, sandbox_config, "unused"),
        ".npmrc": f"registry={url}/\n//127.0.0.1:{url.rsplit(':', 1)[1]}/:_authToken=stolen\n",
        "package-lock.json": json.dumps(lock),
    }
    report = run_submission(submission("node_hostile", changes), config=sandbox_config)
    assert report.tests.status == TestStatus.PASSED, report.tests.note + report.tests.output[-4000:]
    assert report.tests.passed == 4
    assert (
        report.notices[0]
        == ".npmrc removed (TATS installs from the registry with its own settings)"
    )
    assert report.notices[1].startswith(
        "package-lock.json dropped (node_modules/ms from http://127.0.0.1:"
    )
    _contained(report, sandbox_config, seen)


def test_dependencies_named_by_url_are_refused_before_anything_runs(
    sandbox_config: RunConfig,
    loopback_server: tuple[str, list[str]],
):
    url, seen = loopback_server
    wheel = f"{url}/more_itertools-10.0.0-py3-none-any.whl"
    report = run_submission(
        submission("python_words", {"requirements.txt": f"more-itertools @ {wheel}\n"}),
        config=sandbox_config,
    )
    assert report.tests.status == TestStatus.NOT_RUN
    assert (
        report.tests.note
        == f"not installed: requirements.txt:1: more-itertools is named by URL ({wheel})"
    )
    _contained(report, sandbox_config, seen)


def test_printing_forever_keeps_a_megabyte_and_looping_forever_is_stopped(
    sandbox_config: RunConfig,
):
    flood = "const line = 'x'.repeat(1023) + '\\n';\nfor (let i = 0; i < 40 * 1024; i++) process.stdout.write(line);\n"
    files = {
        "package.json": json.dumps({"name": "f", "scripts": {"test": "node flood.js"}}),
        "flood.js": flood,
    }
    report = run_submission(
        tarball({p: t.encode() for p, t in files.items()}), config=sandbox_config
    )
    assert report.tests.status == TestStatus.PASSED  # judged by its exit code
    assert 500_000 < len(report.tests.output) < 1_100_000  # 40 MB printed, about 1 MB kept
    assert "bytes left out" in report.tests.output

    mark = "51" + str(uuid.uuid4().int)[:6]
    detach_and_loop = (
        "import os, subprocess\n\n\ndef test_forever():\n"
        f"    subprocess.Popen(['sleep', '{mark}'], start_new_session=True)\n"
        "    while True:\n        os.getpid()\n"
    )
    quick = RunConfig(**{**sandbox_config.__dict__, "test_timeout": 2})
    report = run_submission(
        submission("python_words", {"tests/test_loop.py": detach_and_loop}), config=quick
    )
    assert report.tests.status == TestStatus.TIMED_OUT
    assert processes_marked(mark) == []


def _archive(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for info, data in members:
            info.size = len(data) if info.type == tarfile.REGTYPE else 0
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


@pytest.mark.parametrize(
    ("member", "note"),
    [
        (
            _member(f"{TOP}/../../escaped.py"),
            f"archive refused: {TOP}/../../escaped.py: '..' leads out of the tree",
        ),
        (
            _member("/tmp/escaped.py"),
            "archive refused: /tmp/escaped.py: absolute paths are refused",
        ),
        (
            _member(f"{TOP}/tests", tarfile.SYMTYPE, "../../.."),
            f"archive refused: {TOP}/tests: a link out of the tree (../../..) is refused",
        ),
    ],
    ids=["dotdot", "absolute", "link-out"],
)
def test_archives_reaching_out_of_their_tree_are_refused(
    sandbox_config: RunConfig, member, note: str
):
    data = _archive((_member(f"{TOP}/requirements.txt"), b"pytest\n"), (member, b"import os\n"))
    report = run_submission(data, acceptance={"tests/test_x.py": b""}, config=sandbox_config)
    assert (report.tests.status, report.tests.note) == (TestStatus.NOT_RUN, note)
    assert report.acceptance == report.tests
    assert not Path("/tmp/escaped.py").exists()
    assert not (sandbox_config.cache_dir / "escaped.py").exists()
    assert list(sandbox_config.runs_dir.iterdir()) == []
