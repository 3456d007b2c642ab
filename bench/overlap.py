"""Shared-code detection on real trees: no false pair among the fixtures, a copy caught.

Treats every fixture repository's ``tree.json`` as one submission of a single job and prints
the pairs ``tats_core.judging.overlap`` flags (there must be none: the fixtures share only
generator files, such as Create React App's, Rails' and the Maven wrapper's). Then adds a copy
of one fixture under another owner (the same tree) and shows that it is flagged both ways.
Exits non-zero when either check fails.

    .venv/bin/python bench/overlap.py [--fixtures DIR] [--copy OWNER__NAME]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from _paths import SHARED_FIXTURES

from tats_core.judging.overlap import FileRef, common_shas, find_overlaps, own_files


def tree_of(repo: Path) -> list[tuple[str, str, int]]:
    entries = json.loads((repo / "tree.json").read_text())["tree"]
    return [(e["path"], e["sha"], int(e.get("size") or 0)) for e in entries if e["type"] == "blob"]


def show(fingerprints: dict[int, list[FileRef]], names: dict[int, str]) -> int:
    flagged = 0
    for cid, overlaps in find_overlaps(fingerprints).items():
        for overlap in overlaps:
            flagged += 1
            print(f"  {names[cid]} -> {names[overlap.other]}: {overlap.describe()}")
    return flagged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixtures", type=Path, default=SHARED_FIXTURES)
    parser.add_argument("--copy", default="gretahayes19__react-takehome-challenge")
    args = parser.parse_args()
    repos = sorted(p for p in (args.fixtures / "repos").iterdir() if (p / "tree.json").exists())
    names = {i: repo.name for i, repo in enumerate(repos, 1)}
    trees = {i: tree_of(repo) for i, repo in enumerate(repos, 1)}
    fingerprints = {i: own_files(tree) for i, tree in trees.items()}

    # How much the raw trees share, before TATS's own-code rules: the generator files.
    raw_holders: Counter[str] = Counter()
    paths: dict[str, str] = {}
    for tree in trees.values():
        for path, sha, _ in tree:
            paths.setdefault(sha, path)
        raw_holders.update({sha for _, sha, _ in tree})
    shared_raw = {sha: n for sha, n in raw_holders.items() if n >= 2}
    print(f"{len(repos)} fixtures as one job; {len(shared_raw)} blob shas appear in 2+ trees:")
    for sha, n in sorted(shared_raw.items(), key=lambda kv: (-kv[1], paths[kv[0]]))[:40]:
        print(f"  {n} trees  {paths[sha]}")
    own = sum(len(f) for f in fingerprints.values())
    print(f"own code files kept: {own}; common to the job: {len(common_shas(fingerprints))}")
    print("flagged pairs among the fixtures:")
    false_pairs = show(fingerprints, names)
    if not false_pairs:
        print("  none")

    source = next(i for i, name in names.items() if name == args.copy)
    copy_id = len(repos) + 1
    names[copy_id] = "someone-else__" + args.copy.split("__", 1)[1]
    fingerprints[copy_id] = own_files(trees[source])
    print(f"with a copy of {args.copy} as {names[copy_id]}:")
    with_copy = find_overlaps(fingerprints)
    show(fingerprints, names)
    both_ways = any(o.other == copy_id for o in with_copy[source]) and any(
        o.other == source for o in with_copy[copy_id]
    )
    print(f"copy flagged both ways: {both_ways}")
    return 0 if not false_pairs and both_ways else 1


if __name__ == "__main__":
    sys.exit(main())
