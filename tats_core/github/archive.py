"""A submission at the judged commit, as one tar.gz archive, the way GitHub's tarball endpoint
gives it (issue 17, item 1).

``GET {api}/repos/{owner}/{repo}/tarball/{sha}`` answers 302 to
``codeload.github.com/{owner}/{repo}/legacy.tar.gz/{sha}``; the ``Location`` given is followed
(the token is not sent to another host). The API request counts against the rate limit once;
the download does not. The archive holds one top folder ``{owner}-{repo}-{sha7}/``; submodules
are not in it and Git LFS files are pointers.

The bytes are untrusted and only delivered here; extracting them safely is another package's
work. Reading stops past ``max_bytes`` (compressed): a larger archive is a permanent
``GitHubError``, never read whole into memory. Other failures are classified like every GitHub
answer (``GitHubHttp.error``): 404 permanent, 5xx and rate limits transient after the client's
``Backoff``.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from tats_core.errors import GitHubError
from tats_core.github.http import GitHubHttp, Tally, fault

MAX_ARCHIVE_BYTES = 50 * 1024 * 1024
COMMIT_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def check_commit_sha(commit_sha: str) -> None:
    """A branch or tag moves; only a full commit sha names one tree, to download or to cache."""
    if not COMMIT_SHA.fullmatch(commit_sha):
        raise ValueError(f"a full commit sha is needed, not {commit_sha[:80]!r}")


def too_large(full_name: str, commit_sha: str, size: int, max_bytes: int) -> GitHubError:
    return GitHubError(
        f"the archive of {full_name} at {commit_sha[:7]} is larger than "
        f"{max_bytes / 1_048_576:g} MB (at least {size / 1_048_576:.1f} MB); it is not downloaded"
    )


async def download_archive(
    api: GitHubHttp, full_name: str, commit_sha: str, *, max_bytes: int = MAX_ARCHIVE_BYTES
) -> bytes:
    """The tar.gz of ``full_name`` at ``commit_sha`` (at most ``max_bytes``)."""
    path = f"/repos/{full_name}/tarball/{quote(commit_sha, safe='')}"
    not_found = f"commit {commit_sha[:7]} of {full_name} not found, or the repository is private"

    async def attempt() -> bytes:
        try:
            body = await api.download(Tally(), api.base + path, max_bytes=max_bytes)
        except GitHubError as exc:  # timeouts and dropped connections
            raise fault(exc) from exc
        if body.status != 200:
            raise fault(api.error(body, not_found))
        if body.too_large:
            raise too_large(full_name, commit_sha, body.size, max_bytes)
        return body.content

    return await api.retrying(path, attempt)
