"""The evaluations CSV: the contract's columns, one row per candidate, formulas made inert."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tats_core import statuses
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, Evaluation, Job
from tats_core.triage.export import evaluations_frame, to_csv_bytes

CONTRACT_COLUMNS = [
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
]
EVALUATED_AT = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)


def add_candidate(session: Session, job: Job, name: str, repo: str, **values: object) -> Candidate:
    candidate = Candidate(
        job_id=job.id,
        name=name,
        email=f"{repo.replace('/', '.')}@example.com",
        email_key=f"{repo.replace('/', '.')}@example.com",
        github_url=f"https://github.com/{repo}",
        repo_full_name=repo,
        repo_key=repo.lower(),
        **values,
    )
    session.add(candidate)
    session.flush()
    return candidate


def read_export(data: bytes) -> pd.DataFrame:
    """Read the CSV back as a spreadsheet user's tool would: every cell as written."""
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")


def export_job(session_factory: sessionmaker[Session], job_id: int) -> bytes:
    with session_factory() as session:
        return to_csv_bytes(evaluations_frame(session, job_id))


@pytest.fixture
def seeded(session_factory: sessionmaker[Session]) -> int:
    """A job with one evaluated candidate, one pending, and one re-run (new attempt, no result)."""
    with transaction(session_factory) as session:
        job = Job(title="Backend take-home")
        session.add(job)
        session.flush()
        evaluated = add_candidate(
            session, job, "Ada Lovelace", "ada/engine", status=statuses.LOOKS_FINE
        )
        session.add(
            Evaluation(
                candidate_id=evaluated.id,
                attempt=1,
                status=statuses.LOOKS_FINE,
                score=87,
                summary="Clean service with tests.",
                strengths=["tests", "CI"],
                concerns=["no README"],
                analyzer="heuristic",
                evaluated_at=EVALUATED_AT,
            )
        )
        add_candidate(session, job, "Alan Turing", "alan/bombe")
        rerun = add_candidate(
            session, job, "Grace Hopper", "grace/cobol", status=statuses.PENDING, attempt=2
        )
        session.add(
            Evaluation(
                candidate_id=rerun.id,
                attempt=1,
                status=statuses.LOW_EFFORT,
                score=10,
                analyzer="heuristic",
            )
        )
        return job.id


def test_export_has_the_contract_columns_and_one_row_per_candidate(session_factory, seeded):
    frame = read_export(export_job(session_factory, seeded))

    assert list(frame.columns[: len(CONTRACT_COLUMNS)]) == CONTRACT_COLUMNS
    assert list(frame["name"]) == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    ada, alan, grace = frame.to_dict("records")
    assert ada == {
        **ada,
        "email": "ada.engine@example.com",
        "github_url": "https://github.com/ada/engine",
        "status": "looks_fine",
        "score": "87",
        "summary": "Clean service with tests.",
        "strengths": "tests; CI",
        "concerns": "no README",
        "analyzer": "heuristic",
    }
    assert datetime.fromisoformat(ada["evaluated_at"]) == EVALUATED_AT
    # Unevaluated: an empty score, not 0 (which would read as a terrible candidate).
    assert (alan["status"], alan["score"], alan["evaluated_at"]) == ("pending", "", "")
    # A re-run shows its current attempt, not the previous attempt's score.
    assert (grace["status"], grace["score"], grace["analyzer"]) == ("pending", "", "")


def test_export_of_a_job_without_candidates_is_the_header_alone(session_factory):
    with transaction(session_factory) as session:
        job = Job(title="Empty")
        session.add(job)
        session.flush()
        job_id = job.id
    frame = read_export(export_job(session_factory, job_id))
    assert list(frame.columns[: len(CONTRACT_COLUMNS)]) == CONTRACT_COLUMNS
    assert frame.empty


