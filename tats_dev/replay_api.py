"""The replay server's endpoints: GitHub REST shapes, raw file text, archives (the tarball
redirect and the codeload download) and the TATS snapshot GraphQL query.

Rate limits, ETags, scripted failures and the request log live in ``github_replay``; this module
only turns a request and the repositories on disk into GitHub's answer.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote, urlencode

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from tats_core.repo.files import is_readme
from tats_dev.replay_archive import tarball, top_folder
from tats_dev.replay_data import RefData, RepoData, RepoStore

RAW_PATH = re.compile(r"^/raw/(?P<owner>[^/]+)/(?P<name>[^/]+)/(?P<rev>[^/]+)/(?P<path>.+)$")
CODELOAD_PATH = re.compile(
    r"^/codeload/(?P<owner>[^/]+)/(?P<name>[^/]+)/legacy\.tar\.gz/(?:refs/heads/)?(?P<rev>.+)$"
)
REPO_PATH = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)(?P<rest>/.*)?$")
ID_PATH = re.compile(r"^/repositories/(?P<id>\d+)(?P<rest>/.*)?$")
EXPRESSION = re.compile(r"^(?P<rev>[^:]*):(?P<path>.*)$")
CHUNK_BYTES = 64 * 1024


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers, media_type="application/json; charset=utf-8")


def _error(status: int, message: str) -> Response:
    return _json({"message": message, "documentation_url": "https://docs.github.com/rest"}, status)


def rest(store: RepoStore, request: Request) -> Response:
    path = unquote(request.url.path)
    if match := REPO_PATH.match(path):
        full_name = f"{match['owner']}/{match['name']}"
        repo = store.get(full_name)
        if repo is None:
            moved = store.renamed(full_name)
            if moved is None:
                return _error(404, "Not Found")
            query = f"?{request.url.query}" if request.url.query else ""
            location = f"{request.base_url}repositories/{moved.id}{match['rest'] or ''}{query}"
            return _json(
                {"message": "Moved Permanently", "url": location}, 301, {"location": location}
            )
        return _repo_endpoint(repo, match["rest"] or "", request)
    if match := ID_PATH.match(path):
        repo = store.by_id(int(match["id"]))
        if repo is None:
            return _error(404, "Not Found")
        return _repo_endpoint(repo, match["rest"] or "", request)
    return _error(404, "Not Found")


def raw(store: RepoStore, request: Request) -> Response:
    """``/raw/{owner}/{repo}/{commit sha or branch}/{path}``: the file's bytes, as
    raw.githubusercontent.com answers them (plain 404 text when absent)."""
    match = RAW_PATH.match(unquote(request.url.path))
    repo = store.get(f"{match['owner']}/{match['name']}") if match else None
    content = (
        repo.file_at(match["rev"], match["path"]) if repo and match and not repo.empty else None
    )
    if content is None:
        return Response("404: Not Found", 404, media_type="text/plain; charset=utf-8")
    return Response(content, 200, media_type="text/plain; charset=utf-8")


def codeload(store: RepoStore, request: Request) -> Response:
    """``/codeload/{owner}/{repo}/legacy.tar.gz/{ref}``: the archive, generated on the fly and
    sent without a length, as codeload.github.com does (``replay_archive``)."""
    match = CODELOAD_PATH.match(unquote(request.url.path))
    repo = store.get(f"{match['owner']}/{match['name']}") if match else None
    data = repo.ref(match["rev"]) if repo and match and not repo.empty else None
    if repo is None or data is None or data.head is None:
        return Response("404: Not Found", 404, media_type="text/plain; charset=utf-8")
    body = tarball(repo, data)
    name = f"{top_folder(repo, data.head)}.tar.gz"

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), CHUNK_BYTES):
            yield body[start : start + CHUNK_BYTES]

    headers = {"content-disposition": f"attachment; filename={name}"}
    return StreamingResponse(chunks(), 200, headers, media_type="application/x-gzip")


def _tarball(repo: RepoData, rev: str, request: Request) -> Response:
    """``/repos/{o}/{r}/tarball/{ref}``: a 302 to the codeload download."""
    data = None if repo.empty else repo.ref(rev or None)
    if data is None or data.head is None:
        return _error(404, "Not Found")
    ref = rev or str(repo.repo.get("default_branch") or data.head)
    location = f"{request.base_url}codeload/{repo.full_name}/legacy.tar.gz/{ref}"
    return Response(status_code=302, headers={"location": location})


def _repo_endpoint(repo: RepoData, rest: str, request: Request) -> Response:
    query = request.query_params
    raw = "raw" in request.headers.get("accept", "")
    if rest in ("", "/"):
        return _json(repo.repo)
    if rest == "/tarball" or rest.startswith("/tarball/"):
        return _tarball(repo, rest[len("/tarball/") :], request)
    if rest == "/languages":
        return _json(repo.languages)
    if rest == "/branches":
        return _paginate(request, repo.branches)
    if rest == "/commits":
        if repo.empty:
            return _error(409, "Git Repository is empty.")
        data = repo.ref(query.get("sha"))
        if data is None:
            return _error(404, f"No commit found for SHA: {query.get('sha')}")
        commits = _touching(data.commits, query.get("path"))
        public = [{k: v for k, v in c.items() if k != "files"} for c in commits]
        return _paginate(request, public)
    if rest.startswith("/git/trees/"):
        if repo.empty:
            return _error(409, "Git Repository is empty.")
        rev = rest[len("/git/trees/") :]
        data = repo.ref(rev)
        tree = repo.tree_at(rev) if data is not None else None
        if tree is None:
            return _error(404, "Not Found")
        if query.get("recursive") in (None, "0", "false"):
            tree = {**tree, "tree": [e for e in tree["tree"] if "/" not in e["path"]]}
        return _json(tree)
    if rest == "/readme" or rest.startswith("/readme/"):
        data = repo.ref(query.get("ref"))
        folder = rest[len("/readme/") :].strip("/") if rest.startswith("/readme/") else ""
        text, name = _readme(data, folder) if data else (None, "")
        return _file(text, name, raw) if text is not None else _error(404, "Not Found")
    if rest.startswith("/git/blobs/"):
        content = repo.blob(rest[len("/git/blobs/") :])
        if content is None:
            return _error(404, "Not Found")
        return _json({"sha": rest[len("/git/blobs/") :], "size": len(content),
                      "encoding": "base64", "content": base64.b64encode(content).decode()})  # fmt: skip
    if rest.startswith("/contents/"):
        file_path = rest[len("/contents/") :].strip("/")
        data = repo.ref(query.get("ref"))
        text = data.file(file_path) if data else None
        return _file(text, file_path, raw) if text is not None else _error(404, "Not Found")
    return _error(404, "Not Found")


def _touching(commits: list[dict[str, Any]], path: str | None) -> list[dict[str, Any]]:
    if not path:
        return commits
    path = path.strip("/")
    return [
        c
        for c in commits
        if "files" not in c or any(f == path or f.startswith(path + "/") for f in c["files"])
    ]


def _readme(data: RefData, folder: str) -> tuple[str | None, str]:
    if not folder:
        names = [e["path"] for e in (data.tree or {}).get("tree", []) if "/" not in e["path"]]
        name = next((n for n in names if is_readme(n)), "README.md")
        return data.readme, name
    directory = data.directory / "contents" / folder
    for candidate in sorted(directory.glob("*")) if directory.is_dir() else ():
        if is_readme(candidate.name):
            return candidate.read_text(encoding="utf-8", errors="replace"), candidate.name
    return None, ""


def _file(text: str, path: str, raw: bool) -> Response:
    if raw:
        return Response(text, 200, media_type="application/vnd.github.raw+json; charset=utf-8")
    encoded = base64.b64encode(text.encode()).decode()
    name = path.rsplit("/", 1)[-1]
    body = {"type": "file", "encoding": "base64", "name": name, "path": path,
            "size": len(text.encode()), "content": encoded}  # fmt: skip
    return _json(body)


def _paginate(request: Request, items: list[Any]) -> Response:
    query = request.query_params
    per_page = max(1, min(int(query.get("per_page", 30)), 100))
    page = max(1, int(query.get("page", 1)))
    last = max(1, -(-len(items) // per_page))
    body = items[(page - 1) * per_page : page * per_page]
    links = []
    base = f"{request.base_url}".rstrip("/") + request.url.path

    def url(n: int) -> str:
        params = {k: v for k, v in query.items() if k != "page"}
        return f"{base}?{urlencode({**params, 'page': n})}"

    if page < last:
        links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
    if page > 1:
        links += [f'<{url(page - 1)}>; rel="prev"', f'<{url(1)}>; rel="first"']
    return _json(body, headers={"link": ", ".join(links)} if links else None)


# -- GraphQL: the snapshot query of tats_core.github.graphql -------------------------------


async def graphql(store: RepoStore, request: Request) -> Response:
    try:
        payload = await request.json()
    except ValueError:
        return _error(400, "Problems parsing JSON")
    query, variables = payload.get("query", ""), payload.get("variables") or {}
    if "repository(" not in query:
        return _json({"errors": [{"message": "the replay answers only the snapshot query"}]})
    full_name = f"{variables.get('owner')}/{variables.get('name')}"
    repo = store.get(full_name) or store.renamed(full_name)
    if repo is not None and query.startswith("query Blobs"):
        blobs = {
            k: _blob_text(repo, str(v)) for k, v in variables.items() if re.fullmatch(r"b\d+", k)
        }
        return _json({"data": {"rateLimit": {"cost": 1}, "repository": blobs}})
    if repo is None:
        message = f"Could not resolve to a Repository with the name '{full_name}'."
        return _json(
            {
                "data": {"repository": None},
                "errors": [{"type": "NOT_FOUND", "path": ["repository"], "message": message}],
            }
        )
    return _json({"data": {"repository": _repository(repo, variables)}})


def _repository(repo: RepoData, variables: dict[str, Any]) -> dict[str, Any]:
    r = repo.repo
    languages = sorted(repo.languages.items(), key=lambda kv: -kv[1])
    out: dict[str, Any] = {
        "nameWithOwner": repo.full_name,
        "isFork": bool(r.get("fork")),
        "isArchived": bool(r.get("archived")),
        "isEmpty": repo.empty,
        "description": r.get("description"),
        "createdAt": r.get("created_at"),
        "pushedAt": r.get("pushed_at"),
        "diskUsage": r.get("size", 0),
        "parent": {"nameWithOwner": r["parent"]["full_name"]} if r.get("parent") else None,
        "templateRepository": (
            {"nameWithOwner": r["template_repository"]["full_name"]}
            if r.get("template_repository")
            else None
        ),
        "defaultBranchRef": None if repo.empty else {"name": r.get("default_branch")},
        "languages": {"edges": [{"size": n, "node": {"name": k}} for k, n in languages]},
        "refs": {"nodes": [_ref_node(repo, b) for b in repo.branches]},
        "commit": None
        if repo.empty
        else _commit(repo, variables.get("rev"), variables.get("path")),
    }
    for key, expression in variables.items():
        if re.fullmatch(r"f\d+", key):
            out[key] = _blob(repo, str(expression))
    return out


def _ref_node(repo: RepoData, branch: dict[str, Any]) -> dict[str, Any]:
    data = repo.ref(branch["name"])
    count = len(data.commits) if data else 0
    return {
        "name": branch["name"],
        "target": {"oid": branch["commit"]["sha"], "history": {"totalCount": count}},
    }


def _commit(repo: RepoData, rev: str | None, path: str | None) -> dict[str, Any] | None:
    data = repo.ref(rev)
    if data is None or not data.commits:
        return None
    commits = _touching(data.commits, path)
    nodes = [
        {"oid": c["sha"], "message": c["commit"]["message"],
         "authoredDate": (c["commit"].get("author") or {}).get("date"),
         "author": _author_node(c)}
        for c in commits[:100]
    ]  # fmt: skip
    return {"oid": data.head, "history": {"totalCount": len(commits), "nodes": nodes}}


def _author_node(commit: dict[str, Any]) -> dict[str, Any]:
    author = commit["commit"].get("author") or {}
    login = (commit.get("author") or {}).get("login")
    return {
        "name": author.get("name"),
        "email": author.get("email"),
        "user": {"login": login} if login else None,
    }


def _blob(repo: RepoData, expression: str) -> dict[str, Any] | None:
    match = EXPRESSION.match(expression)
    if not match or repo.empty:
        return None
    data = repo.ref(match["rev"])
    text = data.file(match["path"]) if data else None
    return None if text is None else {"text": text, "isBinary": False}


MAX_BLOB_TEXT = 512_000  # GitHub truncates a blob's text in GraphQL at about this size


def _blob_text(repo: RepoData, expression: str) -> dict[str, Any] | None:
    match = EXPRESSION.match(expression)
    content = repo.file_at(match["rev"], match["path"]) if match and not repo.empty else None
    if content is None:
        return None
    binary = b"\0" in content[:8000]
    try:
        text = None if binary else content[:MAX_BLOB_TEXT].decode("utf-8")
    except UnicodeDecodeError:
        binary, text = True, None
    return {"text": text, "byteSize": len(content), "isBinary": binary,
            "isTruncated": len(content) > MAX_BLOB_TEXT}  # fmt: skip
