"""Submissions as GitHub serves them (a tar.gz with one top folder), and a sandbox to run them.

Tests that need the sandbox ask for ``sandbox_config``: when bubblewrap is missing they skip
with the reason, except in CI (``CI`` set), where they fail. Dependency caches are shared by
the whole session (one folder per xdist worker), as a job's candidates share them.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tats_core.testrun import RunConfig, engine_available
from tats_core.testrun.submission import remove_tree
from tests.servers import serve

SUBMISSIONS = Path(__file__).parent / "submissions"
TOP = "candidate-take-home-0a1b2c3"


def submission_files(
    name: str, changes: Mapping[str, str | bytes | None] | None = None
) -> dict[str, bytes]:
    """The files of ``tests/submissions/<name>``, with ``changes`` applied (None deletes)."""
    root = SUBMISSIONS / name
    files = {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
    for path, text in (changes or {}).items():
        if text is None:
            files = {p: d for p, d in files.items() if p != path and not p.startswith(path + "/")}
        else:
            files[path] = text.encode() if isinstance(text, str) else text
    return files


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Write ``files`` (relative path -> text) under ``root``."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def processes_marked(mark: str) -> list[int]:
    """Every process on this host whose command line holds ``mark``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and mark in (entry / "cmdline").read_text():
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def tarball(files: Mapping[str, bytes], top: str = TOP) -> bytes:
    """A tar.gz shaped like GitHub's: one top folder ``{owner}-{repo}-{sha7}/``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        folder = tarfile.TarInfo(top)
        folder.type, folder.mode = tarfile.DIRTYPE, 0o755
        archive.addfile(folder)
        for path, data in files.items():
            info = tarfile.TarInfo(f"{top}/{path}")
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def submission(name: str, changes: Mapping[str, str | bytes | None] | None = None) -> bytes:
    return tarball(submission_files(name, changes))


@pytest.fixture(scope="session")
def sandbox_base() -> RunConfig:
    cache = Path(tempfile.gettempdir()) / "tats-testrun-cache"  # warm across sessions
    config = RunConfig(cache_dir=cache, test_timeout=60, install_timeout=180)
    reason = engine_available(config)
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the sandbox is needed in CI: {reason}")
        pytest.skip(f"no sandbox here: {reason}")
    return config


def require_tool(command: str, package: str) -> None:
    """A test that needs ``command`` fails without it in CI (``.ci/run`` installs it), else skips."""
    if shutil.which(command) is None:
        message = f"{command} is not installed here (apt-get install {package})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def sandbox_folder(sandbox_base: RunConfig) -> Iterator[Path]:
    """A folder of this test's own that the sandbox's users can reach (pytest's tmp_path is
    private to root), removed afterwards."""
    # In memory where the host has a tmpfs: a run's thousands of files (a virtualenv) cost
    # ~2 ms each to delete on a disk mounted with online discard, as this machine's is.
    shm = Path("/dev/shm")
    base = (
        shm / "tats-testrun" if shm.is_dir() and os.access(shm, os.W_OK) else sandbox_base.cache_dir
    )
    folder = base / "tests" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    base.chmod(0o711)
    folder.parent.chmod(0o711)
    folder.chmod(0o711)
    yield folder
    remove_tree(folder)


@pytest.fixture
def sandbox_config(sandbox_base: RunConfig, sandbox_folder: Path) -> RunConfig:
    """The session's caches, this test's own run folders (so it can check they are removed)."""
    return replace(sandbox_base, work_dir=sandbox_folder / "runs")


def recording_app() -> Starlette:
    """An HTTP server on loopback that answers every request and records its path: whatever
    reaches it from a sandbox is a leak."""
    seen: list[str] = []

    async def anything(request: Request) -> PlainTextResponse:
        seen.append(request.url.path)
        return PlainTextResponse("reached")

    app = Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST", "HEAD"])])
    app.state.seen = seen
    return app


@pytest.fixture
def loopback_server() -> Iterator[tuple[str, list[str]]]:
    """(its URL, the paths it was asked for)."""
    app = recording_app()
    with serve(app) as url:
        yield url, app.state.seen
