"""The repository among a row's links: an ATS export puts the take-home's URL in a column of
links (``Website``, ``Social Media``, ``Links``), beside a GitHub profile, LinkedIn or a
portfolio, several to a cell. One value is read as it is; several are searched in order for the
first GitHub repository, and a row without one says what its links were instead."""

from __future__ import annotations

import re

from tats_core.github.url import InvalidRepoUrl, RepoRef, parse_repo_url

# Between links: whitespace (and newlines, which join several link columns), commas, semicolons
# and bars. None of them can be part of a GitHub repository URL.
_SEPARATOR = re.compile(r"[\s,;|]+")
_WRAPPING = "()[]<>\"'"
SHOWN_LINKS = 3


def find_repository(text: str) -> tuple[str, RepoRef]:
    """The link that names a repository, as written, and the repository; ``InvalidRepoUrl``
    (with a reason a recruiter can act on) when there is none."""
    value = text.strip()
    if not _SEPARATOR.search(value):
        return value, parse_repo_url(value)  # one link: its own reason when it is not one
    tokens = [t.strip(_WRAPPING) for t in _SEPARATOR.split(value)]
    links = [t for t in tokens if "." in t or "/" in t]  # words around the links are not links
    if len(links) == 1:
        return links[0], parse_repo_url(links[0])
    reasons = []
    for link in links:
        try:
            return link, parse_repo_url(link)
        except InvalidRepoUrl as exc:
            reasons.append(f"{link} ({exc})")
    if not reasons:
        raise InvalidRepoUrl("no link in this cell (expected https://github.com/owner/repo)")
    more = len(reasons) - SHOWN_LINKS
    listed = "; ".join(reasons[:SHOWN_LINKS]) + (f"; and {more} more" if more > 0 else "")
    raise InvalidRepoUrl(f"no GitHub repository among the links: {listed}")
