"""Shared solutions within a job, end to end: the real worker, a fake GitHub, a real database.

A submission and a copy of it under another owner are flagged both ways (decision capped at
needs_review with the evidence, the export's ``shared_with``); a recruiter's decision is never
changed; sharing never rejects anyone.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from tats_core import statuses
from tats_core.judging.analysis import Analysis, AnalysisResult
from tats_core.judging.heuristic import HeuristicAnalyzer
from tats_core.judging.overlap import SHARED_CODE_FLAG, FileRef
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, StatusEvent
from tats_core.triage.candidates import override_decision
from tats_core.triage.export import evaluations_csv
from tats_core.triage.ingest import apply_ingest, plan_ingest
from tats_core.triage.jobs import create_job
from tats_core.triage.shared_code import job_given, overlaps_of, save_fingerprint, shared_with
from tats_dev.github_replay import create_app as create_replay
from tests.servers import serve
from tests.test_export import read_export
from tests.test_worker_judging import REPOS, candidate, worker_with


@pytest.fixture
def github(tmp_path: Path):
    """The test repositories plus ``someone/strong-copy``: acme/strong-api's tree, another owner."""
    repos = tmp_path / "repos"
    shutil.copytree(REPOS, repos)
    copy = repos / "someone__strong-copy"
    shutil.copytree(REPOS / "acme__strong-api", copy)
    repo = json.loads((copy / "repo.json").read_text())
    repo.update(id=900999, name="strong-copy", full_name="someone/strong-copy")
    repo["owner"]["login"] = "someone"
    (copy / "repo.json").write_text(json.dumps(repo))
    app = create_replay(repos, graphql=False)
    with serve(app) as url:
        app.url = url
        yield app


def add_job(session_factory, *urls: str) -> list[int]:
    with transaction(session_factory) as session:
        job = create_job(session, "Backend take-home", "A REST API in Python with tests.")
        csv = "repo\n" + "\n".join(urls) + "\n"
        apply_ingest(session, job.id, plan_ingest(session, job.id, csv.encode()))
        return list(
            session.scalars(
                select(Candidate.id).where(Candidate.job_id == job.id).order_by(Candidate.id)
            )
        )


def judge_all(database_url, session_factory, github, analyzer, *cids: int) -> None:
    with worker_with(database_url, session_factory, github.url, analyzer) as worker:
        for cid in cids:
            assert worker.deliver({"candidateId": cid}).status_code == 200


def events(session_factory, cid: int) -> list[StatusEvent]:
    with session_factory() as s:
        return list(
            s.scalars(select(StatusEvent).where(StatusEvent.candidate_id == cid).order_by("id"))
        )


def exported(session_factory, cids: list[int]) -> dict[int, str]:
    with session_factory() as s:
        job_id = s.get(Candidate, cids[0]).job_id
        frame = read_export(evaluations_csv(s, job_id))
    return dict(zip(frame["candidate_id"].astype(int), frame["shared_with"], strict=True))


def test_a_copy_under_another_owner_is_flagged_both_ways(database_url, session_factory, github):
    first, copy, other = add_job(
        session_factory,
        "https://github.com/acme/strong-api",
        "https://github.com/someone/strong-copy",
        "https://github.com/acme/weak-app",
    )
    judge_all(database_url, session_factory, github, HeuristicAnalyzer(), first)
    original, _ = candidate(session_factory, first)
    assert original.status == statuses.LOOKS_FINE  # before the copy arrives
    judge_all(database_url, session_factory, github, HeuristicAnalyzer(), copy, other)

    c, [evaluation] = candidate(session_factory, copy)
    assert c.status == evaluation.status == statuses.NEEDS_REVIEW
    assert SHARED_CODE_FLAG in evaluation.flags
    [concern] = [line for line in evaluation.concerns if "Shares" in line]
    assert f"with candidate {first}: " in concern and "todo/app.py" in concern

    # The earlier candidate is moved too, with the reason in its history.
    original, [first_evaluation] = candidate(session_factory, first)
    assert original.status == statuses.NEEDS_REVIEW
    last = events(session_factory, first)[-1]
    assert (last.from_status, last.to_status, last.override) == (
        statuses.LOOKS_FINE,
        statuses.NEEDS_REVIEW,
        False,
    )
    assert f"candidate {copy}" in last.reason and "todo/app.py" in last.reason
    assert SHARED_CODE_FLAG in first_evaluation.flags

    with session_factory() as s:
        job_id = s.get(Candidate, first).job_id
        [overlap] = overlaps_of(s, job_id, first)
    assert overlap.other == copy and ("todo/app.py", "todo/app.py") in overlap.pairs
    assert exported(session_factory, [first, copy, other]) == {
        first: str(copy),
        copy: str(first),
        other: "",
    }


