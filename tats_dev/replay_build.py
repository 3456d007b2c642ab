"""Writing a whole replay repository from a folder of files (format: ``replay_data``).

The demo's submissions with tests and the tests' sandboxed submissions are folders of real code;
this turns one into what the GitHub replay serves (repository facts, a history of commits over
several days, the tree, root manifests and every file's bytes), so the worker reads, downloads
and runs it exactly as it would a repository on GitHub:

    write_repo(repos_dir, "acme/words", Path("tests/submissions/python_words"))
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tats_core.repo import files as repo_files
from tats_dev.replay_blobs import git_blob_sha

START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
MANIFESTS = ("package.json", "pyproject.toml", "requirements.txt", "go.mod", "setup.py")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _dump(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=1) + "\n", encoding="utf-8")


def read_folder(source: Path) -> dict[str, bytes]:
    """Every file under ``source`` (caches and dot-folders of tools left out), by path."""
    skip = {"__pycache__", "node_modules", ".pytest_cache", ".venv"}
    return {
        path.relative_to(source).as_posix(): path.read_bytes()
        for path in sorted(source.rglob("*"))
        if path.is_file() and not skip & set(path.relative_to(source).parts)
    }


def commit_messages(count: int) -> list[str]:
    return [f"Work on the assignment, step {i + 1}" for i in range(count)]


def write_repo(
    repos_dir: Path,
    full_name: str,
    source: Path | dict[str, bytes],
    *,
    commits: list[str] | None = None,
    every: timedelta = timedelta(hours=7),
    description: str | None = None,
) -> Path:
    """Write ``full_name``'s replay directory under ``repos_dir`` and return it. ``commits``:
    the messages, oldest first (one commit a step of ``every``); the newest holds the files."""
    owner, name = full_name.split("/", 1)
    files = read_folder(source) if isinstance(source, Path) else dict(source)
    messages = commits or commit_messages(6)
    repo_dir = repos_dir / f"{owner}__{name}"
    (repo_dir / "blobs").mkdir(parents=True, exist_ok=True)
    (repo_dir / "contents").mkdir(exist_ok=True)
    for data in files.values():
        (repo_dir / "blobs" / git_blob_sha(data)).write_bytes(data)
    history = _commits(full_name, messages, every)
    head = history[0]["sha"]
    pushed = history[0]["commit"]["author"]["date"]
    _dump(repo_dir / "repo.json", _repo(owner, name, description, pushed))
    _dump(repo_dir / "commits.json", history)
    _dump(repo_dir / "branches.json", [{"name": "main", "commit": {"sha": head, "url": ""}}])
    _dump(repo_dir / "tree.json", _tree(files))
    _dump(repo_dir / "languages.json", _languages(files))
    for path in MANIFESTS:
        if path in files:
            (repo_dir / "contents" / path).write_bytes(files[path])
    readme = next((p for p in files if "/" not in p and repo_files.is_readme(p)), None)
    if readme is not None:
        (repo_dir / "readme.md").write_bytes(files[readme])
    return repo_dir


def _repo(owner: str, name: str, description: str | None, pushed: str) -> dict[str, object]:
    number = int(hashlib.sha1(f"{owner}/{name}".encode()).hexdigest()[:6], 16)
    return {
        "id": 800_000 + number,
        "name": name,
        "full_name": f"{owner}/{name}",
        "owner": {"login": owner, "type": "User"},
        "private": False,
        "html_url": f"https://github.com/{owner}/{name}",
        "description": description,
        "fork": False,
        "created_at": _iso(START - timedelta(hours=1)),
        "updated_at": pushed,
        "pushed_at": pushed,
        "size": 20,
        "language": None,
        "default_branch": "main",
        "archived": False,
        "disabled": False,
    }


def _commits(full_name: str, messages: list[str], every: timedelta) -> list[dict[str, Any]]:
    """Newest first, as the API lists them; shas derived from the name and position."""
    shas = [hashlib.sha1(f"{full_name}:{i}".encode()).hexdigest() for i in range(len(messages))]
    history: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        when = _iso(START + i * every)
        person = {"name": "Candidate", "email": "candidate@users.noreply.example", "date": when}
        history.append(
            {
                "sha": shas[i],
                "commit": {"author": person, "committer": person, "message": message},
                "author": {"login": "candidate"},
                "parents": [{"sha": shas[i - 1]}] if i else [],
            }
        )
    return list(reversed(history))


def _tree(files: dict[str, bytes]) -> dict[str, object]:
    folders = {"/".join(p.split("/")[:i]) for p in files for i in range(1, p.count("/") + 1)}
    entries: list[dict[str, object]] = [
        {"path": folder, "mode": "040000", "type": "tree", "sha": git_blob_sha(folder.encode())}
        for folder in folders
    ]
    entries += [
        {"path": path, "mode": "100644", "type": "blob", "sha": git_blob_sha(data)}
        | {"size": len(data)}
        for path, data in files.items()
    ]
    entries.sort(key=lambda e: str(e["path"]))
    tree_sha = hashlib.sha1(json.dumps(entries).encode()).hexdigest()
    return {"sha": tree_sha, "url": "", "tree": entries, "truncated": False}


def _languages(files: dict[str, bytes]) -> dict[str, int]:
    sizes: Counter[str] = Counter()
    for path, data in files.items():
        if (language := repo_files.code_language(path)) is not None:
            sizes[language] += len(data)
    return dict(sizes.most_common())
