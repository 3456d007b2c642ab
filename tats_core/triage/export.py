"""The evaluations CSV (download and ``tats export``): the contract's columns, safe to open.

A cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first) is
prefixed with ``'`` so it shows as text: candidates write these CSV cells, not us.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from tats_core import statuses
from tats_core.store.models import Candidate, Evaluation
from tats_core.triage.ingest import RowProblem
from tats_core.triage.listing import TABLE_ORDER, CandidateFilter, candidates_query
from tats_core.triage.notes import job_notes, note_line
from tats_core.triage.reviews import Review, current_reviews, job_reviews
from tats_core.triage.shared_code import shared_with

TEST_COLUMNS = [
    "tests_status",
    "tests_passed",
    "tests_failed",
    "tests_note",
    "acceptance_status",
    "acceptance_passed",
    "acceptance_failed",
]
VERDICT_COLUMNS = ["criteria", "commit_sha", "reused_from"]
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
    # A recruiter's decision (``status`` then holds it) beside the analyzer's own:
    "analyzer_decision",
    "override_by",
    "override_reason",
    "override_at",
    # The tests run in the sandbox: the submission's own, then the job's acceptance tests.
    *TEST_COLUMNS,
    "notes",  # recruiters' notes, oldest first, one per line: "<UTC time> · <author>: <text>"
    # Each criterion's verdict with its evidence; the commit judged; the earlier evaluation
    # ("candidate/attempt") whose verdict was reused for the same commit, rubric and analyzer.
    *VERDICT_COLUMNS,
]
LABEL_COLUMNS = [
    "candidate_id",
    "name",
    "analyzer_decision",
    "human_decision",
    "reason",
    "reviewed_by",
    "reviewed_at",
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
    """One row per candidate, in the triage table's order (best score first)."""
    rows = list(session.execute(candidates_query(job_id, filters).order_by(*TABLE_ORDER)))
    reviews = current_reviews(session, [row.candidate_id for row in rows])
    sharing = shared_with(session, job_id)
    notes = job_notes(session, job_id)
    verdicts = verdict_columns(session, [(row.candidate_id, row.attempt) for row in rows])
    records = []
    for row in rows:
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
                **_review_columns(row.status, reviews.get(row.candidate_id)),
                **test_columns(row.tests),
                "notes": "\n".join(note_line(n) for n in notes.get(row.candidate_id, [])),
                **verdicts.get(row.candidate_id, dict.fromkeys(VERDICT_COLUMNS, "")),
            }
        )
    frame = pd.DataFrame.from_records(records, columns=COLUMNS)
    frame["score"] = frame["score"].astype("Int64")  # empty while unevaluated, not 0.0
    for column in ("tests_passed", "tests_failed", "acceptance_passed", "acceptance_failed"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    return frame


def test_columns(tests: dict[str, Any] | None) -> dict[str, Any]:
    """The export's test columns from a stored report: empty while unevaluated (or judged before
    tests ran), the acceptance columns empty when the job has none."""
    own = (tests or {}).get("tests") or {}
    acceptance = (tests or {}).get("acceptance") or {}
    return {
        "tests_status": own.get("status", ""),
        "tests_passed": own.get("passed", "") if own else "",
        "tests_failed": (own.get("failed", 0) + own.get("errors", 0)) if own else "",
        "tests_note": own.get("note", ""),
        "acceptance_status": acceptance.get("status", ""),
        "acceptance_passed": acceptance.get("passed", "") if acceptance else "",
        "acceptance_failed": (
            acceptance.get("failed", 0) + acceptance.get("errors", 0) if acceptance else ""
        ),
    }


def verdict_columns(session: Session, current: list[tuple[int, int]]) -> dict[int, dict[str, str]]:
    """Per candidate (at its current attempt): criteria with evidence, commit, reused from."""
    if not current:
        return {}
    attempts = dict(current)
    rows = session.execute(
        select(
            Evaluation.candidate_id,
            Evaluation.attempt,
            Evaluation.criteria,
            Evaluation.commit_sha,
            Evaluation.reused_from,
        ).where(Evaluation.candidate_id.in_(list(attempts)))
    ).all()
    mine = [r for r in rows if attempts.get(r.candidate_id) == r.attempt]
    origins = {
        e.id: f"{e.candidate_id}/{e.attempt}"
        for e in session.execute(
            select(Evaluation.id, Evaluation.candidate_id, Evaluation.attempt).where(
                Evaluation.id.in_([r.reused_from for r in mine if r.reused_from])
            )
        )
    }
    return {
        r.candidate_id: {
            "criteria": criteria_text(r.criteria or []),
            "commit_sha": r.commit_sha or "",
            "reused_from": origins.get(r.reused_from or 0, ""),
        }
        for r in mine
    }


def criteria_text(criteria: list[dict[str, Any]]) -> str:
    """``Automated tests: partial (test/app.test.js); README ...: met (README.md)``."""
    parts = []
    for c in criteria:
        evidence = ", ".join(str(e) for e in (c.get("evidence") or [])[:3])
        parts.append(
            f"{c.get('criterion')}: {c.get('verdict')}" + (f" ({evidence})" if evidence else "")
        )
    return "; ".join(parts)


def _review_columns(status: str, review: Review | None) -> dict[str, str]:
    if review is None:  # the status is the analyzer's own decision (or a failure / in progress)
        return {
            "analyzer_decision": status if status in statuses.DECISIONS else "",
            "override_by": "",
            "override_reason": "",
            "override_at": "",
        }
    return {
        "analyzer_decision": review.analyzer_decision or "",
        "override_by": review.actor,
        "override_reason": review.reason,
        "override_at": review.at.isoformat(),
    }


def labels_frame(session: Session, job_id: int) -> pd.DataFrame:
    """The reviewed candidates of a job as labels: the analyzer's decision and the human's."""
    reviews = job_reviews(session, job_id)
    names = {
        row.id: row.name
        for row in session.execute(
            select(Candidate.id, Candidate.name).where(Candidate.id.in_(list(reviews)))
        )
    }
    records = [
        {
            "candidate_id": review.candidate_id,
            "name": names.get(review.candidate_id, ""),
            "analyzer_decision": review.analyzer_decision or "",
            "human_decision": review.decision,
            "reason": review.reason,
            "reviewed_by": review.actor,
            "reviewed_at": review.at.isoformat(),
        }
        for review in sorted(reviews.values(), key=lambda r: r.candidate_id)
    ]
    return pd.DataFrame.from_records(records, columns=LABEL_COLUMNS)


def labels_csv(session: Session, job_id: int) -> bytes:
    return to_csv_bytes(labels_frame(session, job_id))


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


def skipped_rows_csv(invalid: list[RowProblem], duplicates: list[RowProblem]) -> bytes:
    """The rows an import left out and why, as a CSV the recruiter can fix and upload again."""
    frame = pd.DataFrame.from_records(
        [
            {"row": p.row, "name": p.name, "value": p.value, "problem": kind, "reason": p.reason}
            for kind, problems in (("invalid", invalid), ("duplicate", duplicates))
            for p in problems
        ],
        columns=["row", "name", "value", "problem", "reason"],
    ).sort_values("row", kind="stable")
    return to_csv_bytes(frame)
