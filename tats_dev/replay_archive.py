"""A replay repository at one commit as the tar.gz GitHub's tarball endpoint gives
(``codeload.github.com/{owner}/{repo}/legacy.tar.gz/{ref}``).

One top folder ``{owner}-{repo}-{sha7}/``, a pax global header whose comment is the commit sha,
directories before their files, modes from the tree (``100755`` executable, ``120000`` a
symbolic link whose blob is its target), every entry dated at the commit. Files whose bytes the
replay does not hold (repositories without ``blobs/``) are left out; submodules are not in it,
as on GitHub.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from datetime import datetime
from typing import Any

from tats_dev.replay_data import RefData, RepoData

FILE_MODE, EXECUTABLE_MODE, DIRECTORY_MODE = 0o664, 0o775, 0o775


def top_folder(repo: RepoData, commit_sha: str) -> str:
    return f"{repo.full_name.replace('/', '-')}-{commit_sha[:7]}"


def commit_time(data: RefData) -> int:
    if not data.commits:
        return 0
    author = (data.commits[0].get("commit") or {}).get("author") or {}
    date = author.get("date")
    return int(datetime.fromisoformat(date.replace("Z", "+00:00")).timestamp()) if date else 0


def _directories(entries: list[dict[str, Any]]) -> set[str]:
    """Every folder of the tree: listed ones and the parents of listed files."""
    folders = {e["path"] for e in entries if e.get("type") == "tree"}
    for entry in entries:
        parts = entry["path"].split("/")[:-1]
        folders.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return folders


def _member(
    top: str, data: RefData, entry: dict[str, Any], mtime: int
) -> tuple[tarfile.TarInfo, bytes | None] | None:
    """One tree entry as a tar member and its bytes; None when the replay lacks them."""
    info = tarfile.TarInfo(f"{top}/{entry['path']}")
    info.mtime = mtime
    if entry.get("type") == "tree":
        info.name += "/"
        info.type, info.mode = tarfile.DIRTYPE, DIRECTORY_MODE
        return info, None
    content = data.blob(entry["path"]) if entry.get("type") == "blob" else None
    if content is None:
        return None
    if entry.get("mode") == "120000":
        info.type, info.linkname, info.mode = tarfile.SYMTYPE, content.decode(), 0o777
        return info, None
    info.mode = EXECUTABLE_MODE if entry.get("mode") == "100755" else FILE_MODE
    info.size = len(content)
    return info, content


def tarball(repo: RepoData, data: RefData) -> bytes:
    """The archive of ``data``'s head commit: each folder before what it holds."""
    sha = data.head or ""
    top, mtime = top_folder(repo, sha), commit_time(data)
    listed = (data.tree or {}).get("tree", [])
    folders = [{"path": f, "type": "tree"} for f in _directories(listed)]
    files = [e for e in listed if e.get("type") != "tree"]
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=mtime) as packed,
        tarfile.open(
            fileobj=packed, mode="w", format=tarfile.PAX_FORMAT, pax_headers={"comment": sha}
        ) as tar,
    ):
        root = tarfile.TarInfo(f"{top}/")
        root.type, root.mode, root.mtime = tarfile.DIRTYPE, DIRECTORY_MODE, mtime
        tar.addfile(root)
        for entry in sorted(folders + files, key=lambda e: str(e["path"])):
            member = _member(top, data, entry, mtime)
            if member is not None:
                info, content = member
                tar.addfile(info, io.BytesIO(content) if content is not None else None)
    return buffer.getvalue()