@pytest.mark.parametrize(
    "written",
    [
        '=HYPERLINK("http://x","y")',
        "+1+2",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
    ],
    ids=["equals", "plus", "minus", "at", "tab", "cr"],
)
def test_formula_like_cells_come_out_inert(session_factory, written):
    with transaction(session_factory) as session:
        job = Job(title="Formulas")
        session.add(job)
        session.flush()
        candidate = add_candidate(session, job, written, "f/one", status=statuses.NEEDS_REVIEW)
        session.add(
            Evaluation(
                candidate_id=candidate.id,
                attempt=1,
                status=statuses.NEEDS_REVIEW,
                score=50,
                summary=written,
                strengths=[written],
                concerns=[],
                analyzer="heuristic",
            )
        )
        job_id = job.id

    row = read_export(export_job(session_factory, job_id)).iloc[0]

    for column in ("name", "summary", "strengths"):
        assert row[column] == "'" + written, column
    assert row["score"] == "50"  # numbers are not text and stay numbers


def test_ordinary_text_is_left_alone(session_factory):
    with transaction(session_factory) as session:
        job = Job(title="Plain")
        session.add(job)
        session.flush()
        add_candidate(session, job, "José = García, Jr.", "jose/api")
        job_id = job.id
    row = read_export(export_job(session_factory, job_id)).iloc[0]
    assert row["name"] == "José = García, Jr."


def test_a_carriage_return_inside_a_cell_cannot_start_a_new_row(session_factory):
    # Unquoted, the CR would end the row and "=1+1" would open the next one as a live formula.
    with transaction(session_factory) as session:
        job = Job(title="Line breaks")
        session.add(job)
        session.flush()
        add_candidate(session, job, "Bob\r=1+1", "bob/one")
        add_candidate(session, job, "Multi\nline", "bob/two")
        job_id = job.id
    frame = read_export(export_job(session_factory, job_id))
    assert list(frame["name"]) == ["Bob\r=1+1", "Multi\nline"]
    assert list(frame["github_url"]) == ["https://github.com/bob/one", "https://github.com/bob/two"]


def test_an_override_has_its_own_columns_beside_the_analyzers_decision(
    session_factory: sessionmaker[Session],
):
    from tats_core.triage.candidates import override_decision
    from tats_core.triage.export import COLUMNS, labels_frame

    with transaction(session_factory) as session:
        job = Job(title="Overrides")
        session.add(job)
        session.flush()
        judged = {}
        for name, status, score in (("Low Lou", "low_effort", 20), ("Fine Fay", "looks_fine", 90)):
            candidate = add_candidate(
                session, job, name, f"o/{name.split()[0].lower()}", status=status, rank_score=score
            )
            session.add(
                Evaluation(
                    candidate_id=candidate.id,
                    attempt=1,
                    status=status,
                    score=score,
                    summary="s",
                    analyzer="heuristic",
                    evaluated_at=EVALUATED_AT,
                )
            )
            judged[name] = candidate.id
        session.flush()
        override_decision(
            session, judged["Low Lou"], "needs_review", actor="Ada", reason="=HYPERLINK(x)"
        )
        job_id = job.id

    assert COLUMNS[: len(CONTRACT_COLUMNS)] == CONTRACT_COLUMNS
    exported = read_export(export_job(session_factory, job_id))
    assert list(exported.columns[-5:-1]) == [
        "analyzer_decision",
        "override_by",
        "override_reason",
        "override_at",
    ]
    assert list(exported["name"]) == ["Fine Fay", "Low Lou"]  # the table's order, best first
    lou = exported[exported["name"] == "Low Lou"].iloc[0]
    assert lou["status"] == "needs_review" and lou["analyzer_decision"] == "low_effort"
    assert lou["override_by"] == "Ada"
    assert lou["override_reason"] == "'=HYPERLINK(x)"  # neutralised like every cell
    assert lou["override_at"].startswith(str(datetime.now(UTC).year))
    fay = exported[exported["name"] == "Fine Fay"].iloc[0]
    assert (fay["analyzer_decision"], fay["override_by"]) == ("looks_fine", "")

    with session_factory() as session:
        labels = labels_frame(session, job_id)
    assert labels.to_dict("records")[0] | {"reviewed_at": ""} == {
        "candidate_id": judged["Low Lou"],
        "name": "Low Lou",
        "analyzer_decision": "low_effort",
        "human_decision": "needs_review",
        "reason": "=HYPERLINK(x)",
        "reviewed_by": "Ada",
        "reviewed_at": "",
    }
