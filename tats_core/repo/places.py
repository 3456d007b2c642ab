"""Places in a repository's code, as evidence cites them: ``path:line`` or ``path:start-end``."""

from __future__ import annotations

import re

_PLACE = re.compile(r"`?([\w./@+-]+\.\w+|[\w./@+-]*(?:Dockerfile|Makefile)):(\d+)(?:-(\d+))?`?")


def cited_places(evidence: str) -> list[tuple[str, int, int]]:
    """The places one evidence line cites, as ``(path, start, end)`` (``end == start`` for one
    line)."""
    places = []
    for match in _PLACE.finditer(evidence):
        start = int(match.group(2))
        end = int(match.group(3) or start)
        places.append((match.group(1).removeprefix("./"), start, end))
    return places
