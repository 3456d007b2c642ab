"""End to end in a real browser: ``tats dev --demo`` (local queue, worker, app and the offline
GitHub replay) on free ports with a temporary SQLite database; a person uploads a CSV on the
upload page and watches the triage page reach final statuses without reloading it.

Needs Debian's chromium at /usr/bin/chromium (``apt-get install chromium``): skipped without it
on a workstation, a failure in CI. Screenshots land in ``test-artifacts/``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tats_dev.demo import DEMO_OWNER, MISSING_REPO
from tats_dev.devstack import child_stack
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPOS = ["todo-api", "nextjs-starter", "empty-submission", MISSING_REPO]
FINAL_WITHIN_S = 180

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium to run the browser tests"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture
def dev_stack(tmp_path: Path) -> Iterator[str]:
    """``python -m tats_core dev --demo`` on free ports; yields the app's URL."""
    app_port, queue_port, worker_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tats.db'}",
        "QSTASH_URL": f"http://127.0.0.1:{queue_port}",
        "TATS_WORKER_URL": f"http://127.0.0.1:{worker_port}",
        "TATS_ANALYZER": "heuristic",
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "dev-stack.log"
    command = [sys.executable, "-m", "tats_core", "dev", "--demo", "--app-port", str(app_port)]
    url = f"http://127.0.0.1:{app_port}"
    try:
        with child_stack(command, cwd=tmp_path, env=env, log=log) as stack:
            _wait_for(lambda: _answers(f"{url}/_stcore/health"), stack, timeout=90)
            _wait_for(lambda: b"TATS is running" in log.read_bytes(), stack)
            yield url
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "dev-stack.log").write_bytes(log.read_bytes())


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_for(ready, stack: subprocess.Popen[bytes], timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not ready():
        if stack.poll() is not None:
            pytest.fail(f"`tats dev --demo` exited with {stack.returncode}; see dev-stack.log")
        if time.monotonic() > deadline:
            pytest.fail(f"`tats dev --demo` was not ready within {timeout:.0f} s")
        time.sleep(0.3)


def test_upload_then_watch_the_triage_page_reach_final_statuses(
    chromium: Path, dev_stack: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    csv_path = tmp_path / "candidates.csv"
    csv_path.write_text(
        "name,email,github_url\n"
        + "".join(
            f"Person {i},person{i}@example.com,https://github.com/{DEMO_OWNER}/{repo}\n"
            for i, repo in enumerate(REPOS)
        )
    )
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1600})
        try:
            page.goto(f"{dev_stack}/upload")  # a first visit straight to a page's URL
            nav = page.get_by_test_id("stSidebarNav")
            expect(nav).to_contain_text("Triage")
            expect(nav).not_to_contain_text("triage view")  # the app's navigation, not one per file
            page.get_by_test_id("stSelectbox").first.click()
            page.get_by_role("option", name="➕ New job…").click()
            title = page.get_by_label("New job title")
            title.fill("E2E take-home")
            title.press("Enter")
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(csv_path))
            import_button = page.get_by_role("button", name=f"Import {len(REPOS)} candidates")
            expect(import_button).to_be_enabled(timeout=30_000)
            expect(page.get_by_text("New candidates")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "upload.png"), full_page=True)

            import_button.click()
            expect(page.get_by_text(f"Stored {len(REPOS)} candidates")).to_be_visible(
                timeout=30_000
            )
            page.get_by_role("link", name="Open the triage page").click()
            expect(page.get_by_role("heading", name="E2E take-home")).to_be_visible(timeout=30_000)
            # A reload would lose this marker: the page must update itself.
            page.evaluate("window.__tatsNoReload = true")
            done = f"{len(REPOS)} of {len(REPOS)} candidates processed"
            expect(page.get_by_text(done)).to_be_visible(timeout=FINAL_WITHIN_S * 1000)
            assert page.evaluate("window.__tatsNoReload === true")
            expect(page.get_by_text("Looks fine", exact=True).first).to_be_visible()
            expect(page.get_by_text("GitHub failed", exact=True).first).to_be_visible()
            page.wait_for_timeout(1_000)  # let the chart finish drawing for the screenshot
            page.screenshot(path=str(ARTIFACTS / "triage.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()


def _demo_job(
    database: Path, timeout: float = FINAL_WITHIN_S
) -> tuple[int, list[tuple[int, str, str]]]:
    """The demo job once every candidate is final: its id and its (id, name, status) rows in
    the table's order."""
    import sqlite3

    deadline = time.monotonic() + timeout
    while True:
        try:
            with sqlite3.connect(database) as db:
                job = db.execute("SELECT id FROM job ORDER BY id LIMIT 1").fetchone()
                rows = db.execute(
                    "SELECT id, name, status FROM candidate WHERE job_id = ? "
                    "ORDER BY rank_score DESC, id",
                    (job[0],) if job else (0,),
                ).fetchall()
        except sqlite3.OperationalError:  # not migrated yet
            rows, job = [], None
        if job and rows and all(s not in ("pending", "processing") for _, _, s in rows):
            return job[0], rows
        if time.monotonic() > deadline:
            pytest.fail("the demo job did not reach final statuses")
        time.sleep(1)


def test_links_open_a_candidate_and_each_candidate_keeps_its_own_decision(
    chromium: Path, dev_stack: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    job_id, rows = _demo_job(tmp_path / "tats.db")
    from tats_core.statuses import LABELS

    (first_id, first_name, _), (second_id, second_name, second_status) = rows[0], rows[1]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1800})
        try:
            # /triage answers like /: no "Page not found" dialog over an inert page.
            page.goto(f"{dev_stack}/triage?job={job_id}&candidate={first_id}")
            panel = page.get_by_role("heading", name=first_name, exact=True)
            expect(panel).to_be_visible(timeout=60_000)
            expect(page.get_by_role("dialog")).to_have_count(0)
            expect(page.get_by_text("Page not found")).to_have_count(0)

            def decision_box():  # type: ignore[no-untyped-def]
                return page.get_by_role("combobox", name="Your decision")

            before = decision_box().input_value()
            choice = "Low effort" if "Low effort" not in before else "Needs review"
            decision_box().click()
            page.get_by_role("option", name=choice).click()
            page.get_by_label("Why").fill("Checked by hand in the browser test")
            page.get_by_role("button", name="Save decision").click()
            expect(page.get_by_text(f"Decision saved: {choice}.")).to_be_visible(timeout=30_000)
            expect(decision_box()).to_have_value(choice)

            # Select the second row of the table (the grid draws on a canvas: click its row).
            grid = page.get_by_test_id("stDataFrame").first.bounding_box()
            assert grid is not None
            page.mouse.click(grid["x"] + 14, grid["y"] + 38 + 35 * 1 + 17)
            expect(page.get_by_role("heading", name=second_name, exact=True)).to_be_visible(
                timeout=30_000
            )
            expect(page).to_have_url(re.compile(rf"candidate={second_id}\b"))
            # its own decision, not the first candidate's
            expect(decision_box()).to_have_value(LABELS[second_status])

            # Back to the first: it shows its own (overridden) decision, and a re-run asks.
            page.mouse.click(grid["x"] + 14, grid["y"] + 38 + 17)
            expect(page.get_by_role("heading", name=first_name, exact=True)).to_be_visible(
                timeout=30_000
            )
            expect(decision_box()).to_have_value(choice)
            page.get_by_role("button", name="Re-run this candidate").click()
            # As for every other step, a busy machine gets 30 s for the page's rerun to draw.
            expect(page.get_by_text("A re-run starts a new attempt")).to_be_visible(timeout=30_000)
            expect(page.get_by_role("button", name="Keep the decision")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "triage-decision.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "failure-links.png"), full_page=True)
            raise
        finally:
            browser.close()
