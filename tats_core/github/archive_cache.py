"""Submission archives by commit sha: downloaded once, reused by every candidate, re-run and
worker.

A commit sha names one tree in every repository that holds it (a fork, a renamed repository, a
copy pushed elsewhere), so the sha alone is the key; the archive's top folder still names the
repository it was first downloaded from, which extraction strips anyway. An entry never goes
stale.

``DbArchiveCache`` keeps entries in the ``commit_archive`` table, shared by every worker process
without another store to run (archives are bounded by ``archive.MAX_ARCHIVE_BYTES``);
``MemoryArchiveCache`` serves tests, benchmarks and one-off scripts. A cache that fails
(database down) never fails a candidate: it behaves as a miss.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tats_core.github.cache import failure_as_miss
from tats_core.store.db import transaction
from tats_core.store.models import CommitArchive, utcnow

log = logging.getLogger("tats.archive_cache")


class ArchiveCacheProtocol(Protocol):
    def get(self, commit_sha: str) -> bytes | None: ...

    def put(self, commit_sha: str, data: bytes) -> None: ...


class MemoryArchiveCache:
    def __init__(self) -> None:
        self.entries: dict[str, bytes] = {}

    def get(self, commit_sha: str) -> bytes | None:
        return self.entries.get(commit_sha)

    def put(self, commit_sha: str, data: bytes) -> None:
        self.entries[commit_sha] = data


class DbArchiveCache:
    """The ``commit_archive`` table, one short transaction per call."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory

    def get(self, commit_sha: str) -> bytes | None:
        query = select(CommitArchive.data).where(CommitArchive.sha == commit_sha)
        with failure_as_miss(log, "archive cache read"), self._factory() as session:
            return session.execute(query).scalar_one_or_none()
        return None

    def put(self, commit_sha: str, data: bytes) -> None:
        known = select(CommitArchive.sha).where(CommitArchive.sha == commit_sha)
        row = CommitArchive(sha=commit_sha, data=data, size=len(data), fetched_at=utcnow())
        # IntegrityError: another worker stored the same commit first; its archive is the same
        with (
            failure_as_miss(log, "archive cache write"),
            contextlib.suppress(IntegrityError),
            transaction(self._factory) as session,
        ):
            if session.execute(known).first() is None:
                session.add(row)
