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

import logging
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

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
        try:
            with self._factory() as session:
                query = select(CommitArchive.data).where(CommitArchive.sha == commit_sha)
                return session.execute(query).scalar_one_or_none()
        except SQLAlchemyError as exc:
            log.warning("archive cache read failed (treated as a miss): %s", type(exc).__name__)
            return None

    def put(self, commit_sha: str, data: bytes) -> None:
        try:
            with transaction(self._factory) as session:
                known = select(CommitArchive.sha).where(CommitArchive.sha == commit_sha)
                if session.execute(known).first() is None:
                    session.add(
                        CommitArchive(
                            sha=commit_sha, data=data, size=len(data), fetched_at=utcnow()
                        )
                    )
        except IntegrityError:
            pass  # another worker stored the same commit first; its archive is the same
        except SQLAlchemyError as exc:
            log.warning("archive cache write failed (ignored): %s", type(exc).__name__)
