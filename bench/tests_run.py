"""Benchmark running submissions' tests: a job of 10 Python and a job of 10 npm submissions.

    .venv/bin/python bench/tests_run.py [--per-job 10] [--cache DIR]

Each job is one assignment (``tests/submissions/python_words``, with more-itertools from PyPI;
``tests/submissions/node_ledger``, with big.js and mocha from npm), ten candidates' variants of
it (each with a test of its own, a third of them buggy), run one after another through
``run_submission`` with the job's acceptance tests, as a worker would. The dependency cache
starts empty (unless ``--cache``), so the first install of each job downloads and the others
should come from the cache.

Per candidate: extraction (with detection), install and tests (the sandboxes' wall time, the
acceptance run included), the whole call, and TATS's own overhead: the call minus the install
and test sandboxes. Also the cost of one empty sandbox, which that overhead does not include.
Checks (the targets of issue 17): installs 2..N at most 5 s each; overhead at most 3 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tats_core.testrun import RunConfig, engine_available, run_submission
from tats_core.testrun.engine import Mount, RegistryAccess, SandboxJob
from tests.test_testrun_submissions import (
    BUGGY_LEDGER,
    BUGGY_WORDS,
    LEDGER_ACCEPTANCE,
    WORDS_ACCEPTANCE,
)
from tests.testrun_fixtures import submission

INSTALL_TARGET = 5.0
OVERHEAD_TARGET = 3.0


def python_candidate(i: int) -> bytes:
    changes: dict[str, str | bytes | None] = {
        f"tests/test_own_{i}.py": f"from words import title_case\n\n\ndef test_own_{i}():\n"
        f"    assert title_case('case {i}') == 'Case {i}'\n"
    }
    if i % 3 == 2:
        changes["words/__init__.py"] = BUGGY_WORDS
    return submission("python_words", changes)


def node_candidate(i: int) -> bytes:
    changes: dict[str, str | bytes | None] = {
        f"test/own{i}.test.js": 'const assert = require("node:assert");\n'
        'const { balances } = require("../src/ledger");\n'
        f'it("own test {i}", () => assert.deepStrictEqual(balances([]), {{}}));\n'
    }
    if i % 3 == 2:
        changes["src/ledger.js"] = BUGGY_LEDGER
    return submission("node_ledger", changes)


def empty_sandbox(config: RunConfig, network: bool) -> float:
    job = SandboxJob(
        ["/bin/true"],
        "/",
        [Mount(config.cache_dir / "deps", "/cache")],
        {},
        timeout=30,
        network=RegistryAccess(config.registries.hosts) if network else None,
        slot=0,
    )
    started = time.monotonic()
    config.engine.run(job)
    return time.monotonic() - started


def run_job(name: str, make, acceptance, config: RunConfig, count: int) -> list[dict[str, float]]:
    print(f"\n{name}: {count} candidates")
    print(
        f"{'#':>3} {'status':>9} {'accept.':>9} {'extract':>8} {'install':>8} {'tests':>7} {'total':>7} {'overhead':>9}"
    )
    rows = []
    for i in range(count):
        archive = make(i)
        started = time.monotonic()
        report = run_submission(archive, acceptance=acceptance, config=config)
        total = time.monotonic() - started
        d = report.tests.durations
        tests = d.get("test", 0.0) + (
            report.acceptance.durations.get("test", 0.0) if report.acceptance else 0.0
        )
        row = {
            "extract": d.get("extract", 0.0),
            "install": d.get("install", 0.0),
            "tests": tests,
            "total": total,
        }
        row["overhead"] = total - row["install"] - row["tests"]
        rows.append(row)
        accepted = report.acceptance.status if report.acceptance else "-"
        print(
            f"{i + 1:>3} {report.tests.status:>9} {accepted:>9} {row['extract']:>8.2f} {row['install']:>8.2f}"
            f" {row['tests']:>7.2f} {row['total']:>7.2f} {row['overhead']:>9.2f}"
        )
    return rows


def summary(name: str, rows: list[dict[str, float]]) -> bool:
    warm = [r["install"] for r in rows[1:]]
    overhead = [r["overhead"] for r in rows]
    ok_install = max(warm) <= INSTALL_TARGET
    ok_overhead = max(overhead) <= OVERHEAD_TARGET
    print(
        f"{name}: first install {rows[0]['install']:.2f} s (cold cache); installs 2..{len(rows)}: "
        f"median {statistics.median(warm):.2f} s, max {max(warm):.2f} s "
        f"[{'ok' if ok_install else 'OVER'} <= {INSTALL_TARGET:g} s]; "
        f"overhead: median {statistics.median(overhead):.2f} s, max {max(overhead):.2f} s "
        f"[{'ok' if ok_overhead else 'OVER'} <= {OVERHEAD_TARGET:g} s]"
    )
    return ok_install and ok_overhead


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--per-job", type=int, default=10)
    parser.add_argument(
        "--cache", type=Path, default=None, help="reuse a cache (default: a new, empty one)"
    )
    args = parser.parse_args()
    cache = args.cache or Path(tempfile.mkdtemp(prefix="tats-bench-cache-"))
    config = RunConfig(cache_dir=cache)
    reason = engine_available(config)
    if reason:
        print(f"cannot run: {reason}")
        return 2
    print(f"cache: {cache}; concurrency slots: {config.concurrency}")
    plain = statistics.median(empty_sandbox(config, False) for _ in range(5))
    proxied = statistics.median(empty_sandbox(config, True) for _ in range(5))
    print(
        f"one empty sandbox: {plain:.3f} s without network, {proxied:.3f} s with the registry proxy"
    )
    python = run_job(
        "Python job (pytest, more-itertools)",
        python_candidate,
        WORDS_ACCEPTANCE,
        config,
        args.per_job,
    )
    node = run_job(
        "npm job (mocha, big.js)", node_candidate, LEDGER_ACCEPTANCE, config, args.per_job
    )
    print()
    ok = summary("Python", python) & summary("npm", node)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
