"""The code an evaluation cites is read back from the files that were judged, on both databases."""

from __future__ import annotations

from tats_core.store.db import transaction
from tats_core.store.models import BlobText, Candidate, Evaluation, Job
from tats_core.triage.evidence import cited_excerpts

APP = "\n".join(f"line {n}" for n in range(1, 41))
SHA = "a" * 40


def evaluation_citing(session, *evidence: str, concerns: tuple[str, ...] = ()) -> Evaluation:
    job = Job(title="Backend")
    session.add(job)
    session.flush()
    candidate = Candidate(
        job_id=job.id, github_url="https://github.com/a/b", repo_full_name="a/b", repo_key="a/b"
    )
    session.add(candidate)
    session.flush()
    evaluation = Evaluation(
        candidate_id=candidate.id,
        attempt=1,
        status="needs_review",
        criteria=[{"criterion": "Tests", "verdict": "partial", "evidence": list(evidence)}],
        concerns=list(concerns),
        signals={"version": 2, "sample_files": {"src/app.py": SHA, "README.md": "b" * 40}},
    )
    session.add_all([evaluation, BlobText(sha=SHA, text=APP, size=len(APP))])
    session.flush()
    return evaluation


def test_a_cited_range_comes_back_with_its_lines_and_a_little_context(session_factory):
    with transaction(session_factory) as session:
        evaluation = evaluation_citing(session, "src/app.py:10-12", "12 commits over 9 days")
        [excerpt] = cited_excerpts(session, evaluation)
    assert (excerpt.path, excerpt.start, excerpt.end) == ("src/app.py", 10, 12)
    assert excerpt.lines[0] == (8, "line 8") and excerpt.lines[-1] == (14, "line 14")
    assert excerpt.cited_by == "src/app.py:10-12"


def test_citations_in_concerns_and_by_file_name_alone_are_found(session_factory):
    with transaction(session_factory) as session:
        evaluation = evaluation_citing(
            session, concerns=("Stubbed code: e.g. app.py:40, app.py:40, src/app.py:99",)
        )
        excerpts = cited_excerpts(session, evaluation)
    # the repeat is shown once, a line past the end of the file not at all
    assert [(e.path, e.start) for e in excerpts] == [("app.py", 40)]
    assert excerpts[0].lines[-1] == (40, "line 40")


def test_files_that_were_not_read_or_have_no_stored_text_show_nothing(session_factory):
    with transaction(session_factory) as session:
        evaluation = evaluation_citing(session, "src/other.py:3", "README.md:1")
        assert cited_excerpts(session, evaluation) == []
