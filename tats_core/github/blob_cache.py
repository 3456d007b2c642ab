"""File text by git blob sha: read once, reused for every candidate, job, re-run and worker.

A blob's sha is the hash of its bytes, so an entry never goes stale. What reading again would
not change is kept: the text, or why there is none (``binary``, ``too large``). What might change
(not found, rate limited, a server error) is never stored.

``DbBlobCache`` keeps entries in the ``blob_text`` table (shared by every worker process);
``MemoryBlobCache`` serves tests, benchmarks and one-off scripts. A cache that fails (database
down) never fails a candidate: it behaves as a miss.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tats_core.github.cache import failure_as_miss
from tats_core.store.db import transaction
from tats_core.store.models import BlobText, utcnow

log = logging.getLogger("tats.blob_cache")


@dataclass(frozen=True)
class CachedBlob:
    sha: str
    text: str | None  # None when ``skipped`` says why
    size: int
    skipped: str | None = None


class BlobCacheProtocol(Protocol):
    def get_many(self, shas: Iterable[str]) -> dict[str, CachedBlob]: ...

    def put_many(self, blobs: Iterable[CachedBlob]) -> None: ...


class MemoryBlobCache:
    def __init__(self) -> None:
        self.entries: dict[str, CachedBlob] = {}

    def get_many(self, shas: Iterable[str]) -> dict[str, CachedBlob]:
        return {sha: self.entries[sha] for sha in shas if sha in self.entries}

    def put_many(self, blobs: Iterable[CachedBlob]) -> None:
        for blob in blobs:
            self.entries[blob.sha] = blob


class DbBlobCache:
    """The ``blob_text`` table, one short transaction per call."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory

    def get_many(self, shas: Iterable[str]) -> dict[str, CachedBlob]:
        wanted = sorted(set(shas))
        if not wanted:
            return {}
        with failure_as_miss(log, "blob cache read"), self._factory() as session:
            rows = session.execute(select(BlobText).where(BlobText.sha.in_(wanted))).scalars()
            return {r.sha: CachedBlob(r.sha, r.text, r.size, r.skipped) for r in rows}
        return {}

    def put_many(self, blobs: Iterable[CachedBlob]) -> None:
        new = {b.sha: b for b in blobs}
        if not new:
            return
        with failure_as_miss(log, "blob cache write"):
            try:
                self._insert(new)
            except IntegrityError:
                # Another worker stored some of them first; theirs are as good as ours. Store
                # the rest one by one.
                if len(new) > 1:
                    for blob in new.values():
                        self.put_many([blob])

    def _insert(self, new: dict[str, CachedBlob]) -> None:
        with transaction(self._factory) as session:
            have = set(
                session.execute(select(BlobText.sha).where(BlobText.sha.in_(sorted(new))))
                .scalars()
                .all()
            )
            session.add_all(
                BlobText(sha=b.sha, text=b.text, size=b.size, skipped=b.skipped,
                         fetched_at=utcnow())
                for sha, b in sorted(new.items()) if sha not in have
            )  # fmt: skip
