"""A job's acceptance tests: the employer's files, stored with the job and versioned.

Each version is the set of files as a zip (paths relative to a submission's root, where they are
placed over the candidate's tree, replacing a file of the same path). Attaching new files adds a
version; the newest is run, and each evaluation records the version it ran. Reading files from
a folder or an uploaded zip safely is ``tats_core.testrun.archive``'s job; this module stores
and returns plain ``{path: bytes}``. Functions take a session and never commit.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from tats_core.errors import InputError
from tats_core.store.models import JobAcceptance
from tats_core.triage.jobs import get_job

MAX_FILES = 200
MAX_TOTAL_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class AcceptanceTests:
    version: int
    files: dict[str, bytes]

    @property
    def paths(self) -> list[str]:
        return sorted(self.files)


def attach(
    session: Session, job_id: int, files: Mapping[str, bytes], *, actor: str = ""
) -> AcceptanceTests:
    """Store ``files`` as the job's newest acceptance tests; returns them with their version."""
    get_job(session, job_id)  # NotFound for an unknown job
    if not files:
        raise InputError("no acceptance test files given (an empty folder or zip)")
    total = sum(len(data) for data in files.values())
    if len(files) > MAX_FILES or total > MAX_TOTAL_BYTES:
        raise InputError(
            f"acceptance tests are limited to {MAX_FILES} files and "
            f"{MAX_TOTAL_BYTES // (1024 * 1024)} MB; these are {len(files)} files, "
            f"{total / (1024 * 1024):.1f} MB"
        )
    latest = session.scalar(
        select(func.max(JobAcceptance.version)).where(JobAcceptance.job_id == job_id)
    )
    version = (latest or 0) + 1
    session.add(
        JobAcceptance(
            job_id=job_id,
            version=version,
            archive=_zip(files),
            file_count=len(files),
            total_bytes=total,
            created_by=actor,
        )
    )
    session.flush()
    return AcceptanceTests(version, dict(files))


# Built once: every delivery asks (most jobs have none), and building the query cost more
# than running it.
_LATEST = (
    select(JobAcceptance.version, JobAcceptance.archive)
    .where(JobAcceptance.job_id == bindparam("job_id"))
    .order_by(JobAcceptance.version.desc())
    .limit(1)
)


def latest(session: Session, job_id: int) -> AcceptanceTests | None:
    """The job's newest acceptance tests, or None when it has none."""
    row = session.execute(_LATEST, {"job_id": job_id}).first()
    return AcceptanceTests(row.version, _unzip(row.archive)) if row is not None else None


def versions(session: Session, job_id: int) -> list[JobAcceptance]:
    """Every stored version, newest first (for the Jobs page)."""
    return list(
        session.scalars(
            select(JobAcceptance)
            .where(JobAcceptance.job_id == job_id)
            .order_by(JobAcceptance.version.desc())
        )
    )


def _zip(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            archive.writestr(path, files[path])
    return buffer.getvalue()


def _unzip(data: bytes) -> dict[str, bytes]:
    # Our own zip, written by ``_zip`` from files already checked: no untrusted paths here.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
