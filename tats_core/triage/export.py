"""The evaluations CSV (download and ``tats export``): the contract's columns, safe to open.

A cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first) is
prefixed with ``'`` so it shows as text: candidates write these CSV cells, not us.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from tats_core.store.models import Candidate
from tats_core.triage.candidates import CandidateFilter, candidates_query
from tats_core.triage.overlap import shared_with

COLUMNS = [
    "candidate_id",
    "name",
    "email",
    "github_url",
    "status",
    "score",
    "summary",
    "strengths",
    "concerns",
    "analyzer",
    "evaluated_at",
    # Extensions after the contract's columns:
    "repository",
    "attempt",
    "flags",
    "shared_with",  # candidate_ids sharing substantial own code with this one, ";"-separated
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _join(items: Any) -> str:
    return "; ".join(str(i) for i in items) if items else ""


def evaluations_frame(
    session: Session, job_id: int, filters: CandidateFilter | None = None
) -> pd.DataFrame:
    query = candidates_query(job_id, filters).order_by(Candidate.id)
    sharing = shared_with(session, job_id)
    records = []
    for row in session.execute(query):
        records.append(
            {
                "candidate_id": row.candidate_id,
                "name": row.name,
                "email": row.email,
                "github_url": row.github_url,
                "status": row.status,
                "score": row.score,
                "summary": row.summary or "",
                "strengths": _join(row.strengths),
                "concerns": _join(row.concerns),
                "analyzer": row.analyzer or "",
                "evaluated_at": row.evaluated_at.isoformat() if row.evaluated_at else "",
                "repository": row.repo_full_name,
                "attempt": row.attempt,
                "flags": _join(row.flags),
                "shared_with": ";".join(
                    sorted(str(o.other) for o in sharing.get(row.candidate_id, []))
                ),
            }
        )
    frame = pd.DataFrame.from_records(records, columns=COLUMNS)
    frame["score"] = frame["score"].astype("Int64")  # empty while unevaluated, not 0.0
    return frame


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM so Excel reads non-ASCII names correctly; CRLF line endings."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    # CRLF, as RFC 4180 has it, also makes the csv writer quote a cell holding a bare CR;
    # with "\n" such a cell ends the row early and its rest opens a new row, formula and all.
    return safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def evaluations_csv(session: Session, job_id: int, filters: CandidateFilter | None = None) -> bytes:
    """The bytes behind the triage page's download button."""
    return to_csv_bytes(evaluations_frame(session, job_id, filters))
