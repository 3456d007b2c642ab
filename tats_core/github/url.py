"""Normalise the GitHub repository URLs candidates write into ``owner/repo``.

Anything that is not clearly one repository (a profile, a gist, a Pages site, another host, a
reserved path) is rejected with a reason a recruiter can act on; TATS never guesses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

OWNER_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$")
REPO_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
# "owner/repo", as people write it in text (no host: an owner name has no dot).
SHORTHAND_RE = re.compile(r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+/?$")
SCP_RE = re.compile(r"^(?:ssh://)?git@([^:/]+)[:/](.*)$")
# A github.com URL in its usual written forms, answered without urlsplit; the group is exactly
# the path urlsplit would return. Anything else takes the general path.
PLAIN_URL_RE = re.compile(r"(?:https?://)?(?:www\.)?github\.com(/[^?#\s]*)?(?:[?#]\S*)?", re.I)
# The same, when the path is exactly /owner/repo[/] with no escapes: its two segments.
QUICK_REPO_RE = re.compile(
    r"(?:https?://)?(?:www\.)?github\.com/([^/?#\s%]+)/([^/?#\s%]+)/?(?:[?#]\S*)?", re.I
)

# First path segments that are GitHub pages, not owners.
RESERVED = frozenset(
    [
        "about",
        "account",
        "apps",
        "blog",
        "codespaces",
        "collections",
        "contact",
        "customer-stories",
        "dashboard",
        "enterprise",
        "events",
        "explore",
        "features",
        "gist",
        "issues",
        "join",
        "login",
        "logout",
        "marketplace",
        "new",
        "notifications",
        "organizations",
        "orgs",
        "pricing",
        "pulls",
        "readme",
        "search",
        "security",
        "settings",
        "signup",
        "site",
        "sponsors",
        "stars",
        "team",
        "teams",
        "topics",
        "trending",
        "users",
    ]
)


class InvalidRepoUrl(ValueError):
    """The value is not a GitHub repository URL; ``str(exc)`` is the reason for the recruiter."""


@dataclass(frozen=True)
class RepoRef:
    owner: str
    name: str
    ref: str | None = None  # branch or commit from /tree/<ref>/...
    path: str | None = None  # subdirectory from /tree/<ref>/<path>

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def key(self) -> str:
        """The dedup key: GitHub names are case-insensitive."""
        return self.full_name.lower()

    @property
    def url(self) -> str:
        return f"https://github.com/{self.full_name}"


def parse_repo_url(value: object) -> RepoRef:
    text = "" if value is None else str(value).strip().strip("<>\"'").strip()
    if not text or text.lower() in {"nan", "none", "null", "n/a", "-"}:
        raise InvalidRepoUrl("empty GitHub URL")
    # The form nearly every candidate writes (a large upload's hot path): the same two
    # segments the general path below would find, with nothing after them.
    quick = QUICK_REPO_RE.fullmatch(text)
    if quick:
        return _repo(quick.group(1), quick.group(2))
    return _parse_any(text)


def _parse_any(text: str) -> RepoRef:
    """Every written form: scp-style, shorthand, other hosts (rejected), /tree/<ref>/<path>."""
    path = _path_on_github(text)
    segments = [unquote(s) for s in path.split("/") if s]
    if not segments:
        raise InvalidRepoUrl("a link to GitHub itself, not to a repository")
    if len(segments) == 1:
        _check_owner(segments[0])
        raise InvalidRepoUrl("a GitHub profile, not a repository (expected github.com/owner/repo)")
    ref = sub = None
    if len(segments) >= 4 and segments[2] in {"tree", "blob"}:
        ref = segments[3]
        rest = segments[4:]
        if segments[2] == "blob":
            rest = rest[:-1]  # a link to a file: judge the folder holding it
        sub = "/".join(rest) or None
    return _repo(segments[0], segments[1], ref, sub)


def _check_owner(owner: str) -> None:
    if owner.lower() in RESERVED:
        raise InvalidRepoUrl(f"'/{owner}/...' is a GitHub page, not a repository")


def _repo(owner: str, name: str, ref: str | None = None, path: str | None = None) -> RepoRef:
    _check_owner(owner)
    if name.lower().endswith(".git"):
        name = name[:-4]
    if not OWNER_RE.match(owner):
        raise InvalidRepoUrl(f"'{owner}' is not a valid GitHub owner name")
    if not REPO_RE.match(name) or name in {".", ".."}:
        raise InvalidRepoUrl(f"'{name}' is not a valid GitHub repository name")
    return RepoRef(owner=owner, name=name, ref=ref, path=path)


def _path_on_github(text: str) -> str:
    """Return the path part of a github.com URL in any of its written forms, or raise."""
    plain = PLAIN_URL_RE.fullmatch(text)
    if plain:
        return plain.group(1) or ""
    if SHORTHAND_RE.match(text):
        return "/" + text
    scp = SCP_RE.match(text)
    if scp:
        host, path = scp.group(1), scp.group(2)
    else:
        if "://" not in text:
            text = "https://" + text
        try:
            parts = urlsplit(text)
        except ValueError:  # e.g. an unclosed "[" read as an IPv6 host
            raise InvalidRepoUrl("not a valid URL") from None
        host, path = (parts.hostname or ""), parts.path
    host = host.lower()
    if host.startswith("www."):
        host = host[4:]
    if host == "gist.github.com":
        raise InvalidRepoUrl("a gist, not a repository")
    if host.endswith(".github.io"):
        raise InvalidRepoUrl("a GitHub Pages site, not the repository behind it")
    if host != "github.com":
        if "." not in host:  # no host at all: a phone number, a name, a sentence
            raise InvalidRepoUrl(
                "not a GitHub repository (expected https://github.com/owner/repo or owner/repo)"
            )
        raise InvalidRepoUrl(f"a link to {host}, not to GitHub")
    return path