def test_a_recruiters_decision_is_never_changed(database_url, session_factory, github):
    first, copy = add_job(
        session_factory,
        "https://github.com/acme/strong-api",
        "https://github.com/someone/strong-copy",
    )
    judge_all(database_url, session_factory, github, HeuristicAnalyzer(), first)
    with transaction(session_factory) as s:
        override_decision(
            s, first, statuses.LOOKS_FINE, actor="rita@example.com", reason="Checked by hand"
        )
    judge_all(database_url, session_factory, github, HeuristicAnalyzer(), copy)

    original, _ = candidate(session_factory, first)
    assert original.status == statuses.LOOKS_FINE
    assert events(session_factory, first)[-1].override is True
    c, _ = candidate(session_factory, copy)
    assert c.status == statuses.NEEDS_REVIEW


class LowEffortAnalyzer:
    name = "stern"

    async def analyze(self, snapshot, signals, job):
        analysis = Analysis(decision="low_effort", score=20, summary="Not much here.")
        return AnalysisResult(analysis=analysis, analyzer=self.name)


def test_sharing_code_caps_at_needs_review_and_never_rejects(database_url, session_factory, github):
    first, copy = add_job(
        session_factory,
        "https://github.com/acme/strong-api",
        "https://github.com/someone/strong-copy",
    )
    judge_all(database_url, session_factory, github, LowEffortAnalyzer(), first, copy)
    c, [evaluation] = candidate(session_factory, copy)
    assert c.status == evaluation.status == statuses.NEEDS_REVIEW
    assert 35 <= evaluation.score <= 69
    # The earlier one keeps its own decision: only looks_fine is moved (to needs_review).
    original, _ = candidate(session_factory, first)
    assert original.status == statuses.LOW_EFFORT


def test_different_submissions_of_one_job_are_not_flagged(database_url, session_factory, github):
    cids = add_job(
        session_factory,
        "https://github.com/acme/strong-api",
        "https://github.com/acme/weak-app",
        "https://github.com/acme/monorepo",
    )
    judge_all(database_url, session_factory, github, HeuristicAnalyzer(), *cids)
    assert set(exported(session_factory, cids).values()) == {""}
    for cid in cids:
        _, [evaluation] = candidate(session_factory, cid)
        assert SHARED_CODE_FLAG not in evaluation.flags


def ref(path: str, sha: str, size: int = 5_000) -> FileRef:
    return FileRef(path, sha, size)


STARTER = [ref(f"starter/part_{i}.py", f"starter{i}") for i in range(3)]
RING = [ref(f"solution/step_{i}.py", f"ring{i}") for i in range(3)]


def test_a_solution_three_of_five_share_is_flagged_and_a_starter_all_hold_is_not(
    session_factory,
):
    cids = add_job(session_factory, *(f"https://github.com/c{i}/take-home" for i in range(5)))
    with transaction(session_factory) as session:
        job_id = session.get(Candidate, cids[0]).job_id
        for i, cid in enumerate(cids):
            mine = [ref(f"own/work_{i}.py", f"own{i}")] + STARTER + (RING if i < 3 else [])
            save_fingerprint(session, job_id, cid, mine)
        sharing = shared_with(session, job_id)
        given = job_given(session, job_id, cids[0], {f.sha for f in STARTER + RING})
    assert {cid: [o.other for o in found] for cid, found in sharing.items()} == {
        cids[0]: [cids[1], cids[2]],
        cids[1]: [cids[0], cids[2]],
        cids[2]: [cids[0], cids[1]],
        cids[3]: [],
        cids[4]: [],
    }
    assert given == {f.sha: "in 5 of the job's 5 submissions" for f in STARTER}


def test_a_starter_one_submission_was_found_to_build_on_is_given_to_the_whole_job(
    session_factory,
):
    first, second = add_job(session_factory, "https://github.com/a/x", "https://github.com/b/y")
    with transaction(session_factory) as session:
        job_id = session.get(Candidate, first).job_id
        # The first is a fork: its starter's files are stored as given.
        save_fingerprint(session, job_id, first, [ref("own/a.py", "a")], given=STARTER)
        # The second holds the same files with no fork to say so: a zip of the starter.
        save_fingerprint(session, job_id, second, [*STARTER, ref("own/b.py", "b")])
        reasons = job_given(session, job_id, second, {f.sha for f in STARTER} | {"b"})
        assert overlaps_of(session, job_id, second) == []
    assert set(reasons) == {f.sha for f in STARTER}
    assert set(reasons.values()) == {"in the starter another submission of the job built on"}
