"""The upload page: choose or create a job, preview and correct the columns, read the validation
report and the GitHub quota, import in one transaction and enqueue (the queue here is down)."""

from __future__ import annotations

from sqlalchemy import func, select

from tats_core.store.db import transaction
from tats_core.store.models import Candidate, Job
from tats_core.triage.csv_sample import sample_csv
from tats_ui.navigation import UPLOAD_PAGE as UPLOAD
from tests import app_fixtures
from tests.app_fixtures import (
    fake_github,
    no_exceptions,
    seed_every_status,
    texts,
)
from tests.servers import serve

GOOD_CSV = (
    b"Name,E-mail,GitHub URL\n"
    b"Ada,ada@example.com,https://github.com/ada/todo-api\n"
    b"Bob,bob@example.com,git@github.com:bob/todo.git\n"
    b"Cy,,https://github.com/cy/todo/tree/main\n"
)

app_env, make_app = app_fixtures.app_env, app_fixtures.make_app  # fixtures


def upload_page(make_app, **query):  # type: ignore[no-untyped-def]
    at = no_exceptions(make_app(**query).run())
    return no_exceptions(at.switch_page(UPLOAD).run())


def upload(at, data: bytes, name: str = "candidates.csv"):  # type: ignore[no-untyped-def]
    at.file_uploader[0].set_value((name, data, "text/csv"))
    return no_exceptions(at.run())


def metrics(at) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {m.label: m.value for m in at.metric}


def import_button(at):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label.startswith("Import"))


def count(session_factory, model, *where) -> int:  # type: ignore[no-untyped-def]
    with transaction(session_factory) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_first_upload_creates_the_job_inline_stores_candidates_and_says_the_queue_is_down(
    make_app, session_factory
):
    at = upload_page(make_app)
    assert at.selectbox[0].value == 0  # no jobs yet: "New job…" is the only choice
    samples = [b.label for b in at.get("download_button")]
    assert samples == ["Sample: TATS columns", "Sample: Greenhouse export", "Sample: Lever export"]
    at = upload(at, GOOD_CSV)
    assert metrics(at) == {
        "Rows in the file": "3",
        "New candidates": "3",
        "Invalid rows": "0",
        "Duplicates": "0",
    }
    assert import_button(at).disabled  # the new job needs a title first
    at.text_input(key="upload_new_title").input("Platform engineer")
    at.text_area(key="upload_new_rubric").input("Tests and a README")
    no_exceptions(at.run())
    no_exceptions(import_button(at).click().run())

    with transaction(session_factory) as session:
        job = session.scalar(select(Job))
        assert (job.title, job.rubric) == ("Platform engineer", "Tests and a README")
    assert count(session_factory, Candidate, Candidate.status == "pending") == 3
    assert any("Stored 3 candidates" in s.value for s in at.success)
    assert any(
        "reconcile" in w.value and "3 candidates stored as pending" in w.value for w in at.warning
    )
    link = next(p for p in at.get("page_link") if p.label == "Open the triage page")
    assert f"job={job.id}" in link.proto.page or link.proto.query_string == f"job={job.id}"
    assert not at.file_uploader[0].value  # a fresh uploader for the next file


