"""Shared code within a job, in the database: each candidate's fingerprint (own code files,
``candidate_file``, and the code files of the starter it was found to build on, ``given``), who
shares substantial code with whom, and its effect on both candidates' verdicts
(``check_candidate`` when one is judged, ``flag_earlier_candidate`` for the other). Before a
candidate is judged, ``job_given`` says which of its files the job's submissions were given:
a starter another submission built on, or files most of the job holds.

The detection itself is ``judging.overlap`` (pure); this module reads and writes the rows it
needs. Functions take a session and never commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, and_, delete, func, insert, select
from sqlalchemy.orm import Session

from tats_core import statuses
from tats_core.judging import concerns as concern_text
from tats_core.judging.analysis import AnalysisResult
from tats_core.judging.concerns import SHOWN_FILES, places
from tats_core.judging.overlap import (
    SHARED_CODE_FLAG,
    FileRef,
    Overlap,
    cap_for_shared_code,
    compare,
    find_overlaps,
    is_common,
)
from tats_core.store.models import CandidateFile, StatusEvent
from tats_core.triage.candidates import current_evaluation, get_candidate, transition
from tats_core.wording import plural

CANDIDATE_FILE = cast(Table, CandidateFile.__table__)


def save_fingerprint(
    session: Session,
    job_id: int,
    candidate_id: int,
    fingerprint: Sequence[FileRef],
    given: Sequence[FileRef] = (),
) -> None:
    """Replace the candidate's stored own files (and the starter files it was given) with
    those of the attempt just judged."""
    session.execute(delete(CANDIDATE_FILE).where(CANDIDATE_FILE.c.candidate_id == candidate_id))
    rows = [(f, False) for f in fingerprint] + [(f, True) for f in given]
    if rows:
        session.execute(
            insert(CANDIDATE_FILE),
            [
                {"job_id": job_id, "candidate_id": candidate_id, "sha": f.sha, "path": f.path}
                | {"size": f.size, "given": is_given}
                for f, is_given in rows
            ],
        )


def job_given(session: Session, job_id: int, candidate_id: int, shas: set[str]) -> dict[str, str]:
    """Of a candidate's blob shas, those the job's submissions were given, and why: in the
    starter another submission built on, or common to the job (``overlap.is_common``: in most
    of its submissions). Reads only the rows holding these shas."""
    if not shas:
        return {}
    others = and_(CandidateFile.job_id == job_id, CandidateFile.candidate_id != candidate_id)
    given = set(
        session.scalars(
            select(CandidateFile.sha).where(
                others, CandidateFile.given, CandidateFile.sha.in_(shas)
            )
        )
    )
    reasons = {sha: "in the starter another submission of the job built on" for sha in given}
    submissions = 1 + (
        session.scalar(
            select(func.count(func.distinct(CandidateFile.candidate_id))).where(
                others, CandidateFile.given.is_(False)
            )
        )
        or 0
    )
    holders = session.execute(
        select(CandidateFile.sha, func.count(func.distinct(CandidateFile.candidate_id)))
        .where(others, CandidateFile.given.is_(False), CandidateFile.sha.in_(shas - given))
        .group_by(CandidateFile.sha)
    )
    for sha, count in holders:
        if is_common(count + 1, submissions):
            reasons[sha] = f"in {count + 1} of the job's {submissions} submissions"
    return reasons


def _given_in_job(session: Session, job_id: int, shas: set[str] | None = None) -> set[str]:
    query = select(CandidateFile.sha).where(CandidateFile.job_id == job_id, CandidateFile.given)
    if shas is not None:
        query = query.where(CandidateFile.sha.in_(shas))
    return set(session.scalars(query))


def check_candidate(
    session: Session,
    job_id: int,
    candidate_id: int,
    own_files: Sequence[FileRef],
    result: AnalysisResult,
    given: Sequence[FileRef] = (),
) -> list[Overlap]:
    """Store this attempt's own files (and the starter files it was given) and cap ``result``
    at ``needs_review`` when they share substantial code with another candidate of the job
    (issue #10). Never decides alone. Returns the overlaps, for ``flag_others`` once the
    verdict is recorded."""
    save_fingerprint(session, job_id, candidate_id, own_files, given)
    mine = sorted(own_files, key=lambda f: f.path)  # as ``fingerprint_of`` would read them back
    overlaps = overlaps_of(session, job_id, candidate_id, mine)
    if overlaps:
        result.analysis, flags = cap_for_shared_code(result.analysis, overlaps)
        result.flags = sorted(set(result.flags) | set(flags))
    return overlaps


def flag_others(session: Session, candidate_id: int, overlaps: Sequence[Overlap]) -> None:
    """Shared code is shown both ways: each earlier candidate learns of this one."""
    for overlap in overlaps:
        evidence = concern_text.SHARED_CODE_LATER.render(
            files=plural(len(overlap.pairs), "file"),
            candidate=candidate_id,
            paths=places(
                [theirs for _, theirs in overlap.pairs], len(overlap.pairs), limit=SHOWN_FILES
            ),
        )
        flag_earlier_candidate(session, overlap.other, evidence)


def fingerprint_of(session: Session, candidate_id: int) -> list[FileRef]:
    rows = session.execute(
        select(CandidateFile.path, CandidateFile.sha, CandidateFile.size)
        .where(CandidateFile.candidate_id == candidate_id, CandidateFile.given.is_(False))
        .order_by(CandidateFile.path)
    )
    return [FileRef(r.path, r.sha, r.size) for r in rows]


def overlaps_of(
    session: Session, job_id: int, candidate_id: int, mine: Sequence[FileRef] | None = None
) -> list[Overlap]:
    """The other candidates of the job whose stored files share substantial code with this
    one's, most shared first. Reads only the rows holding this candidate's shas. ``mine``: its
    own files when the caller has just stored them (else they are read)."""
    if mine is None:
        mine = fingerprint_of(session, candidate_id)
    shas = {f.sha for f in mine}
    if not shas:
        return []
    in_job = and_(CandidateFile.job_id == job_id, CandidateFile.given.is_(False))
    submissions = session.scalar(
        select(func.count(func.distinct(CandidateFile.candidate_id))).where(in_job)
    )
    holders = session.execute(
        select(CandidateFile.sha, func.count(func.distinct(CandidateFile.candidate_id)))
        .where(in_job, CandidateFile.sha.in_(shas))
        .group_by(CandidateFile.sha)
    )
    ignore = {sha for sha, count in holders if is_common(count, submissions or 0)}
    ignore |= _given_in_job(session, job_id, shas)
    theirs: dict[int, list[FileRef]] = defaultdict(list)
    for row in session.execute(
        select(
            CandidateFile.candidate_id, CandidateFile.path, CandidateFile.sha, CandidateFile.size
        )
        .where(in_job, CandidateFile.sha.in_(shas - ignore))
        .where(CandidateFile.candidate_id != candidate_id)
    ):
        theirs[row.candidate_id].append(FileRef(row.path, row.sha, row.size))
    if not theirs:
        return []
    totals = {
        cid: int(total)
        for cid, total in session.execute(
            select(CandidateFile.candidate_id, func.sum(CandidateFile.size))
            .where(CandidateFile.candidate_id.in_(theirs), CandidateFile.given.is_(False))
            .group_by(CandidateFile.candidate_id)
        )
    }
    found = [
        overlap
        for other, files in sorted(theirs.items())
        if (overlap := compare(mine, files, other=other, ignore=ignore, their_total=totals[other]))
    ]
    return sorted(found, key=lambda o: (-len(o.pairs), o.other))


def shared_with(session: Session, job_id: int) -> dict[int, list[Overlap]]:
    """Every candidate of the job with stored files -> the others it shares code with."""
    fingerprints: dict[int, list[FileRef]] = defaultdict(list)
    for row in session.execute(
        select(
            CandidateFile.candidate_id, CandidateFile.path, CandidateFile.sha, CandidateFile.size
        )
        .where(CandidateFile.job_id == job_id, CandidateFile.given.is_(False))
        .order_by(CandidateFile.candidate_id, CandidateFile.path)
    ):
        fingerprints[row.candidate_id].append(FileRef(row.path, row.sha, row.size))
    return find_overlaps(fingerprints, _given_in_job(session, job_id))


def _overridden(session: Session, candidate_id: int, attempt: int) -> bool:
    return bool(
        session.scalar(
            select(func.count())
            .select_from(StatusEvent)
            .where(
                StatusEvent.candidate_id == candidate_id,
                StatusEvent.attempt == attempt,
                StatusEvent.override.is_(True),
            )
        )
    )


def flag_earlier_candidate(session: Session, candidate_id: int, evidence: str) -> bool:
    """A later submission shares code with this (already evaluated) candidate: note it on the
    evaluation and, if it ``looks_fine`` and no recruiter decided, move it to ``needs_review``
    with the evidence in the status event. A human decision is never changed. True if moved."""
    candidate = get_candidate(session, candidate_id, for_update=True)
    evaluation = current_evaluation(session, candidate)
    if evaluation is not None:
        if SHARED_CODE_FLAG not in (evaluation.flags or []):
            evaluation.flags = [*(evaluation.flags or []), SHARED_CODE_FLAG]
        if evidence not in (evaluation.concerns or []):
            evaluation.concerns = [*(evaluation.concerns or []), evidence]
    if candidate.status != statuses.LOOKS_FINE or _overridden(
        session, candidate.id, candidate.attempt
    ):
        return False
    transition(session, candidate, statuses.NEEDS_REVIEW, actor="worker", reason=evidence)
    return True
