"""GitHub requests and file downloads per candidate, counted at the replay server.

Snapshots every fixture repository and reads its code sample, four ways, and counts what
reached the server: API requests (REST and GraphQL, counted against the rate limit) and raw file
downloads (not counted against it), per candidate:

- REST, no token: snapshot by REST, sample by raw downloads;
- second job, no token: the same repositories again, with the ETag cache (304s) and the blob
  cache (no file read twice);
- GraphQL, token: snapshot by GraphQL, sample by GraphQL blob queries (fresh caches);
- second job, token: again, with both caches.

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
from dataclasses import dataclass
from pathlib import Path

from _paths import SHARED_FIXTURES
from _replay import replay

from tats_core.errors import TatsError
from tats_core.github.blob_cache import MemoryBlobCache
from tats_core.github.cache import MemoryHttpCache
from tats_core.github.client import GitHubClient
from tats_dev.github_replay import ReplayApp

TOKEN = "bench-token"
RUNS = (
    ("REST, no token", None, "rest"),
    ("2nd job, no token", None, "rest"),
    ("GraphQL, token", TOKEN, "graphql"),
    ("2nd job, token", TOKEN, "graphql"),
)


@dataclass
class Row:
    api: int
    downloads: int
    files_read: int
    statuses: Counter[int]


async def count(app: ReplayApp, url: str, names: list[str]) -> dict[str, list[Row]]:
    caches = {kind: (MemoryHttpCache(), MemoryBlobCache()) for kind in ("rest", "graphql")}
    results: dict[str, list[Row]] = {}
    for label, token, kind in RUNS:
        http_cache, blob_cache = caches[kind]
        rows = []
        async with GitHubClient(
            url, token, cache=http_cache, raw_url=f"{url}/raw", blob_cache=blob_cache
        ) as github:
            for name in names:
                app.clear_log()
                files = 0
                # A failing repository still costs what reached the server.
                with contextlib.suppress(TatsError):
                    sample = await github.read_sample(await github.snapshot(name))
                    files = len(sample.files)
                statuses = Counter(status for _, _, status in app.log)
                rows.append(Row(app.api_requests(), app.downloads(), files, statuses))
        results[label] = rows
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=Path, default=SHARED_FIXTURES / "repos")
    args = parser.parse_args()
    dirs = sorted(p for p in args.repos.iterdir() if (p / "repo.json").is_file())
    names = [json.loads((d / "repo.json").read_text())["full_name"] for d in dirs]
    with replay(args.repos) as (app, url):
        results = asyncio.run(count(app, url, names))

    labels = [label for label, _, _ in RUNS]
    print("API requests / file downloads per candidate (files read in the first run)")
    print(f"{'repository':52}{'read':>6}" + "".join(f"{label:>20}" for label in labels))
    for i, name in enumerate(names):
        cells = "".join(
            f"{f'{results[lb][i].api} / {results[lb][i].downloads}':>20}" for lb in labels
        )
        print(f"{name[:50]:52}{results[labels[0]][i].files_read:>6}" + cells)
    print()
    for label in labels:
        api = [r.api for r in results[label]]
        downloads = [r.downloads for r in results[label]]
        statuses = sum((r.statuses for r in results[label]), Counter())
        print(
            f"{label:20} API mean {statistics.mean(api):4.1f} max {max(api):2}"
            f"  downloads mean {statistics.mean(downloads):5.1f} max {max(downloads):3}"
            f" total {sum(downloads):4}  statuses {dict(sorted(statuses.items()))}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
