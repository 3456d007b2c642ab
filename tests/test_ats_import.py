"""Candidate exports of applicant tracking systems import as they are (issue #21): Greenhouse's
(``First Name``, ``Last Name``, the take-home among ``Website``, ``Social Media`` and ``Links``)
and Lever's (``Full Name``, several emails and links to a cell). The files in ``csv_corpus`` are
written from the columns each system documents."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tats_core.github.url import InvalidRepoUrl
from tats_core.triage.csv_reader import detect_mapping, inspect_layout
from tats_core.triage.csv_sample import greenhouse_sample_csv, lever_sample_csv, sample_csv
from tats_core.triage.links import find_repository
from tests.csv_corpus import corpus_file
from tests.test_ingest import import_csv, problems, stored


def test_a_greenhouse_export_is_recognised_by_its_columns():
    layout = inspect_layout(corpus_file("greenhouse_export.csv"))
    assert layout.mapping == {
        "github_url": ["Website", "Social Media", "Links"],
        "name": ["First Name", "Last Name"],
        "email": ["Email"],
    }


def test_a_lever_export_is_recognised_by_its_columns():
    assert detect_mapping(inspect_layout(corpus_file("lever_export.csv")).headers) == {
        "github_url": ["Links"],
        "name": ["Full Name"],
        "email": ["Email"],
    }


def test_a_repository_column_wins_over_the_links():
    mapping = detect_mapping(["First Name", "Last Name", "Website", "GitHub URL"])
    assert mapping["github_url"] == ["GitHub URL"]


def test_a_greenhouse_export_imports_with_names_and_the_repository_among_the_links(
    session_factory: sessionmaker[Session],
):
    report = import_csv(session_factory, corpus_file("greenhouse_export.csv"))

    assert report.inserted == 3
    stored_rows = [
        (c.name, c.email, c.github_url, c.repo_full_name, c.repo_ref, c.repo_path)
        for c in stored(session_factory)
    ]
    assert stored_rows == [
        # Website holds the repository; the GitHub profile in Social Media is not one.
        ("Ada Lovelace", "ada@example.com", "https://github.com/ada/engine", "ada/engine", None,
         None),
        # A personal site in Website, the repository second in Social Media, one per line.
        ("Alan Turing", "alan@example.com", "https://github.com/alan/bombe/tree/main/api",
         "alan/bombe", "main", "api"),
        # Only the Links column, two links separated by a semicolon.
        ("Grace Hopper", "grace@example.com", "github.com/grace/cobol.git", "grace/cobol", None,
         None),
    ]  # fmt: skip
    [profile, nothing, elsewhere] = report.invalid
    assert (profile.row, profile.name) == (5, "Only Profile")
    assert profile.reason.startswith("no GitHub repository among the links: ")
    assert "https://github.com/only-profile (a GitHub profile, not a repository" in profile.reason
    assert "https://www.linkedin.com/in/only (a link to linkedin.com, not to GitHub)" in (
        profile.reason
    )
    assert (nothing.row, nothing.name, nothing.reason) == (6, "No Links", "empty GitHub URL")
    assert (elsewhere.row, elsewhere.name) == (7, "Kay")
    assert "gitlab.com/kay/app (a link to gitlab.com, not to GitHub)" in elsewhere.reason
    assert (
        elsewhere.value
        == "https://kay.example.com, https://github.com/kay, https://gitlab.com/kay/app"
    )


def test_a_lever_export_imports_with_the_first_email_and_the_repository_among_the_links(
    session_factory: sessionmaker[Session],
):
    report = import_csv(session_factory, corpus_file("lever_export.csv"))

    assert report.inserted == 3
    assert [(c.name, c.email, c.repo_full_name) for c in stored(session_factory)] == [
        ("Ada Lovelace", "ada@example.com", "ada/engine"),
        ("Alan Turing", "alan@example.com", "alan/bombe"),
        ("Bad Email", "", "bad/email"),
    ]
    [linus] = report.invalid
    assert (linus.row, linus.name) == (4, "Linus Links")
    assert "https://github.com/linus (a GitHub profile" in linus.reason
    # The email is optional: a malformed one costs the email, never the row.
    assert problems(report.notes) == [
        (5, "not-an-email", "not an email address; imported without an email")
    ]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("https://github.com/a/b", ("https://github.com/a/b", "a/b")),
        ("  https://github.com/a/b  ", ("https://github.com/a/b", "a/b")),
        ("https://x.dev, https://github.com/a/b", ("https://github.com/a/b", "a/b")),
        ("https://github.com/a\nhttps://github.com/a/b", ("https://github.com/a/b", "a/b")),
        ("Take-home: github.com/a/b (final)", ("github.com/a/b", "a/b")),
        ("<https://github.com/a/b>; https://github.com/c/d", ("https://github.com/a/b", "a/b")),
    ],
)
def test_the_first_repository_among_the_links_is_taken(text, found):
    written, repo = find_repository(text)
    assert (written, repo.full_name) == found


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("https://github.com/someone", "a GitHub profile, not a repository"),
        ("", "empty GitHub URL"),
        ("see my profile", "no link in this cell"),
        (
            "https://a.dev, https://b.dev, https://c.dev, https://d.dev",
            "no GitHub repository among the links: https://a.dev (a link to a.dev, not to "
            "GitHub); https://b.dev",
        ),
    ],
)
def test_links_without_a_repository_say_what_they_were(text, reason):
    with pytest.raises(InvalidRepoUrl) as error:
        find_repository(text)
    assert str(error.value).startswith(reason)
    if text.count("https://") > 3:
        assert str(error.value).endswith("; and 1 more")


@pytest.mark.parametrize("sample", [sample_csv, greenhouse_sample_csv, lever_sample_csv])
def test_every_sample_offered_on_the_upload_page_imports_cleanly(session_factory, sample):
    report = import_csv(session_factory, sample())
    assert report.invalid == [] and report.duplicates == [] and report.notes == []
    assert report.inserted >= 2
    assert all(
        c.name and c.repo_full_name.startswith("tats-demo/") for c in stored(session_factory)
    )
