"""Screenshots for the README, taken from a real ``tats dev --demo`` stack so they stay
current: the triage page, a candidate's panel with notes, a comparison of three candidates and
the Queue page; wide (1440 px) and narrow (800 px), in the light and the dark theme.

    python tools/screenshots.py [--out docs/screenshots] [--chromium /usr/bin/chromium]

Starts the stack on free ports with a temporary SQLite database, waits for the demo job to be
judged, records one recruiter decision and two notes on the best candidate (so its panel shows a
human decision beside the analyzer's, and notes), opens pages by their links, and saves palette
PNGs (small enough to commit).
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Width and a height that holds the whole page: Streamlit scrolls inside its own container, so a
# "full page" screenshot would stop at the viewport.
SIZES = {"wide": (1440, 2300), "800": (800, 3000)}
SCHEMES: tuple[Literal["light", "dark"], ...] = ("light", "dark")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait(ready, what: str, timeout: float = 240) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(1)


def demo_judged(database: Path) -> bool:
    from tats_core.statuses import ACTIVE

    marks = ", ".join("?" * len(ACTIVE))
    try:
        with sqlite3.connect(database) as db:
            active = db.execute(
                f"SELECT count(*) FROM candidate WHERE status IN ({marks})", ACTIVE
            ).fetchone()[0]
            total = db.execute("SELECT count(*) FROM candidate").fetchone()[0]
    except sqlite3.OperationalError:
        return False
    return bool(total) and not active


NOTES = (
    ("Dana (recruiter)", "Phone screen went well; prefers backend work. Available from March."),
    ("Eli (hiring manager)", "Ask about the retry logic in tasks.py during the technical call."),
)


def record_a_decision(database_url: str) -> tuple[int, list[int]]:
    """A recruiter changes the best candidate's decision and leaves notes on it: the job id and
    the three best candidates' ids, best first."""
    from sqlalchemy import select

    from tats_core.statuses import NEEDS_REVIEW
    from tats_core.store.db import make_engine, make_session_factory, transaction
    from tats_core.store.models import Candidate
    from tats_core.triage.candidates import override_decision
    from tats_core.triage.listing import TABLE_ORDER
    from tats_core.triage.notes import add_note

    engine = make_engine(database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            best = list(session.scalars(select(Candidate).order_by(*TABLE_ORDER).limit(3)))
            override_decision(
                session,
                best[0].id,
                NEEDS_REVIEW,
                actor="Dana (recruiter)",
                reason="Strong code, but the README skips how to run the tests; ask in the call.",
            )
            for author, text in NOTES:
                add_note(session, best[0].id, text, author=author)
            return best[0].job_id, [c.id for c in best]
    finally:
        engine.dispose()


# What each page has drawn once it has finished loading.
READY = {
    "triage": ("stDataFrame", "stVegaLiteChart"),
    "notes": ("stDataFrame", "stForm"),
    "compare": ("stDataFrame", "stCode"),
    "queue": ("stDataFrame",),
}


def shoot(url: str, out: Path, chromium: str, name: str = "triage") -> list[Path]:
    from PIL import Image
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for size, (width, height) in SIZES.items():
                for scheme in SCHEMES:
                    page = browser.new_page(
                        viewport={"width": width, "height": height}, color_scheme=scheme
                    )
                    page.goto(url)
                    for test_id in READY[name]:
                        page.get_by_test_id(test_id).first.wait_for(timeout=90_000)
                    page.get_by_test_id("stSkeleton").first.wait_for(
                        state="detached", timeout=30_000
                    )
                    page.wait_for_timeout(3_000)  # charts and the grid finish drawing
                    path = out / f"{name}-{size}-{scheme}.png"
                    page.screenshot(path=str(path))
                    page.close()
                    image = Image.open(path).convert("RGB")
                    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(
                        path, optimize=True
                    )
                    written.append(path)
        finally:
            browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as work:
        database = Path(work) / "tats.db"
        database_url = f"sqlite:///{database}"
        app_port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "QSTASH_URL": f"http://127.0.0.1:{free_port()}",
            "TATS_WORKER_URL": f"http://127.0.0.1:{free_port()}",
            "TATS_ANALYZER": "heuristic",
            # The checkout's cache, as `bin/dev` uses: the sandbox cannot enter a private
            # temporary folder (mode 0700), so the demo's tests would not run from there.
            "TATS_TEST_CACHE_DIR": str(ROOT / ".tats-cache"),
            "PYTHONPATH": str(ROOT),
        }
        from tats_dev.devstack import child_stack

        command = [sys.executable, "-m", "tats_core", "dev", "--demo", "--app-port", str(app_port)]
        with child_stack(command, cwd=Path(work), env=env, log=Path(work) / "dev.log"):
            wait(lambda: demo_judged(database), "the demo job to be judged")
            job_id, best = record_a_decision(database_url)
            app = f"http://127.0.0.1:{app_port}"
            pages = {
                "triage": f"{app}/triage?job={job_id}",
                # Opening a candidate or a comparison by its link brings it into view.
                "notes": f"{app}/triage?job={job_id}&candidate={best[0]}",
                "compare": f"{app}/triage?job={job_id}&compare={','.join(map(str, best))}",
                "queue": f"{app}/queue",
            }
            shots = []
            for name, url in pages.items():
                shots += shoot(url, args.out, args.chromium, name=name)
            for path in shots:
                print(f"{path}  {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
