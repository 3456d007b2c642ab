"""Untrusted archives (tar.gz as GitHub's tarball endpoint gives it, or zip) unpacked safely.

Refused, with the member named: absolute paths, ``..``, symlinks or hard links that lead out
of the tree (checked as the kernel resolves them, after every link exists), devices, fifos,
sparse or encrypted members, and archives over the file-count or size bounds (zip bombs: the
bounds are checked on declared sizes before reading and on the bytes actually read).
Nothing is written through a link: regular files are written first, links made last.
"""

from __future__ import annotations

import io
import os
import posixpath
import shutil
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tats_core.errors import ArchiveError

Kind = Literal["file", "dir", "symlink", "hardlink"]


@dataclass(frozen=True)
class ArchiveLimits:
    max_files: int = 20_000
    max_bytes: int = 256 * 1024 * 1024
    max_file_bytes: int = 64 * 1024 * 1024


@dataclass(frozen=True)
class _Entry:
    path: str  # cleaned, relative, "/"-separated
    kind: Kind
    data: bytes = b""
    link: str = ""  # symlink target as stored, or hard link's archive path (cleaned)
    executable: bool = False


def extract_archive(data: bytes, dest: Path, limits: ArchiveLimits = ArchiveLimits()) -> int:
    """Unpack ``data`` into ``dest`` (which must not exist); returns the number of files.

    A single top folder (GitHub's ``{owner}-{repo}-{sha7}/``) is stripped. On refusal nothing is
    left behind and ``ArchiveError`` says why.
    """
    staging = dest.with_name(dest.name + ".unpacking")
    staging.mkdir(parents=True)
    try:
        count, links = _write_tree(_entries(data, limits), staging)
        tree = _single_top_folder(staging) or staging
        _check_links(staging, links, tree)
        tree.rename(dest)
        return count
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def read_archive_files(data: bytes, limits: ArchiveLimits = ArchiveLimits()) -> dict[str, bytes]:
    """The regular files of an archive (the employer's acceptance tests), by relative path.

    Paths are kept as stored (no top folder is stripped): zip the folder's contents. Links
    are refused: acceptance tests are plain files.
    """
    files: dict[str, bytes] = {}
    for entry in _entries(data, limits):
        if entry.kind in ("symlink", "hardlink"):
            raise ArchiveError(f"{entry.path}: links are not accepted among acceptance files")
        if entry.kind == "file":
            files[entry.path] = entry.data
    return files


def read_folder_files(root: Path, limits: ArchiveLimits = ArchiveLimits()) -> dict[str, bytes]:
    """The regular files under ``root`` by relative path (``import --acceptance-dir D``)."""
    files: dict[str, bytes] = {}
    total = 0
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            raise ArchiveError(f"{path.relative_to(root)}: links are not accepted")
        if not path.is_file():
            continue
        size = path.stat().st_size
        total += size
        if (
            len(files) >= limits.max_files
            or size > limits.max_file_bytes
            or total > limits.max_bytes
        ):
            raise ArchiveError(f"{root}: more than the acceptance files' bounds allow")
        files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def place_files(files: dict[str, bytes], root: Path) -> None:
    """Write ``files`` over the tree at ``root``, replacing whatever stands at their paths.

    A link on the way (``tests -> elsewhere``) is replaced by a real folder, so the file lands
    at exactly its relative path inside the tree.
    """
    for name, data in files.items():
        parts = _clean_parts(name)
        folder = root
        for part in parts[:-1]:
            folder = folder / part
            if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
                folder.unlink()
            folder.mkdir(exist_ok=True)
        target = folder / parts[-1]
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            shutil.rmtree(target)
        target.write_bytes(data)


def _clean_parts(name: str) -> list[str]:
    if not name or "\x00" in name or len(name) > 4096:
        raise ArchiveError(f"{name!r}: not a usable path")
    if name.startswith("/"):
        raise ArchiveError(f"{name}: absolute paths are refused")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ArchiveError(f"{name}: '..' leads out of the tree")
    if not parts:
        raise ArchiveError(f"{name!r}: not a usable path")
    return parts


def _entries(data: bytes, limits: ArchiveLimits) -> Iterator[_Entry]:
    budget = _Budget(limits)
    if data[:2] == b"\x1f\x8b":
        yield from _tar_entries(data, budget)
    elif data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        yield from _zip_entries(data, budget)
    else:
        raise ArchiveError("not a tar.gz or zip archive")


class _Budget:
    def __init__(self, limits: ArchiveLimits) -> None:
        self.limits = limits
        self.files = 0
        self.bytes = 0
        self.sizes: dict[str, int] = {}

    def take(self, name: str, size: int) -> None:
        self.sizes[name] = size
        self.files += 1
        self.bytes += size
        if self.files > self.limits.max_files:
            raise ArchiveError(f"more than {self.limits.max_files:,} files")
        if size > self.limits.max_file_bytes:
            raise ArchiveError(f"{name}: larger than {self.limits.max_file_bytes:,} bytes")
        if self.bytes > self.limits.max_bytes:
            raise ArchiveError(f"more than {self.limits.max_bytes:,} bytes unpacked")


def _tar_entries(data: bytes, budget: _Budget) -> Iterator[_Entry]:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for member in archive:
                entry = _tar_entry(archive, member, budget)
                if entry is not None:
                    yield entry
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise ArchiveError(f"unreadable tar.gz: {exc}") from exc