def test_the_validation_report_lists_invalid_rows_and_duplicates(make_app, session_factory):
    seeded = seed_every_status(session_factory)
    data = (
        b"name,email,github_url\n"
        b"New One,new@example.com,https://github.com/new-one/todo\n"
        b"Profile Only,p@example.com,https://github.com/just-a-user\n"
        b"Gist,g@example.com,https://gist.github.com/abc/123\n"
        b"Again,again@example.com,https://github.com/new-one/todo\n"
        b"Grace Again,x@example.com,https://github.com/grace-hopper/take-home\n"
    )
    at = upload(upload_page(make_app, job=seeded.job_id), data)
    assert metrics(at) == {
        "Rows in the file": "5",
        "New candidates": "1",
        "Invalid rows": "2",
        "Duplicates": "2",
    }
    invalid = at.expander[0]
    assert invalid.label.startswith("Invalid rows (2)")
    reasons = invalid.dataframe[0].value
    assert list(reasons["Row"]) == [3, 4]
    assert list(reasons["Name"]) == ["Profile Only", "Gist"]
    duplicates = at.expander[1].dataframe[0].value
    assert list(duplicates["Reason"]) == [
        "repository new-one/todo is also on row 2 of this file",
        # The candidate already there is named, so the recruiter can find it.
        f"repository grace-hopper/take-home is already in this job: candidate "
        f"{seeded.ids['looks_fine']} (Grace Hopper)",
    ]

    assert import_button(at).label == "Import 1 candidate"
    no_exceptions(import_button(at).click().run())
    assert count(session_factory, Candidate, Candidate.job_id == seeded.job_id) == 9
    assert any(s.value == "Stored 1 candidate." for s in at.success)
    # After the import, the skipped rows and their reasons are still there, downloadable.
    assert at.expander[0].label.startswith("Invalid rows (2)")
    download = next(b for b in at.get("download_button") if "skipped rows" in b.label)
    assert download.label == "Download the 4 skipped rows (CSV)"


def test_skipped_rows_download_names_each_row_and_reason():
    from tats_core.triage.export import skipped_rows_csv
    from tats_core.triage.ingest import RowProblem

    data = skipped_rows_csv(
        [RowProblem(4, "+1 555", "not a GitHub repository", "=Eve")],
        [RowProblem(3, "a/b", "repository a/b is also on row 2 of this file", "Bo")],
    ).decode("utf-8-sig")
    assert data.splitlines() == [
        "row,name,value,problem,reason",
        "3,Bo,a/b,duplicate,repository a/b is also on row 2 of this file",
        "4,'=Eve,'+1 555,invalid,not a GitHub repository",
    ]


def test_an_unknown_job_in_the_url_is_said_not_silently_replaced(make_app, session_factory):
    seed_every_status(session_factory)
    at = no_exceptions(make_app(job=999999).switch_page(UPLOAD).run())  # straight to /upload
    assert any("no open job '999999'" in w.value for w in at.warning)


def test_a_tree_url_previews_with_its_branch_and_folder(make_app, session_factory):
    seed_every_status(session_factory)
    data = b"name,github_url\nAda,https://github.com/acme/mono/tree/main/sub\nBo,bo/repo\n"
    at = upload(upload_page(make_app), data)
    preview = at.dataframe[0].value
    assert list(preview["Repository"]) == ["acme/mono @ main / sub", "bo/repo"]


def test_a_missed_column_can_be_chosen_by_hand(make_app, session_factory):
    seed_every_status(session_factory)
    data = b"Applicant,Contact,Where is the code\nAda,ada@example.com,https://github.com/ada/x\n"
    at = upload(upload_page(make_app), data)
    assert any("Choose the column" in e.value for e in at.error)
    columns = {m.label: m for m in at.multiselect}
    columns["GitHub repository URL, or the links to search (required)"].set_value(
        ["Where is the code"]
    )
    column_choice = {s.label: s for s in at.selectbox}
    column_choice["Email"].set_value("Contact")
    no_exceptions(at.run())
    assert metrics(at)["New candidates"] == "1"
    preview = at.dataframe[0].value
    assert list(preview.iloc[0]) == ["Ada", "ada@example.com", "https://github.com/ada/x", "ada/x"]


def test_an_unreadable_file_is_explained_and_nothing_is_stored(make_app, session_factory):
    seed_every_status(session_factory)
    at = upload(upload_page(make_app), b"\x00\x01binary\x00", name="photo.csv")
    assert any("not a CSV file" in e.value for e in at.error)
    assert not [b for b in at.button if b.label.startswith("Import")]


def test_the_sample_csv_imports_cleanly(make_app, session_factory):
    seed_every_status(session_factory)
    at = upload(upload_page(make_app), sample_csv())
    assert metrics(at)["New candidates"] == "3"
    assert metrics(at)["Invalid rows"] == "0"


