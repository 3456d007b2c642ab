"""Recruiters' notes on candidates: free text that is not a decision, kept with its author and
time, shown in the evaluation panel and exported (the ``notes`` column)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from tats_core.errors import InputError
from tats_core.store.models import Candidate, CandidateNote
from tats_core.triage.candidates import get_candidate
from tats_core.triage.listing import LIVE

MAX_NOTE = 5_000  # characters: a paragraph or two, not a document


def add_note(session: Session, candidate_id: int, body: str, *, author: str) -> CandidateNote:
    """A note on the candidate by ``author``, now (no commit: the caller frames it)."""
    text = body.strip()
    if not text:
        raise InputError("the note is empty")
    if len(text) > MAX_NOTE:
        raise InputError(f"the note is {len(text):,} characters; keep it under {MAX_NOTE:,}")
    get_candidate(session, candidate_id)
    note = CandidateNote(candidate_id=candidate_id, author=author or "recruiter", body=text)
    session.add(note)
    session.flush()
    return note


def notes_by_candidate(
    session: Session, candidate_ids: Iterable[int]
) -> dict[int, list[CandidateNote]]:
    """The notes of these candidates, oldest first, by candidate id (absent: no notes)."""
    ids = list(candidate_ids)
    if not ids:
        return {}
    notes: dict[int, list[CandidateNote]] = defaultdict(list)
    for note in session.scalars(
        select(CandidateNote)
        .where(CandidateNote.candidate_id.in_(ids))
        .order_by(CandidateNote.candidate_id, CandidateNote.id)
    ):
        notes[note.candidate_id].append(note)
    return dict(notes)


def notes_of(session: Session, candidate_id: int) -> list[CandidateNote]:
    return notes_by_candidate(session, [candidate_id]).get(candidate_id, [])


def job_notes(session: Session, job_id: int) -> dict[int, list[CandidateNote]]:
    """Every note on the job's candidates (removed ones left out), by candidate id."""
    notes: dict[int, list[CandidateNote]] = defaultdict(list)
    for note in session.scalars(
        select(CandidateNote)
        .join(Candidate, Candidate.id == CandidateNote.candidate_id)
        .where(Candidate.job_id == job_id, LIVE)
        .order_by(CandidateNote.candidate_id, CandidateNote.id)
    ):
        notes[note.candidate_id].append(note)
    return dict(notes)


def note_line(note: CandidateNote) -> str:
    """One note as one line of text (the export's cell): when (UTC), who, what."""
    return f"{note.created_at:%Y-%m-%d %H:%M} UTC · {note.author}: {note.body}"
