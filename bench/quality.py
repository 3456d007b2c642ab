"""Quality of the heuristic analyzer against the labelled GitHub fixtures.

Serves the fixture repositories through the GitHub replay server, snapshots each labelled one
with ``GitHubClient`` (REST, as without a token), reads its code sample (raw downloads, as in
production), computes the signals, runs
``HeuristicAnalyzer`` with the job description from ``jobs.csv``, and prints per-repository rows,
the accuracy, the 3x3 confusion matrix and the severe errors (``low_effort`` judged
``looks_fine`` or the reverse). Then it judges hollowed copies of strong fixtures
(``bench/hollow.py``: same paths, commits and README, placeholder bodies, literal-only tests),
which must not come out ``looks_fine``; and submissions of our own (``bench/starters.py``):
thin layers over a starter (a fork, a template copy, a starter pushed by the employer) that must
be ``low_effort``, and a small complete solution to a small assignment that must not be. Exits
non-zero below 80 %, with any severe error, a hollowed copy judged ``looks_fine``, or one of our
own submissions judged otherwise than it must be.

    .venv/bin/python bench/quality.py [--fixtures DIR] [--all]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
import tempfile
from pathlib import Path

from _paths import SHARED_FIXTURES
from _replay import replay
from hollow import hollow_copy
from starters import write_all

from tats_core.errors import TatsError
from tats_core.github.client import GitHubClient
from tats_core.judging.analysis import JobBrief
from tats_core.judging.heuristic import HeuristicAnalyzer
from tats_core.judging.provenance import all_theirs
from tats_core.judging.signals import compute_signals
from tats_core.processing.judgement import read_own_work

DECISIONS = ("looks_fine", "needs_review", "low_effort")
SEVERE = {("low_effort", "looks_fine"), ("looks_fine", "low_effort")}
AIM = 0.80
# Strong fixtures whose hollowed copies are judged too (TypeScript, Java, Go).
HOLLOWED = (
    "mateusab__origin-backend-take-home-assignment",
    "jweilhammer__receipt-processor-challenge",
    "claudealdric__receipt-processor-challenge",
)


def read_csv(path: Path, key: str) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return {row[key]: row for row in csv.DictReader(f)}


async def judge(
    base_url: str, repos: Path, fixtures: list[str], jobs: dict, *, whole_tree: bool = False
) -> list[dict]:
    """Judge each fixture as the worker does; ``whole_tree``: as TATS did before it set the
    candidate's own part apart (every file and commit counted as theirs), for comparison."""
    analyzer = HeuristicAnalyzer()
    rows = []
    async with GitHubClient(base_url, raw_url=f"{base_url}/raw") as github:
        for fixture in fixtures:
            full_name = json.loads((repos / fixture / "repo.json").read_text())["full_name"]
            description = jobs.get(fixture, {}).get("job_description", "")
            try:
                snapshot = await github.snapshot(full_name)
            except TatsError as exc:
                rows.append({"fixture": fixture, "decision": "github_failed", "error": str(exc)})
                continue
            if whole_tree:
                snapshot.sample = await github.read_sample(snapshot)
                signals = compute_signals(snapshot, description, own=all_theirs(snapshot))
            else:
                own = await read_own_work(github, snapshot)
                signals = compute_signals(snapshot, description, own=own)
            job = JobBrief(title=fixture, description=description)
            result = await analyzer.analyze(snapshot, signals, job)
            rows.append(
                {
                    "fixture": fixture,
                    "decision": result.analysis.decision,
                    "score": result.analysis.score,
                    "requests": snapshot.requests_made,
                    "code": f"{signals.stub_functions}/{signals.functions}s "
                    f"{signals.real_test_cases}/{signals.test_cases}t",
                    "verdicts": "".join(
                        {"met": "+", "partial": "~", "missing": "-"}[c.verdict]
                        for c in result.analysis.criteria
                    ),
                    "reason": (result.analysis.concerns or ["-"])[0][:90],
                }
            )
    return rows