def test_warns_before_an_upload_that_exceeds_the_github_quota(
    make_app, session_factory, monkeypatch
):
    seed_every_status(session_factory)
    with serve(fake_github(remaining=7)) as github:
        monkeypatch.setenv("GITHUB_API_URL", github)
        at = upload(upload_page(make_app), GOOD_CSV)  # 3 candidates: about 18 requests
    warning = next(w.value for w in at.warning if "GitHub requests" in w.value)
    assert "about 18 GitHub requests" in warning and "only 7 of 60 remain" in warning
    assert "GITHUB_TOKEN" in warning


def test_no_quota_warning_when_the_upload_fits(make_app, session_factory, monkeypatch):
    seed_every_status(session_factory)
    with serve(fake_github(remaining=4_000, limit=5_000)) as github:
        monkeypatch.setenv("GITHUB_API_URL", github)
        at = upload(upload_page(make_app), GOOD_CSV)
    assert not [w for w in at.warning if "GitHub requests" in w.value]
    assert "Needs about 18 GitHub requests; 4,000 of 5,000 are left" in texts(at)


def test_a_greenhouse_export_uploads_as_it_is(make_app, session_factory):
    from tests.csv_corpus import corpus_file

    seed_every_status(session_factory)
    at = upload(upload_page(make_app), corpus_file("greenhouse_export.csv").read_bytes())
    columns = {m.label: m.value for m in at.multiselect}
    assert columns == {
        "GitHub repository URL, or the links to search (required)": [
            "Website",
            "Social Media",
            "Links",
        ],
        "Name": ["First Name", "Last Name"],
    }
    assert metrics(at)["New candidates"] == "3" and metrics(at)["Invalid rows"] == "3"
    preview = at.dataframe[0].value
    assert list(preview["Name"]) == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    assert list(preview["Repository"]) == ["ada/engine", "alan/bombe @ main / api", "grace/cobol"]
    reasons = at.expander[0].dataframe[0].value
    assert reasons["Reason"].iloc[0].startswith("no GitHub repository among the links")


def test_a_malformed_optional_email_costs_the_email_not_the_row(make_app, session_factory):
    """Defect 11: a row with a valid repository was rejected whole for its email."""
    seed_every_status(session_factory)
    data = b"name,email,github_url\nAda,ada at example,https://github.com/ada/todo\n"
    at = upload(upload_page(make_app), data)
    assert metrics(at)["New candidates"] == "1" and metrics(at)["Invalid rows"] == "0"
    [noted] = [e for e in at.expander if e.label.startswith("Stored with a note (1)")]
    assert noted.dataframe[0].value["Note"].iloc[0] == (
        "not an email address; imported without an email"
    )


def test_a_reimport_with_a_corrected_url_changes_the_candidate_and_keeps_its_history(
    make_app, session_factory
):
    """Defect 2 (the re-import): the corrected URL was refused as a duplicate."""
    from tests.app_fixtures import candidate

    seeded = seed_every_status(session_factory)
    gita = seeded.ids["github_failed"]
    data = b"name,email,github_url\nGita Missing,gita-missing@example.com,https://github.com/gita/fixed\n"
    at = upload(upload_page(make_app, job=seeded.job_id), data)
    [changes] = [e for e in at.expander if e.label.startswith("Changes to candidates")]
    assert changes.dataframe[0].value["Change"].iloc[0] == (
        "gita-missing/take-home → https://github.com/gita/fixed"
    )
    assert at.checkbox(key="upload_replace").value
    [change] = [b for b in at.button if b.label == "Change 1 candidate"]
    no_exceptions(change.click().run())
    changed = candidate(session_factory, gita)
    assert (changed.repo_full_name, changed.attempt, changed.status) == ("gita/fixed", 2, "pending")
    assert any("changed 1 candidate" in s.value for s in at.success)
