"""Worker fixtures: the real FastAPI app served by uvicorn on loopback, with injectable judges."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
from sqlalchemy.orm import Session, sessionmaker

from tats_core.deps import Deps
from tats_core.judging.analysis import Analysis, AnalysisResult, JobBrief
from tats_core.judging.signals import Signals
from tats_core.processing.judgement import Judges
from tats_core.processing.queue import CandidateQueue
from tats_core.repo.snapshot import CommitInfo, RepoSnapshot, TreeEntry
from tats_core.settings import Settings, load_settings
from tats_core.store.db import transaction
from tats_core.triage.ingest import apply_ingest, plan_ingest
from tats_core.triage.jobs import create_job
from tests.servers import free_port, serve
from tests.signing import qstash_signature
from worker_service.app import create_app


def seed_candidates(
    session_factory: sessionmaker[Session], count: int, title: str = "Backend"
) -> list[int]:
    rows = "\n".join(f"Person {i},https://github.com/owner{i}/take-home" for i in range(count))
    with transaction(session_factory) as session:
        job = create_job(session, title, "Build a small REST API in Python with tests.")
        plan = plan_ingest(session, job.id, f"name,github_url\n{rows}\n".encode())
        apply_ingest(session, job.id, plan)
        job_id = job.id
    with transaction(session_factory) as session:
        from sqlalchemy import select

        from tats_core.store.models import Candidate

        return list(
            session.scalars(
                select(Candidate.id).where(Candidate.job_id == job_id).order_by(Candidate.id)
            )
        )


def small_snapshot(full_name: str) -> RepoSnapshot:
    return RepoSnapshot(
        full_name=full_name,
        default_branch="main",
        ref="main",
        languages={"Python": 5000},
        commit_count=2,
        commits=[CommitInfo("b" * 40, "Add tests", None), CommitInfo("a" * 40, "Initial", None)],
        head_sha="b" * 40,
        tree=[TreeEntry("app.py", "blob", 4000), TreeEntry("tests/test_app.py", "blob", 900)],
        readme="# App\n\nRun `pip install -r requirements.txt`.",
    )


@dataclass
class SlowSource:
    """A SnapshotSource answering from memory after ``delay`` seconds; counts calls."""

    delay: float = 0.0
    calls: list[str] = field(default_factory=list)

    async def snapshot(
        self, full_name: str, ref: str | None = None, path: str | None = None
    ) -> RepoSnapshot:
        self.calls.append(full_name)
        await asyncio.sleep(self.delay)
        return small_snapshot(full_name)


@dataclass
class FixedAnalyzer:
    """An analyzer with a fixed verdict after ``delay`` seconds (the judging itself is tested
    against the fake GitHub and fake Cohere servers elsewhere)."""

    delay: float = 0.0
    name: str = "fixed"

    async def analyze(
        self, snapshot: RepoSnapshot, signals: Signals, job: JobBrief
    ) -> AnalysisResult:
        await asyncio.sleep(self.delay)
        return AnalysisResult(
            Analysis(decision="needs_review", score=55, summary="Fixed verdict for tests."),
            analyzer=self.name,
        )


@dataclass
class RunningWorker:
    url: str
    settings: Settings

    def process_url(self) -> str:
        return self.settings.process_url

    def deliver(
        self,
        body: bytes | dict,
        *,
        path: str = "/api/process-candidate",
        signature: str | None = "sign",
        message_id: str = "msg_test",
        **sign_kwargs,
    ) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {
            "Content-Type": "application/json",
            "Upstash-Message-Id": message_id,
            "Upstash-Retried": "0",
        }
        if signature == "sign":
            signature = qstash_signature(raw, self.settings.worker_url + path, **sign_kwargs)
        if signature is not None:
            headers["Upstash-Signature"] = signature
        return httpx.post(self.url + path, content=raw, headers=headers, timeout=30)


@contextmanager
def running_worker(
    database_url: str,
    session_factory,
    judges: Judges | None,
    *,
    port: int | None = None,
    host: str = "127.0.0.1",
    **settings_overrides,
) -> Iterator[RunningWorker]:
    """The worker app on ``port``; ``judges=None`` builds them from the settings."""
    port = port or free_port()
    settings = load_settings(
        database_url=database_url, worker_url=f"http://127.0.0.1:{port}", **settings_overrides
    )
    engine = session_factory.kw["bind"]
    deps = Deps(settings, engine, session_factory, CandidateQueue.from_settings(settings))
    with serve(create_app(settings, deps=deps, judges=judges), port=port, host=host) as url:
        yield RunningWorker(url, settings)
