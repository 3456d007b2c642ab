"""Ingest over the awkward CSV corpus, on SQLite and PostgreSQL.

Each test imports the way the CLI and the upload page do (find or create the job, plan, apply,
all in one transaction) and checks what a recruiter sees: the report's counts, the invalid rows
with their row numbers and reasons, the stored candidates, and that a rejected file leaves the
database exactly as it was.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from tats_core import statuses
from tats_core.errors import InputError
from tats_core.store.db import transaction
from tats_core.store.models import Candidate, Job, StatusEvent
from tats_core.triage.candidates import history
from tats_core.triage.csv_reader import ProgressCallback
from tats_core.triage.ingest import IngestReport, RowProblem, apply_ingest, ingest, plan_ingest
from tats_core.triage.jobs import create_job, find_job_by_title
from tests.csv_corpus import big_csv, corpus_file, latin1_csv, png_bytes, xlsx_bytes

TITLE = "Backend take-home"
GOOD_ROWS = (
    "name,email,github_url\n"
    + "".join(f"Ok {i},ok{i}@example.com,https://github.com/ok{i}/repo\n" for i in range(4000))
).encode()


def import_csv(
    session_factory: sessionmaker[Session],
    source: Path | bytes,
    title: str = TITLE,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """What ``tats import`` does: the job and its candidates land in one transaction, the rows
    written while the file is still being read."""
    with transaction(session_factory) as session:
        job = find_job_by_title(session, title) or create_job(session, title)
        return ingest(session, job.id, source, progress=progress)


def plan_then_apply(session_factory: sessionmaker[Session], source: Path | bytes) -> IngestReport:
    """What the upload page does: a plan to preview, then the same plan stored."""
    with transaction(session_factory) as session:
        job = find_job_by_title(session, TITLE) or create_job(session, TITLE)
        plan = plan_ingest(session, job.id, source)
        return apply_ingest(session, job.id, plan)


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            model.__tablename__: conn.scalar(select(func.count()).select_from(model)) or 0
            for model in (Job, Candidate, StatusEvent)
        }


def stored(session_factory: sessionmaker[Session], title: str = TITLE) -> list[Candidate]:
    with session_factory() as session:
        job = find_job_by_title(session, title)
        assert job is not None
        return list(
            session.scalars(
                select(Candidate).where(Candidate.job_id == job.id).order_by(Candidate.id)
            )
        )


def problems(items: list[RowProblem]) -> list[tuple[int, str, str]]:
    return [(p.row, p.value, p.reason) for p in items]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bom.csv", [("Ada Lovelace", "ada/engine"), ("Alan Turing", "alan/bombe")]),
        ("semicolon.csv", [("Ada Lovelace", "ada/engine"), ("Hopper; Grace", "grace/cobol")]),
        ("tab.csv", [("Ada Lovelace", "ada/engine"), ("Grace Hopper, PhD", "grace/cobol")]),
        (
            "quoted.csv",
            [
                ("Lovelace, Ada", "ada/engine"),
                ("Grace\nHopper", "grace/cobol"),
                ('Turing "Prof" Alan', "alan/bombe"),
            ],
        ),
        ("upper_headers.csv", [("Ada Lovelace", "ada/engine")]),
        ("excel_crlf_semicolon.csv", [("José García", "jose/api"), ("Zoë, Jr.", "zoe/api")]),
        ("trailing_delimiter.csv", [("Ada", "ada/engine"), ("Alan", "alan/bombe")]),
    ],
)
def test_awkward_but_valid_files_store_every_candidate_pending(
    session_factory, engine, name, expected
):
    report = import_csv(session_factory, corpus_file(name))

    assert (report.inserted, report.duplicates, report.invalid) == (len(expected), [], [])
    candidates = stored(session_factory)
    assert [(c.name, c.repo_full_name) for c in candidates] == expected
    assert {c.status for c in candidates} == {statuses.PENDING}
    assert all(c.enqueued_at is None for c in candidates)  # the outbox: not yet published
    with session_factory() as session:
        trails = [history(session, c.id) for c in candidates]
        # The creation entry comes from the candidate row; an import stores no event per row.
        assert session.scalar(select(func.count()).select_from(StatusEvent)) == 0
    assert [[(e.from_status, e.to_status, e.actor, e.reason) for e in t] for t in trails] == [
        [(None, statuses.PENDING, "system", "imported from CSV")] for _ in candidates
    ]
    assert [t[0].created_at for t in trails] == [c.created_at for c in candidates]


@pytest.mark.parametrize("name", ["url_forms.csv", "duplicate_repos.csv", "quoted.csv"])
def test_plan_then_apply_stores_what_one_pass_stores(session_factory, name):
    one_pass = import_csv(session_factory, corpus_file(name), title="one pass")
    split = plan_then_apply(session_factory, corpus_file(name))

    assert (split.inserted, split.duplicates, split.invalid) == (
        one_pass.inserted,
        one_pass.duplicates,
        one_pass.invalid,
    )
    columns = ("name", "email", "email_key", "github_url", "repo_key", "repo_ref", "repo_path")

    def stored_values(title: str) -> list[tuple[object, ...]]:
        return [tuple(getattr(c, k) for k in columns) for c in stored(session_factory, title)]

    assert stored_values(TITLE) == stored_values("one pass") != []


def test_a_stored_creation_event_from_an_older_import_is_not_shown_twice(session_factory):
    # Imports before the audit trail began at the candidate row stored an 'imported' event.
    import_csv(session_factory, corpus_file("bom.csv"))
    [first, second] = stored(session_factory)
    with transaction(session_factory) as session:
        session.add(
            StatusEvent(
                candidate_id=first.id,
                attempt=1,
                from_status=None,
                to_status=statuses.PENDING,
                actor="system",
                reason="imported from CSV (stored)",
                created_at=first.created_at,
            )
        )
    with session_factory() as session:
        assert [e.reason for e in history(session, first.id)] == ["imported from CSV (stored)"]
        assert [e.reason for e in history(session, second.id)] == ["imported from CSV"]
        assert history(session, 10_000) == []  # no such candidate: no invented entry


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (corpus_file("empty.csv"), "the file is empty"),
        (corpus_file("header_only.csv"), "header but no candidate rows"),
        (b"name,email,github_url\n\n,,\n", "header but no candidate rows"),
        (corpus_file("no_url_column.csv"), "no GitHub URL column found"),
        (latin1_csv(), "not UTF-8"),
        (png_bytes(), "not a CSV file"),
        (xlsx_bytes(), "not a CSV file"),
        (Path("does-not-exist.csv"), "cannot read"),
        # Problems met only after thousands of good rows were validated: still nothing stored.
        (GOOD_ROWS + "José,j@example.com,https://github.com/j/r\n".encode("latin-1"), "not UTF-8"),
        (
            GOOD_ROWS + b"Extra,x@example.com,https://github.com/x/r,surplus\n",
            "row 4002 has 4 values",
        ),
    ],
    ids=[
        "empty",
        "header-only",
        "blank-rows-only",
        "no-url",
        "latin1",
        "png",
        "xlsx",
        "missing",
        "latin1-late",
        "extra-field-late",
    ],
)
@pytest.mark.parametrize("title", [TITLE, "A new job"], ids=["existing-job", "new-job"])
def test_rejected_file_changes_nothing(session_factory, engine, source, message, title):
    import_csv(session_factory, corpus_file("bom.csv"))
    before = table_counts(engine)

    with pytest.raises(InputError, match=message):
        import_csv(session_factory, source, title=title)

    assert table_counts(engine) == before
    with session_factory() as session:
        assert find_job_by_title(session, "A new job") is None


def test_url_forms_are_normalised_or_reported_per_row(session_factory):
    report = import_csv(session_factory, corpus_file("url_forms.csv"))

    assert report.inserted == 3
    assert report.duplicates == []
    assert problems(report.invalid) == [
        (
            2,
            "https://github.com/someone",
            "a GitHub profile, not a repository (expected github.com/owner/repo)",
        ),
        (3, "https://gist.github.com/someone/0123abc", "a gist, not a repository"),
        (
            7,
            "https://someone.github.io/site",
            "a GitHub Pages site, not the repository behind it",
        ),
        (8, "https://gitlab.com/acme/app", "a link to gitlab.com, not to GitHub"),
        (
            9,
            "https://github.com/settings/profile",
            "'/settings/...' is a GitHub page, not a repository",
        ),
        (10, "", "empty GitHub URL"),
    ]
    candidates = {c.name: c for c in stored(session_factory)}
    assert set(candidates) == {"Ssh", "SshUrl", "Tree"}
    assert candidates["Ssh"].repo_full_name == "acme/ssh-repo"
    assert candidates["Ssh"].github_url == "git@github.com:acme/ssh-repo.git"  # as written
    assert candidates["SshUrl"].repo_full_name == "acme/ssh-url"
    tree = candidates["Tree"]
    assert (tree.repo_full_name, tree.repo_ref, tree.repo_path) == ("acme/monorepo", "main", "sub")


def test_same_repository_written_differently_is_one_candidate(session_factory):
    report = import_csv(session_factory, corpus_file("duplicate_repos.csv"))

    assert report.inserted == 2
    assert report.invalid == []
    reason = "repository {} is also on row 2 of this file"  # not "already in this job"
    assert problems(report.duplicates) == [
        (3, "https://github.com/ACME/TAKE-HOME", reason.format("ACME/TAKE-HOME")),
        (4, "https://github.com/acme/take-home.git", reason.format("acme/take-home")),
        (5, "www.github.com/acme/take-home/", reason.format("acme/take-home")),
    ]
    assert report.to_dict()["duplicates"] == 3
    assert [c.repo_full_name for c in stored(session_factory)] == ["Acme/Take-Home", "acme/other"]


def test_second_import_into_the_job_skips_rows_already_there(session_factory, engine):
    import_csv(session_factory, corpus_file("bom.csv"))
    again = (
        b"name,email,github_url\n"
        b"Ada L.,other@example.com,https://github.com/ADA/Engine.git\n"  # same repository
        b"Someone,alan@example.com,https://github.com/someone/new\n"  # same email
        b"New,new@example.com,https://github.com/newbie/repo\n"
    )

    report = import_csv(session_factory, again)

    assert report.inserted == 1
    # Each duplicate names the candidate already there; a known email with another repository
    # is a change to that candidate, not applied unless asked.
    assert problems(report.duplicates) == [
        (
            2,
            "https://github.com/ADA/Engine.git",
            "repository ADA/Engine is already in this job: candidate 1 (Ada Lovelace)",
        ),
        (
            3,
            "https://github.com/someone/new",
            "email belongs to candidate 2 (Alan Turing), which is still being processed: "
            "re-import this row once it is done",
        ),
    ]
    assert [c.name for c in stored(session_factory)] == ["Ada Lovelace", "Alan Turing", "New"]
    assert table_counts(engine) == {"job": 1, "candidate": 3, "status_event": 0}


def test_the_same_file_in_another_job_is_not_a_duplicate(session_factory):
    import_csv(session_factory, corpus_file("bom.csv"))
    report = import_csv(session_factory, corpus_file("bom.csv"), title="Frontend take-home")
    assert (report.inserted, report.duplicates) == (2, [])


def test_duplicate_and_invalid_emails(session_factory):
    report = import_csv(session_factory, corpus_file("duplicate_emails.csv"))

    assert report.inserted == 4
    assert problems(report.duplicates) == [
        (3, "ADA@Example.com", "email is also on row 2 of this file")
    ]
    # A malformed optional email is left out with a note; the row's repository is fine.
    assert report.invalid == []
    assert problems(report.notes) == [
        (6, "not-an-email", "not an email address; imported without an email")
    ]
    assert report.notes[0].name  # the row's name comes with its note
    # Candidates without an email never collide with each other.
    candidates = stored(session_factory)
    assert [(c.name, c.email, c.email_key) for c in candidates] == [
        ("Ada", "ada@example.com", "ada@example.com"),
        ("No email", "", None),
        ("Also none", "", None),
        ("Bad", "", None),
    ]


def test_blank_lines_keep_spreadsheet_row_numbers_in_the_report(session_factory):
    report = import_csv(session_factory, corpus_file("blank_lines.csv"))
    assert report.inserted == 1
    assert problems(report.invalid) == [
        (
            5,
            "https://github.com/someone",
            "a GitHub profile, not a repository (expected github.com/owner/repo)",
        )
    ]


def test_formula_like_cells_are_stored_as_written(session_factory):
    report = import_csv(session_factory, corpus_file("formula.csv"))
    assert report.inserted == 4
    # Neutralising is the export's job; the database keeps what the candidate wrote.
    assert [c.name for c in stored(session_factory)] == [
        '=HYPERLINK("http://x","y")',
        "+cmd",
        "-2+3",
        "@SUM(A1)",
    ]


def test_a_file_of_only_invalid_rows_reports_them_and_inserts_nothing(session_factory, engine):
    data = b"github_url\nhttps://github.com/someone\nhttps://example.com/a/b\n"
    report = import_csv(session_factory, data)
    assert report.inserted == 0
    assert [p.row for p in report.invalid] == [2, 3]
    assert table_counts(engine) == {"job": 1, "candidate": 0, "status_event": 0}


def test_values_longer_than_their_columns_are_invalid_rows_not_crashes(session_factory, engine):
    long_name = "N" * 301
    long_email = "e" * 320 + "@example.com"
    data = (
        "name,email,github_url\n"
        f"{long_name},a@example.com,https://github.com/a/one\n"
        f"B,{long_email},https://github.com/b/two\n"
        "C,c@example.com,https://github.com/c/three\n"
    ).encode()

    report = import_csv(session_factory, data)

    assert report.inserted == 2
    assert [(p.row, p.value, p.reason) for p in report.invalid] == [
        (2, long_name, "name is longer than 300 characters"),
    ]
    # An overlong optional email costs the email, not the row.
    assert problems(report.notes) == [
        (3, long_email, "email is longer than 320 characters; imported without an email")
    ]
    assert [(c.name, c.email) for c in stored(session_factory)] == [
        ("B", ""),
        ("C", "c@example.com"),
    ]


def test_plan_writes_nothing_and_apply_is_atomic(session_factory, engine):
    data = b"github_url\nhttps://github.com/a/one\nhttps://github.com/b/two\nhttps://github.com/c/three\n"
    with transaction(session_factory) as session:
        job_id = create_job(session, TITLE).id
    before = table_counts(engine)

    with session_factory() as session:
        plan = plan_ingest(session, job_id, data)
        assert len(plan.rows) == 3
        assert table_counts(engine) == before

        # Another upload commits one of these repositories between plan and apply.
        with transaction(session_factory) as other:
            plan_other = plan_ingest(other, job_id, b"github_url\nhttps://github.com/b/two\n")
            apply_ingest(other, job_id, plan_other)

        with pytest.raises(InputError, match="nothing was imported"):
            apply_ingest(session, job_id, plan)
        session.rollback()

    assert [c.repo_full_name for c in stored(session_factory)] == ["b/two"]
    assert table_counts(engine) == {"job": 1, "candidate": 1, "status_event": 0}


def test_one_pass_ingest_is_atomic_when_another_upload_commits_a_row_meanwhile(
    session_factory, engine
):
    data = b"github_url\nhttps://github.com/a/one\nhttps://github.com/b/two\nhttps://github.com/c/three\n"
    with transaction(session_factory) as session:
        job_id = create_job(session, TITLE).id
    raced: list[int] = []

    def other_upload(_done: float) -> None:
        # While the file is being read (the job's keys already loaded), another upload
        # commits one of its repositories.
        if not raced:
            with transaction(session_factory) as other:
                raced.append(
                    ingest(other, job_id, b"github_url\nhttps://github.com/b/two\n").inserted
                )

    with session_factory() as session:
        with pytest.raises(InputError, match="nothing was imported"):
            ingest(session, job_id, data, progress=other_upload)
        session.rollback()

    assert raced == [1]
    assert [c.repo_full_name for c in stored(session_factory)] == ["b/two"]
    assert table_counts(engine) == {"job": 1, "candidate": 1, "status_event": 0}


def test_progress_passes_through_plan_ingest_and_ends_at_one(session_factory):
    calls: list[float] = []
    import_csv(session_factory, corpus_file("bom.csv"), progress=calls.append)
    assert calls
    assert calls == sorted(calls)
    assert calls[-1] == 1.0


def test_backslashes_tabs_and_newlines_survive_the_bulk_insert(session_factory):
    # PostgreSQL takes the rows through COPY's text format, where these characters are escapes.
    names = ["C:\\Users\\ada", "Tab\tinside", "Line\nbreak", "\\N", "Ünïcödé 李"]
    lines = "".join(f'"{name}",,https://github.com/owner{i}/repo\n' for i, name in enumerate(names))
    report = import_csv(session_factory, f"name,email,github_url\n{lines}".encode())
    assert report.inserted == len(names)
    candidates = stored(session_factory)
    assert [c.name for c in candidates] == names
    assert all(c.email == "" and c.email_key is None and c.repo_ref is None for c in candidates)


@pytest.mark.slow
def test_a_five_megabyte_upload_is_stored_whole_with_its_audit_trail(
    session_factory, engine, tmp_path
):
    path = tmp_path / "big.csv"
    rows = big_csv(path)
    calls: list[float] = []

    report = import_csv(session_factory, path, progress=calls.append)

    assert (report.inserted, report.duplicates, report.invalid) == (rows, [], [])
    assert len(calls) > 2 and calls == sorted(calls) and calls[-1] == 1.0
    assert table_counts(engine) == {"job": 1, "candidate": rows, "status_event": 0}
    with session_factory() as session:
        created = session.execute(
            select(func.min(Candidate.created_at), func.max(Candidate.created_at))
        ).one()
        first_id, last_id = session.execute(
            select(func.min(Candidate.id), func.max(Candidate.id))
        ).one()
        trails = [history(session, first_id), history(session, last_id)]
    # One instant for the whole file, and every candidate's history starts at it.
    assert created[0] == created[1] == trails[0][0].created_at == trails[1][0].created_at
    assert created[0].tzinfo is not None
    assert [[e.reason for e in t] for t in trails] == [["imported from CSV"]] * 2
