"""GitHub requests per candidate, counted at the replay server.

Snapshots every fixture repository four ways and counts what reached the server:
REST without a token, REST again with the ETag cache (every answer should be a 304), GraphQL
with a token, and GraphQL again with the cache (the POST is never cached; the tree is a 304).

    .venv/bin/python bench/github_requests.py [--repos DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
from collections import Counter
from pathlib import Path

from _replay import replay

from tats_core.errors import TatsError
from tats_core.github.cache import MemoryHttpCache
from tats_core.github.client import GitHubClient
from tats_dev.github_replay import ReplayApp

TOKEN = "bench-token"
RUNS = (
    ("REST, no token", None, "rest"),
    ("REST re-run, ETag cache", None, "rest"),
    ("GraphQL, token", TOKEN, "graphql"),
    ("GraphQL re-run, ETag cache", TOKEN, "graphql"),
)


async def count(app: ReplayApp, url: str, names: list[str]) -> dict[str, list[tuple[int, Counter]]]:
    caches = {"rest": MemoryHttpCache(), "graphql": MemoryHttpCache()}
    results: dict[str, list[tuple[int, Counter]]] = {}
    for label, token, kind in RUNS:
        rows = []
        async with GitHubClient(url, token, cache=caches[kind]) as github:
            for name in names:
                app.clear_log()
                # A failing repository still costs what reached the server.
                with contextlib.suppress(TatsError):
                    await github.snapshot(name)
                rows.append((len(app.log), Counter(status for _, _, status in app.log)))
        results[label] = rows
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=Path, default=Path("/work/shared/fixtures/repos"))
    args = parser.parse_args()
    dirs = sorted(p for p in args.repos.iterdir() if (p / "repo.json").is_file())
    names = [json.loads((d / "repo.json").read_text())["full_name"] for d in dirs]
    with replay(args.repos) as (app, url):
        results = asyncio.run(count(app, url, names))

    labels = [label for label, _, _ in RUNS]
    print(f"{'repository':60}" + "".join(f"{label[:14]:>16}" for label in labels))
    for i, name in enumerate(names):
        print(f"{name[:58]:60}" + "".join(f"{results[label][i][0]:>16}" for label in labels))
    print()
    for label in labels:
        counts = [n for n, _ in results[label]]
        statuses = sum((c for _, c in results[label]), Counter())
        print(
            f"{label:28} mean {statistics.mean(counts):4.1f}  min {min(counts)}  max {max(counts)}"
            f"  total {sum(counts):4}  statuses {dict(sorted(statuses.items()))}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
