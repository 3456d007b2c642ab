"""Unpacking untrusted archives: what is refused, and that nothing of a refused one is left."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from tats_core.errors import ArchiveError
from tats_core.testrun.archive import (
    ArchiveLimits,
    extract_archive,
    place_files,
    read_archive_files,
    read_folder_files,
)

TOP = "owner-repo-abc1234"


def _tar(*members: tarfile.TarInfo | tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for member in members:
            if isinstance(member, tuple):
                info = tarfile.TarInfo(member[0])
                info.size = len(member[1])
                archive.addfile(info, io.BytesIO(member[1]))
            else:
                archive.addfile(member)
    return buffer.getvalue()


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def _special(name: str, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    return info


def _zip(files: dict[str, bytes], *, modes: dict[str, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (modes or {}).get(name, 0o100644) << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def test_a_github_tarball_unpacks_without_its_top_folder(tmp_path: Path):
    script = tarfile.TarInfo(f"{TOP}/run.sh")
    script.size, script.mode = 3, 0o4755  # setuid is dropped, the executable bit kept
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        archive.pax_headers = {"comment": "a" * 40}  # GitHub puts the commit id there
        archive.addfile(_special(TOP, tarfile.DIRTYPE))
        archive.addfile(script, io.BytesIO(b"ls\n"))
        for name, data in ((f"{TOP}/src/app.py", b"print(1)\n"), (f"{TOP}/README.md", b"# x\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        archive.addfile(_link(f"{TOP}/docs", "src"))
    dest = tmp_path / "tree"
    assert extract_archive(buffer.getvalue(), dest) == 4
    assert (dest / "src" / "app.py").read_bytes() == b"print(1)\n"
    assert stat.S_IMODE((dest / "run.sh").stat().st_mode) == 0o755
    assert (dest / "docs").is_symlink() and (dest / "docs" / "app.py").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tree"]


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        ((f"{TOP}/../escape.txt", b"x"), "'..' leads out of the tree"),
        (("/etc/cron.d/job", b"x"), "absolute paths are refused"),
        (_link(f"{TOP}/etc", "/etc"), "a link to an absolute path (/etc) is refused"),
        (_link(f"{TOP}/up", "../../.."), "a link out of the tree (../../..) is refused"),
        (_link(f"{TOP}/hard", "/etc/passwd", tarfile.LNKTYPE), "absolute paths are refused"),
        (_link(f"{TOP}/hard", f"{TOP}/missing", tarfile.LNKTYPE), "not a file before it"),
        (_special(f"{TOP}/dev", tarfile.CHRTYPE), "devices, fifos and sparse files are refused"),
        (_special(f"{TOP}/fifo", tarfile.FIFOTYPE), "devices, fifos and sparse files are refused"),
    ],
    ids=[
        "dotdot",
        "absolute",
        "symlink-absolute",
        "symlink-up",
        "hardlink-out",
        "hardlink-dangling",
        "device",
        "fifo",
    ],
)
def test_unsafe_members_refuse_the_whole_archive(tmp_path: Path, member, reason: str):
    data = _tar(_special(TOP, tarfile.DIRTYPE), (f"{TOP}/ok.txt", b"fine"), member)
    with pytest.raises(ArchiveError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        extract_archive(data, tmp_path / "tree")
    assert list(tmp_path.iterdir()) == []  # nothing half-unpacked is left
    assert not Path("/escape.txt").exists()


def test_links_that_leave_only_through_other_links_are_refused(tmp_path: Path):
    # each target looks inside on paper; resolved, x -> sub/up/.. is the tree's parent
    data = _tar(
        (f"{TOP}/sub/file", b"x"),
        _link(f"{TOP}/x", "sub/up/.."),
        _link(f"{TOP}/sub/up", ".."),
    )
    with pytest.raises(ArchiveError, match="x: a link out of the tree"):
        extract_archive(data, tmp_path / "tree")


def test_bombs_are_refused_by_count_and_size_before_they_are_read(tmp_path: Path):
    limits = ArchiveLimits(max_files=10, max_bytes=1000, max_file_bytes=600)
    many = _tar(*[(f"{TOP}/f{i}", b"x") for i in range(11)])
    with pytest.raises(ArchiveError, match="more than 10 files"):
        extract_archive(many, tmp_path / "a", limits)
    large = _tar((f"{TOP}/big", b"\0" * 601))
    with pytest.raises(ArchiveError, match="big: larger than 600 bytes"):
        extract_archive(large, tmp_path / "b", limits)
    total = _tar(*[(f"{TOP}/part{i}", b"\0" * 500) for i in range(3)])
    with pytest.raises(ArchiveError, match="more than 1,000 bytes unpacked"):
        extract_archive(total, tmp_path / "c", limits)
    # hard links copy their file: a thousand links to one file are a thousand files' bytes
    links = _tar(
        (f"{TOP}/one", b"\0" * 400),
        *[_link(f"{TOP}/l{i}", f"{TOP}/one", tarfile.LNKTYPE) for i in range(3)],
    )
    with pytest.raises(ArchiveError, match="more than 1,000 bytes unpacked"):
        extract_archive(links, tmp_path / "d", limits)
    zipped = _zip({"zeros": b"\0" * 10_000})  # 10 KB of zeros is a few dozen bytes zipped
    with pytest.raises(ArchiveError, match="zeros: larger than 600 bytes"):
        extract_archive(zipped, tmp_path / "e", limits)
    assert list(tmp_path.iterdir()) == []


def test_zip_members_are_checked_like_tar_members(tmp_path: Path):
    with pytest.raises(ArchiveError, match=r"'\.\.' leads out"):
        extract_archive(_zip({"../x": b"x"}), tmp_path / "a")
    link_out = _zip({"a/ok": b"x", "a/passwd": b"/etc/passwd"}, modes={"a/passwd": 0o120777})
    with pytest.raises(ArchiveError, match="a link to an absolute path"):
        extract_archive(link_out, tmp_path / "b")
    fifo = _zip({"a/pipe": b""}, modes={"a/pipe": 0o010644})
    with pytest.raises(ArchiveError, match="devices, fifos and sockets are refused"):
        extract_archive(fifo, tmp_path / "c")
    with pytest.raises(ArchiveError, match=r"not a tar\.gz or zip archive"):
        extract_archive(b"<html>rate limited</html>", tmp_path / "d")
    extract_archive(_zip({"pkg/a.py": b"1", "pkg/b/c.py": b"2"}), tmp_path / "ok")
    assert (tmp_path / "ok" / "b" / "c.py").read_bytes() == b"2"  # pkg/ was the top folder


def test_acceptance_files_come_from_a_zip_or_a_folder_and_land_at_their_paths(tmp_path: Path):
    files = read_archive_files(_zip({"tests/test_api.py": b"t", "tests/data/in.json": b"{}"}))
    assert files == {"tests/test_api.py": b"t", "tests/data/in.json": b"{}"}  # no stripping
    with pytest.raises(ArchiveError, match="links are not accepted"):
        read_archive_files(_zip({"t/x": b"/etc/passwd"}, modes={"t/x": 0o120777}))
    folder = tmp_path / "acceptance"
    (folder / "tests").mkdir(parents=True)
    (folder / "tests" / "test_api.py").write_text("t")
    assert read_folder_files(folder) == {"tests/test_api.py": b"t"}

    tree = tmp_path / "tree"
    (tree / "elsewhere").mkdir(parents=True)
    (tree / "tests").symlink_to("elsewhere")  # the candidate's link must not redirect them
    (tree / "elsewhere" / "test_api.py").write_text("candidate's")
    place_files(files, tree)
    assert not (tree / "tests").is_symlink()
    assert (tree / "tests" / "test_api.py").read_text() == "t"
    assert (tree / "elsewhere" / "test_api.py").read_text() == "candidate's"
    with pytest.raises(ArchiveError, match="leads out of the tree"):
        place_files({"../outside.py": b"x"}, tree)
