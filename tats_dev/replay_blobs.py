"""Giving replay repositories file text: ``blobs/<sha>`` written, ``tree.json`` kept matching.

A git blob's sha is ``sha1(b"blob <size>\\0" + bytes)``; the replay finds a file's bytes by the sha
its tree lists, so the two must agree. Used to build the test and demo repositories, and by tests
that make repositories of their own:

    .venv/bin/python -m tats_dev.replay_blobs REPO_DIR SOURCE_DIR   # every file of SOURCE_DIR
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path


def git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def add_blobs(repo_dir: Path, files: Mapping[str, bytes], *, tree_file: str = "tree.json") -> None:
    """Store ``files`` (path -> bytes) under ``repo_dir/blobs`` and set their sha and size in
    the tree (adding entries the tree lacks)."""
    blobs = repo_dir / "blobs"
    blobs.mkdir(exist_ok=True)
    tree_path = repo_dir / tree_file
    tree = json.loads(tree_path.read_text(encoding="utf-8"))
    entries = {e["path"]: e for e in tree["tree"]}
    for path, data in sorted(files.items()):
        sha = git_blob_sha(data)
        (blobs / sha).write_bytes(data)
        entry = entries.get(path)
        if entry is None:
            entry = {"path": path, "mode": "100644", "type": "blob"}
            tree["tree"].append(entry)
        entry.update(sha=sha, size=len(data))
    tree["tree"].sort(key=lambda e: e["path"])
    tree_path.write_text(json.dumps(tree, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    repo_dir, source = Path(argv[0]), Path(argv[1])
    files = {
        p.relative_to(source).as_posix(): p.read_bytes() for p in source.rglob("*") if p.is_file()
    }
    add_blobs(repo_dir, files)
    print(f"{len(files)} blobs added to {repo_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
