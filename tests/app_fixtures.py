"""Fixtures for the Streamlit app tests: the app pointed at the test database, a queue that is
down (an unused loopback port: publishing fails at once), and jobs seeded straight through the
models.

Test modules bind the fixtures they use as module names (``make_app = app_fixtures.make_app``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from streamlit.testing.v1 import AppTest

from tats_core import statuses
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, Evaluation, Job, StatusEvent
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "streamlit_app.py"


def _clear_caches() -> None:
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Any) -> Iterator[None]:
    """The app's settings: the test database, a queue that is down, an unreachable GitHub."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("QSTASH_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("TATS_PUBLISH_TIMEOUT", "2")
    monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{free_port()}")
    _clear_caches()
    yield
    _clear_caches()


@pytest.fixture
def make_app(app_env: None) -> Callable[..., AppTest]:
    def make(**query: Any) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.query_params.update({k: str(v) for k, v in query.items()})
        return at

    return make


def no_exceptions(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    """Everything a person reads on the page, as one string (for 'is this shown' checks)."""
    parts: list[str] = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "info",
        "warning",
        "error",
        "success",
    ):
        parts.extend(str(e.value) for e in getattr(at, kind))
    return "\n".join(parts)


def table(at: AppTest, index: int = 0) -> Any:
    return at.dataframe[index].value


def displayed(at: AppTest, index: int = 0) -> pd.DataFrame:
    """A styled table as the browser shows it: each cell's display text (``Styler.format``)."""
    import pyarrow as pa

    styler = at.dataframe[index].proto.arrow_data.styler
    return pa.ipc.open_stream(styler.display_values).read_pandas()


@dataclass
class Seeded:
    job_id: int
    ids: dict[str, int] = field(default_factory=dict)  # status -> candidate id
    names: dict[str, str] = field(default_factory=dict)  # status -> candidate name


SCORES = {statuses.LOOKS_FINE: 88, statuses.NEEDS_REVIEW: 55, statuses.LOW_EFFORT: 12}
NAMES = {
    statuses.PENDING: "Petra Pending",
    statuses.PROCESSING: "Paul Processing",
    statuses.LOOKS_FINE: "Grace Hopper",
    statuses.NEEDS_REVIEW: "Nina Review",
    statuses.LOW_EFFORT: "Larry Low",
    statuses.GITHUB_FAILED: "Gita Missing",
    statuses.AI_FAILED: "Aiko Timeout",
    statuses.UNKNOWN_FAILED: "Uma Unknown",
}


def add_candidate(
    session: Session, job_id: int, status: str, name: str, *, analyzer: str = "heuristic"
) -> Candidate:
    slug = name.lower().replace(" ", "-")
    candidate = Candidate(
        job_id=job_id,
        name=name,
        email=f"{slug}@example.com",
        email_key=f"{slug}@example.com",
        github_url=f"https://github.com/{slug}/take-home",
        repo_full_name=f"{slug}/take-home",
        repo_key=f"{slug}/take-home",
        status=status,
        rank_score=SCORES.get(status, -1),
    )
    session.add(candidate)
    session.flush()  # no creation event: as an import, history() derives it from the row
    if status in statuses.DECISIONS:
        session.add(
            Evaluation(
                candidate_id=candidate.id,
                attempt=1,
                status=status,
                score=SCORES[status],
                summary=f"{name} built the API; verdict {status}.",
                strengths=[f"Strength of {name}"],
                concerns=[f"Concern about {name}"],
                criteria=[
                    {"criterion": "CRUD endpoints", "verdict": "met", "evidence": ["app/main.py"]}
                ],
                signals={
                    "commit_count": 7,
                    "commit_span_days": 2.0,
                    "active_days": 2,
                    "file_count": 12,
                    "code_file_count": 6,
                    "code_bytes": 9000,
                    "has_readme": True,
                    "readme_chars": 900,
                    "ref": "main",
                },
                flags=["prompt_injection"] if status == statuses.NEEDS_REVIEW else [],
                analyzer=analyzer,
            )
        )
    elif status in statuses.FAILURES:
        session.add(
            Evaluation(
                candidate_id=candidate.id,
                attempt=1,
                status=status,
                summary=f"{status} for {name}",
                error=f"{status}: the repository could not be judged",
                analyzer="",
            )
        )
    return candidate


def seed_big_job(session_factory: sessionmaker[Session], names: list[str]) -> int:
    """A job of pending candidates with these names, in this upload order; its id."""
    with transaction(session_factory) as session:
        job = Job(title="Big job")
        session.add(job)
        session.flush()
        for name in names:
            add_candidate(session, job.id, statuses.PENDING, name)
        return job.id


def seed_every_status(
    session_factory: sessionmaker[Session], title: str = "Backend take-home"
) -> Seeded:
    """One job with one candidate in every status; the looks_fine one judged by 'cohere'."""
    with transaction(session_factory) as session:
        job = Job(title=title, description="Build a todo REST API", rubric="tests and README")
        session.add(job)
        session.flush()
        seeded = Seeded(job.id)
        for status in statuses.ALL:
            analyzer = "cohere" if status == statuses.LOOKS_FINE else "heuristic"
            candidate = add_candidate(session, job.id, status, NAMES[status], analyzer=analyzer)
            seeded.ids[status] = candidate.id
            seeded.names[status] = candidate.name
    return seeded


def set_status(session_factory: sessionmaker[Session], candidate_id: int, status: str) -> None:
    with transaction(session_factory) as session:
        session.get(Candidate, candidate_id).status = status  # type: ignore[union-attr]


def events_of(session_factory: sessionmaker[Session], candidate_id: int) -> list[StatusEvent]:
    with transaction(session_factory) as session:
        return list(
            session.scalars(
                select(StatusEvent)
                .where(StatusEvent.candidate_id == candidate_id)
                .order_by(StatusEvent.id)
            )
        )


def candidate(session_factory: sessionmaker[Session], candidate_id: int) -> Candidate:
    with transaction(session_factory) as session:
        return session.get(Candidate, candidate_id)  # type: ignore[return-value]


def fake_github(remaining: int, limit: int = 60, *, status: int = 200) -> Starlette:
    """A GitHub API answering only ``GET /rate_limit``; it records the requests it got."""
    seen: list[dict[str, str]] = []

    async def rate_limit(request: Request) -> JSONResponse:
        seen.append(dict(request.headers))
        core = {"limit": limit, "remaining": remaining, "reset": 1_900_000_000, "used": 0}
        return JSONResponse({"resources": {"core": core}, "rate": core}, status_code=status)

    app = Starlette(routes=[Route("/rate_limit", rate_limit)])
    app.state.seen = seen
    return app
