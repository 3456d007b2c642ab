"""The app around the pages: navigation, sign-in, settings from Streamlit secrets, the GitHub
quota in the sidebar, and the boundary between the UI shell and ``tats_core``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tats_core import statuses
from tats_ui.navigation import JOBS_PAGE, TRIAGE_PAGE, UPLOAD_PAGE
from tats_ui.palette import COLORS
from tests import app_fixtures
from tests.app_fixtures import (
    NAMES,
    events_of,
    fake_github,
    no_exceptions,
    seed_every_status,
    table,
    texts,
)
from tests.servers import serve

ROOT = Path(__file__).resolve().parent.parent

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-test-cookie-secret",
    "client_id": "tats",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "https://id.example.com/.well-known/openid-configuration",
}

app_env, make_app = app_fixtures.app_env, app_fixtures.make_app  # fixtures


def sidebar_text(at) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(e.value) for e in [*at.sidebar.caption, *at.sidebar.markdown])


@pytest.mark.parametrize(
    ("page", "heading"),
    [
        (TRIAGE_PAGE, "Welcome to TATS"),
        (UPLOAD_PAGE, "Upload candidates"),
        (JOBS_PAGE, "Jobs"),
    ],
)
def test_every_page_opens_on_an_empty_database(make_app, page, heading):
    # Each AppTest run starts Streamlit's navigation afresh, as a new server process does: the
    # page's run below is a fresh server's first visit to its URL.
    at = no_exceptions(make_app().run())
    no_exceptions(at.switch_page(page).run())
    assert at.title[0].value == heading
    assert "Local mode" in sidebar_text(at)  # every page runs inside the app's shell


def test_a_signed_out_visitor_to_a_page_url_only_sees_the_sign_in(make_app, session_factory):
    seed_every_status(session_factory)
    at = make_app()
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": False}
    no_exceptions(at.switch_page(UPLOAD_PAGE).run())
    assert [b.label for b in at.button] == ["Sign in"]
    assert "Upload candidates" not in texts(at) and not at.selectbox


def test_without_auth_the_app_says_it_runs_in_local_mode(make_app):
    at = no_exceptions(make_app().run())
    assert "Local mode — no sign-in configured" in sidebar_text(at)


def test_with_auth_configured_a_signed_out_user_only_sees_the_sign_in(make_app, session_factory):
    seed_every_status(session_factory)
    at = make_app()
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": False}
    no_exceptions(at.run())
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe
    assert "Backend take-home" not in texts(at)


def test_a_signed_in_user_is_named_in_the_audit_trail(make_app, session_factory):
    seeded = seed_every_status(session_factory)
    at = make_app()
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "name": "Rita Recruiter", "email": "rita@example.com"}
    no_exceptions(at.run())
    assert "Signed in as **Rita Recruiter**" in sidebar_text(at)

    row = list(table(at)["Name"]).index(NAMES["github_failed"])
    at.session_state["candidate_table"] = {"selection": {"rows": [row], "columns": []}}
    no_exceptions(at.run())
    no_exceptions(next(b for b in at.button if b.label == "Re-run this candidate").click().run())
    assert events_of(session_factory, seeded.ids["github_failed"])[-1].actor == "Rita Recruiter"


def test_streamlit_secrets_supply_the_database_url(
    make_app, monkeypatch, database_url, tmp_path, session_factory
):
    seed_every_status(session_factory, title="Job in the secrets' database")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    at = make_app()
    at.secrets["DATABASE_URL"] = database_url
    no_exceptions(at.run())
    assert at.title[0].value == "Job in the secrets' database"


def test_the_sidebar_shows_the_github_quota(make_app, monkeypatch):
    with serve(fake_github(remaining=42)) as github:
        monkeypatch.setenv("GITHUB_API_URL", github)
        at = no_exceptions(make_app().run())
    shown = sidebar_text(at)
    assert "GitHub API: 42 of 60 requests left (about 7 candidates)" in shown
    assert "GITHUB_TOKEN" in shown
    # The reset in the viewer's zone, named like every other time (UTC without a browser).
    assert re.search(r"resets \d\d:\d\d \(UTC\)", shown)


def test_the_sidebar_says_when_the_quota_is_unknown(make_app):
    at = no_exceptions(make_app().run())
    assert "GitHub quota unknown" in sidebar_text(at)


def test_status_labels_and_colours_cover_every_status():
    assert set(statuses.LABELS) == set(COLORS) == set(statuses.ALL)
    assert len(set(COLORS.values())) == len(statuses.ALL)


def test_no_pages_folder_sits_beside_the_app_script():
    """A ``pages/`` folder beside ``streamlit_app.py`` turns on Streamlit's legacy folder-based
    navigation, which runs a page without the app script (no sign-in, no sidebar) on a fresh
    server's first visit to its URL. The pages live in ``app_pages/``."""
    assert not (ROOT / "pages").exists()
    assert {Path(page).parent.name for page in (TRIAGE_PAGE, UPLOAD_PAGE, JOBS_PAGE)} == {
        "app_pages"
    }


def test_tats_ui_maps_its_modules_in_its_docstring():
    doc = ast.get_docstring(ast.parse((ROOT / "tats_ui" / "__init__.py").read_text())) or ""
    modules = {p.stem for p in (ROOT / "tats_ui").glob("*.py") if p.stem != "__init__"}
    assert {m for m in modules if f"``{m}``" not in doc} == set()


def test_the_page_icon_is_served_by_the_app_itself():
    from tats_ui.navigation import PAGE_ICON

    assert PAGE_ICON.is_file() and PAGE_ICON.stat().st_size < 4_000