def report(rows: list[dict], labels: dict[str, dict[str, str]]) -> int:
    print(
        f"{'fixture':58} {'label':12} {'decision':12} score req  rubric   "
        f"{'stubs tests':16} first concern"
    )
    for row in rows:
        label = labels.get(row["fixture"], {}).get("label", "")
        mark = "" if not label else ("  " if label == row["decision"] else "X ")
        print(
            f"{mark}{row['fixture'][:56]:{58 - len(mark)}} {label:12} {row['decision']:12} "
            f"{row.get('score', ''):>5} {row.get('requests', ''):>3}  {row.get('verdicts', ''):8} "
            f"{row.get('code', ''):16} "
            f"{row.get('reason', row.get('error', ''))}"
        )
    judged = [
        (labels[r["fixture"]]["label"], r["decision"]) for r in rows if r["fixture"] in labels
    ]
    correct = sum(1 for label, decision in judged if label == decision)
    accuracy = correct / len(judged) if judged else 0.0
    print(f"\naccuracy: {correct}/{len(judged)} = {accuracy:.0%} (aim {AIM:.0%})")
    print("\nconfusion matrix (rows: label, columns: decision)")
    print(f"{'':14}" + "".join(f"{d:>14}" for d in DECISIONS))
    for label in DECISIONS:
        counts = [sum(1 for lab, dec in judged if lab == label and dec == d) for d in DECISIONS]
        print(f"{label:14}" + "".join(f"{n:>14}" for n in counts))
    severe = [r["fixture"] for r in rows if r["fixture"] in labels and
              (labels[r["fixture"]]["label"], r["decision"]) in SEVERE]  # fmt: skip
    print(f"\nsevere errors: {len(severe)}" + (f" ({', '.join(severe)})" if severe else ""))
    return 0 if accuracy >= AIM and not severe else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixtures", type=Path, default=SHARED_FIXTURES)
    parser.add_argument("--all", action="store_true", help="also judge the unlabelled fixtures")
    args = parser.parse_args()
    repos = args.fixtures / "repos"
    labels = read_csv(args.fixtures / "labels-dev.csv", "fixture")
    jobs = read_csv(args.fixtures / "jobs.csv", "fixture")
    names = sorted(p.name for p in repos.iterdir() if (p / "repo.json").is_file())
    fixtures = names if args.all else [n for n in names if n in labels]
    with replay(repos) as (_, url):
        rows = asyncio.run(judge(url, repos, fixtures, jobs))
    status = report(rows, labels)
    return status or report_hollowed(repos, jobs) or report_own()


def report_hollowed(repos: Path, jobs: dict[str, dict[str, str]]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        copies = {}
        for fixture in HOLLOWED:
            folder, _ = hollow_copy(repos / fixture, Path(tmp))
            copies[folder.name] = fixture
        hollow_jobs = {copy: jobs.get(original, {}) for copy, original in copies.items()}
        with replay(Path(tmp)) as (_, url):
            rows = asyncio.run(judge(url, Path(tmp), list(copies), hollow_jobs))
    print("\nhollowed copies of strong fixtures (must not be looks_fine):")
    fooled = 0
    for row in rows:
        ok = row["decision"] != "looks_fine"
        fooled += not ok
        print(
            f"  {'ok' if ok else 'FOOLED':6} {copies[row['fixture']][:50]:50} {row['decision']:12} "
            f"{row.get('score', ''):>3} {row.get('code', '')}  {row.get('reason', '')[:70]}"
        )
    return 1 if fooled else 0


def report_own() -> int:
    """Our own submissions (``bench/starters.py``), each against the decision it must get."""
    with tempfile.TemporaryDirectory() as tmp:
        submissions = write_all(Path(tmp))
        folders = {s.full_name: s.full_name.replace("/", "__") for s in submissions}
        jobs = {folders[s.full_name]: {"job_description": s.job} for s in submissions}
        with replay(Path(tmp)) as (_, url):
            names = list(folders.values())
            rows = asyncio.run(judge(url, Path(tmp), names, jobs))
            before = asyncio.run(judge(url, Path(tmp), names, jobs, whole_tree=True))
    print("\nsubmissions of our own (thin layers over a starter; small assignments):")
    print(f"  {'':6} {'':34} {'decision':12} score  {'whole tree':16} must be")
    wrong = 0
    for submission, row, old in zip(submissions, rows, before, strict=True):
        must = submission.expected
        ok = (
            row["decision"] != "low_effort" if must == "not low_effort" else row["decision"] == must
        )
        wrong += not ok
        print(
            f"  {'ok' if ok else 'WRONG':6} {submission.what[:34]:34} {row['decision']:12} "
            f"{row.get('score', ''):>5}  {old['decision']:12} {old.get('score', ''):>3} {must}"
        )
        print(f"  {'':6} {row.get('reason', '')[:110]}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