def _tar_entry(archive: tarfile.TarFile, member: tarfile.TarInfo, budget: _Budget) -> _Entry | None:
    if member.type in (tarfile.XGLTYPE, tarfile.XHDTYPE):  # pax headers (GitHub's commit id)
        return None
    path = "/".join(_clean_parts(member.name))
    if member.islnk():  # a copy of an earlier file: it costs that file's size again
        source = "/".join(_clean_parts(member.linkname))
        budget.take(path, budget.sizes.get(source, 0))
        return _Entry(path, "hardlink", link=source)
    budget.take(path, member.size if member.isreg() else 0)
    if member.isdir():
        return _Entry(path, "dir")
    if member.issym():
        return _Entry(path, "symlink", link=member.linkname)
    if member.isreg() and not member.issparse():
        stream = archive.extractfile(member)
        content = stream.read(member.size + 1) if stream else b""
        if len(content) != member.size:
            raise ArchiveError(f"{path}: its size does not match its header")
        return _Entry(path, "file", data=content, executable=bool(member.mode & 0o111))
    raise ArchiveError(f"{path}: devices, fifos and sparse files are refused")


def _zip_entries(data: bytes, budget: _Budget) -> Iterator[_Entry]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > budget.limits.max_files:
                raise ArchiveError(f"more than {budget.limits.max_files:,} files")
            for info in infos:
                yield _zip_entry(archive, info, budget)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, zlib.error) as exc:
        raise ArchiveError(f"unreadable zip: {exc}") from exc


def _zip_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget) -> _Entry:
    path = "/".join(_clean_parts(info.filename))
    mode = info.external_attr >> 16
    if info.is_dir():
        budget.take(path, 0)
        return _Entry(path, "dir")
    if info.flag_bits & 0x1:
        raise ArchiveError(f"{path}: encrypted members are refused")
    budget.take(path, info.file_size)
    with archive.open(info) as stream:
        content = stream.read(budget.limits.max_file_bytes + 1)
    if len(content) != info.file_size:
        raise ArchiveError(f"{path}: its size does not match its header")
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        return _Entry(path, "symlink", link=content.decode("utf-8", errors="replace"))
    if kind not in (0, stat.S_IFREG):
        raise ArchiveError(f"{path}: devices, fifos and sockets are refused")
    return _Entry(path, "file", data=content, executable=bool(mode & 0o111))


def _write_tree(entries: Iterator[_Entry], root: Path) -> tuple[int, list[_Entry]]:
    try:
        return _write_entries(entries, root)
    except OSError as exc:  # a file where a folder must go, and the like
        raise ArchiveError(f"cannot unpack: {exc.strerror}: {exc.filename}") from exc


def _write_entries(entries: Iterator[_Entry], root: Path) -> tuple[int, list[_Entry]]:
    links: list[_Entry] = []
    written: dict[str, Path] = {}
    for entry in entries:
        target = root.joinpath(*entry.path.split("/"))
        if entry.kind == "dir":
            target.mkdir(parents=True, exist_ok=True)
        elif entry.kind == "file":
            _write_file(target, entry.data, entry.executable)
            written[entry.path] = target
        elif entry.kind == "hardlink":
            source = written.get(entry.link)
            if source is None:
                raise ArchiveError(f"{entry.path}: hard link to {entry.link}, not a file before it")
            _write_file(target, source.read_bytes(), os.access(source, os.X_OK))
            written[entry.path] = target
        else:
            links.append(entry)
    for link in links:
        _make_link(root, link)
    return len(written) + len(links), links


def _check_links(root: Path, links: list[_Entry], tree: Path) -> None:
    """Links through links (``up -> ..`` then ``x -> sub/up/..``) can leave a tree even when
    each target looks inside on paper: once all exist, ask the kernel where they lead, from
    the tree as it will stand (without the top folder)."""
    real_tree = os.path.realpath(tree)
    for link in links:
        resolved = os.path.realpath(root.joinpath(*link.path.split("/")))
        if resolved != real_tree and not resolved.startswith(real_tree + os.sep):
            raise ArchiveError(f"{link.path}: a link out of the tree ({link.link}) is refused")


def _write_file(target: Path, data: bytes, executable: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_dir() and not target.is_symlink():
        raise ArchiveError(f"{target.name}: a file and a folder share one path")
    target.write_bytes(data)
    target.chmod(0o755 if executable else 0o644)


def _make_link(root: Path, entry: _Entry) -> None:
    if entry.link.startswith("/") or "\x00" in entry.link:
        raise ArchiveError(f"{entry.path}: a link to an absolute path ({entry.link}) is refused")
    lexical = posixpath.normpath(posixpath.join(posixpath.dirname(entry.path), entry.link))
    if lexical == ".." or lexical.startswith("../"):
        raise ArchiveError(f"{entry.path}: a link out of the tree ({entry.link}) is refused")
    target = root.joinpath(*entry.path.split("/"))
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() or target.is_symlink():
        raise ArchiveError(f"{entry.path}: a link over another member is refused")
    target.symlink_to(entry.link)


def _single_top_folder(root: Path) -> Path | None:
    children = list(root.iterdir())
    if len(children) == 1 and children[0].is_dir() and not children[0].is_symlink():
        return children[0]
    return None
