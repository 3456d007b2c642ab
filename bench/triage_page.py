"""How long the triage page takes for a job of 1,000 and of 100,000 candidates.

Seeds each job with bulk inserts (a realistic mix: most candidates judged, some pending or
processing, some failed) in a temporary SQLite file and, when reachable, a temporary PostgreSQL
database, then times warm AppTest runs of the page (the median of several). The page must not
grow with the job: counts are SQL aggregates and the table is one page of rows.

    python bench/triage_page.py [--runs 5] [--sizes 1000 100000] [--pg postgresql://host/db]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tats_core import statuses  # noqa: E402
from tats_core.store.db import make_engine  # noqa: E402
from tats_core.store.models import Candidate, Evaluation, Job  # noqa: E402
from tats_core.store.schema import migrate  # noqa: E402

APP = ROOT / "streamlit_app.py"
BATCH = 10_000
# The share of each status in a job being processed (weights).
MIX = {
    statuses.PENDING: 10,
    statuses.PROCESSING: 2,
    statuses.LOOKS_FINE: 25,
    statuses.NEEDS_REVIEW: 35,
    statuses.LOW_EFFORT: 20,
    statuses.GITHUB_FAILED: 5,
    statuses.AI_FAILED: 2,
    statuses.UNKNOWN_FAILED: 1,
}


def seed(engine: Engine, size: int, title: str) -> int:
    rng = random.Random(size)
    now = datetime.now(UTC)
    population, weights = list(MIX), list(MIX.values())
    with engine.begin() as conn:
        job_id = conn.execute(
            insert(Job).values(title=title, description="Build a todo REST API", rubric="tests")
        ).inserted_primary_key[0]
        for start in range(0, size, BATCH):
            rows = []
            for i in range(start, min(start + BATCH, size)):
                status = rng.choices(population, weights)[0]
                score = rng.randint(0, 100) if status in statuses.DECISIONS else None
                rows.append(
                    {
                        "job_id": job_id,
                        "name": f"Candidate {i}",
                        "email": f"c{i}@example.com",
                        "email_key": f"c{i}@example.com",
                        "github_url": f"https://github.com/owner{i}/take-home",
                        "repo_full_name": f"owner{i}/take-home",
                        "repo_key": f"owner{i}/take-home",
                        "status": status,
                        "attempt": 1,
                        "rank_score": -1 if score is None else score,
                        "created_at": now,
                        "updated_at": now - timedelta(seconds=i),
                    }
                )
            conn.execute(insert(Candidate), rows)
        judged = conn.execute(
            select(Candidate.id, Candidate.status, Candidate.rank_score).where(
                Candidate.job_id == job_id, Candidate.status.in_(statuses.FINAL)
            )
        ).all()
        for start in range(0, len(judged), BATCH):
            conn.execute(
                insert(Evaluation),
                [
                    {
                        "candidate_id": cid,
                        "attempt": 1,
                        "status": status,
                        "score": None if rank < 0 else rank,
                        "summary": f"Summary of candidate {cid}",
                        "strengths": ["Tests"],
                        "concerns": ["One dump commit"],
                        "criteria": [],
                        "signals": {},
                        "flags": [],
                        "analyzer": rng.choice(["heuristic", "cohere"]),
                        "evaluated_at": now,
                    }
                    for cid, status, rank in judged[start : start + BATCH]
                ],
            )
    # A live database has statistics and a visibility map (autovacuum): give the fresh one both.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")
    return int(job_id)


def time_page(database_url: str, job_id: int, runs: int) -> float:
    """Median seconds of a warm AppTest run of the triage page for ``job_id``."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["DATABASE_URL"] = database_url
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.query_params["job"] = str(job_id)
    at.run()  # warm: imports, engine, migrations check
    if at.exception:
        raise RuntimeError(at.exception[0].message)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        at.run()
        timings.append(time.perf_counter() - started)
    assert len(at.dataframe[0].value) == 50, "the table must show one page"
    return statistics.median(timings)


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str | None]:
    name = f"tats_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL not reachable at {admin_url} ({exc}); skipping it")
        yield None
        return
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0].split("://", 1)[1]
    try:
        yield f"postgresql+psycopg://{base}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench(label: str, database_url: str, sizes: list[int], runs: int) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    results = {}
    for size in sizes:
        started = time.perf_counter()
        job_id = seed(engine, size, f"Bench {size}")
        seeded_in = time.perf_counter() - started
        results[size] = time_page(database_url, job_id, runs)
        print(
            f"{label:10} {size:>8,} candidates: page {results[size] * 1000:7.0f} ms "
            f"(median of {runs}; seeded in {seeded_in:.1f} s)",
            flush=True,
        )
    engine.dispose()
    small, big = min(sizes), max(sizes)
    ratio = results[big] / results[small]
    verdict = "OK" if ratio <= 2 else "SLOWER than the 2x aim"
    print(f"{label:10} ratio {big:,} / {small:,}: {ratio:.2f}x  {verdict}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument(
        "--pg", default=os.environ.get("TATS_TEST_PG_URL", "postgresql://127.0.0.1:5432/test")
    )
    args = parser.parse_args()
    # A queue and GitHub that do not answer: the page must not wait on either.
    os.environ["QSTASH_URL"] = "http://127.0.0.1:9"
    os.environ["GITHUB_API_URL"] = "http://127.0.0.1:9"
    with sqlite_database() as url:
        bench("sqlite", url, args.sizes, args.runs)
    with postgres_database(args.pg) as url:
        if url:
            bench("postgresql", url, args.sizes, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
