"""Filters of bulk operations, DLQ listings and logs: read from a query string or a JSON body.

QStash takes the same filters either way (``?messageIds=A&messageIds=B&label=x`` or
``{"messageIds": ["A", "B"], "label": "x"}``). Ids, when given, name exactly the messages meant
and every other filter is ignored. Otherwise a filter with several values (repeated, comma
separated, or a JSON list) matches any of them (OR), different filters must all match (AND),
``fromDate``/``toDate`` bound the time in unix milliseconds (inclusive) and ``count`` caps how
many are touched. An unknown filter is refused rather than ignored: ignoring it would widen a
bulk cancel to everything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tats_dev.qstash.message import BadRequest, split_labels

# Parameters that are not filters (paging, ordering, auth), accepted wherever filters are.
_NOT_FILTERS = frozenset({"cursor", "count", "order", "qstash_token", "trimBody"})
# Values of these are never split on commas (a URL may contain one).
_UNSPLIT = frozenset({"url"})


@dataclass(frozen=True)
class Filter:
    ids: tuple[str, ...] = ()
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    from_ms: int | None = None
    to_ms: int | None = None
    count: int | None = None
    ids_given: bool = False  # ``messageIds: []`` names no message at all, it is not "all"

    def sql(
        self, columns: Mapping[str, str], *, id_column: str, time_column: str
    ) -> tuple[str, list[Any]]:
        """A WHERE clause (``"1"`` for no condition) and its parameters.

        ``columns`` maps each accepted filter name to its SQL column; ``time_column`` holds
        unix seconds. Labels match any one label of a message (``Upstash-Label: a,b``).
        """
        if self.ids_given:
            marks = ", ".join("?" for _ in self.ids) or "NULL"
            return f"{id_column} IN ({marks})", list(self.ids)
        clauses: list[str] = []
        params: list[Any] = []
        for name, wanted in self.values.items():
            column = columns.get(name)
            if column is None:
                raise BadRequest(f"unknown filter {name!r}; known: {sorted(columns)}")
            if name == "label":
                clauses.append("(" + " OR ".join(f"has_label({column}, ?)" for _ in wanted) + ")")
            else:
                clauses.append(f"{column} IN ({', '.join('?' for _ in wanted)})")
            params.extend(wanted)
        if self.from_ms is not None:
            clauses.append(f"{time_column} >= ?")
            params.append(self.from_ms / 1000)
        if self.to_ms is not None:
            clauses.append(f"{time_column} <= ?")
            params.append(self.to_ms / 1000)
        return " AND ".join(clauses) or "1", params


def parse_filter(
    query: Iterable[tuple[str, str]], body: bytes, *, ids_name: str, known: Iterable[str]
) -> Filter:
    """The filter in a request's query string (multi items) and JSON body (may be empty)."""
    raw: dict[str, list[str]] = {}
    for name, value in query:
        raw.setdefault(name, []).append(value)
    if body.strip():
        try:
            data = json.loads(body)
        except ValueError:
            raise BadRequest("the body must be a JSON object") from None
        if not isinstance(data, dict):
            raise BadRequest("the body must be a JSON object")
        for name, value in data.items():
            if value is None:
                continue
            items = value if isinstance(value, list) else [value]
            raw.setdefault(name, []).extend(str(v) for v in items)
    return _build(raw, ids_name=ids_name, known=frozenset(known))


def _build(raw: dict[str, list[str]], *, ids_name: str, known: frozenset[str]) -> Filter:
    ids_given = ids_name in raw
    ids = tuple(i for v in raw.pop(ids_name, []) for i in _split(v))
    count = _int(raw.pop("count", []), "count")
    from_ms = _int(raw.pop("fromDate", []), "fromDate")
    to_ms = _int(raw.pop("toDate", []), "toDate")
    values: dict[str, tuple[str, ...]] = {}
    for name, given in raw.items():
        if name in _NOT_FILTERS:
            continue
        if name not in known:
            raise BadRequest(f"unknown filter {name!r}; known: {sorted(known)}")
        parts = tuple(
            p for v in given for p in ([v] if name in _UNSPLIT else _split(v, name == "label"))
        )
        if parts:
            values[name] = parts
    if count is not None and count < 1:
        raise BadRequest("count must be at least 1")
    return Filter(ids, values, from_ms, to_ms, count, ids_given)


def _split(value: str, labels: bool = False) -> list[str]:
    if labels:
        return split_labels(value)
    return [part.strip() for part in value.split(",") if part.strip()]


def _int(values: list[str], name: str) -> int | None:
    if not values:
        return None
    try:
        return int(values[-1])
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None
