"""Conditional-request cache for the GitHub client: URL -> (ETag, body, a few headers).

``GitHubClient`` sends the stored ETag as ``If-None-Match``; on ``304 Not Modified`` it reuses
the stored body, so re-evaluating a candidate costs 304s (free of rate limit with a token).
The ``link`` header is kept beside the body because the commit count comes from it.

``DbHttpCache`` keeps entries in the ``http_cache`` table, each call in its own short
transaction; ``MemoryHttpCache`` serves tests, benchmarks and one-off scripts. A cache that
fails (database down) never fails a snapshot: it behaves as a miss.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from typing import NamedTuple, Protocol

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tats_core.store.db import transaction
from tats_core.store.models import HttpCache, utcnow

log = logging.getLogger("tats.http_cache")

MAX_BODY_CHARS = 5_000_000  # a bigger answer is cheaper to fetch again than to store
KEPT_HEADERS = ("link",)


class CachedResponse(NamedTuple):
    etag: str
    body: str
    headers: dict[str, str]


class HttpCacheProtocol(Protocol):
    def get(self, url: str) -> CachedResponse | None: ...

    def put(
        self, url: str, etag: str, body: str, headers: Mapping[str, str] | None = None
    ) -> None: ...


@contextlib.contextmanager
def failure_as_miss(log: logging.Logger, action: str) -> Iterator[None]:
    """A cache in the database that fails (database down) never fails a snapshot or a
    candidate: the failure is logged and the caller goes on as after a miss."""
    try:
        yield
    except SQLAlchemyError as exc:
        log.warning("%s failed (ignored, as a miss): %s", action, type(exc).__name__)


def kept_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {k: v for k, v in (headers or {}).items() if k.lower() in KEPT_HEADERS}


class MemoryHttpCache:
    """An in-process cache (a dict); ``hits`` counts the entries served."""

    def __init__(self) -> None:
        self.entries: dict[str, CachedResponse] = {}
        self.hits = 0

    def get(self, url: str) -> CachedResponse | None:
        entry = self.entries.get(url)
        if entry is not None:
            self.hits += 1
        return entry

    def put(self, url: str, etag: str, body: str, headers: Mapping[str, str] | None = None) -> None:
        self.entries[url] = CachedResponse(etag, body, kept_headers(headers))


class DbHttpCache:
    """The ``http_cache`` table; shared by every worker process, so a re-run anywhere is cheap."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory

    def get(self, url: str) -> CachedResponse | None:
        with failure_as_miss(log, "http cache read"), self._factory() as session:
            row = session.get(HttpCache, url)
            if row is not None:
                return CachedResponse(row.etag, row.body, dict(row.headers or {}))
        return None

    def put(self, url: str, etag: str, body: str, headers: Mapping[str, str] | None = None) -> None:
        if len(body) > MAX_BODY_CHARS or len(url) > 1000:
            return
        values = {
            "etag": etag[:300],
            "body": body,
            "headers": kept_headers(headers),
            "status_code": 200,
            "fetched_at": utcnow(),
        }
        # IntegrityError: another worker stored the same URL first; its entry is as good as ours
        with (
            failure_as_miss(log, "http cache write"),
            contextlib.suppress(IntegrityError),
            transaction(self._factory) as session,
        ):
            row = session.get(HttpCache, url)
            if row is None:
                session.add(HttpCache(url=url, **values))
            else:
                for key, value in values.items():
                    setattr(row, key, value)
