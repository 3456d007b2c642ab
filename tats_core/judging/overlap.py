"""Shared solutions within a job: which submissions share substantial code of their own.

Pure functions over trees, from blob shas alone (a blob's sha is the hash of its bytes, so two
identical files have one sha in any two repositories; no file is read, no request is made).

Only a candidate's *own* code counts (``own_files``). Not counted:

- non-code files (``files.code_language`` is None: docs, data, JSON, lockfiles, images, HTML,
  CSS, minified bundles), and code files under ``TINY_BYTES`` (an ``__init__.py``, a two-line
  config: identical by chance) or over ``HUGE_BYTES`` (generated bundles and data);
- committed dependencies, build output, copied-in libraries and editor folders (``files``),
  anything under a dot-folder (``.mvn/``, ``.github/``, ``.vscode/``) or a vendor/static/public
  folder, and well-known third-party files (jquery, bootstrap, ...);
- files that project generators write (``generated.GENERATOR_FILES``: Create React App, Vite, Next.js,
  Angular, Rails, Django, Spring Initializr, .NET templates, Maven/Gradle wrappers, tool configs);
- files given to the job's submissions: those of a starter some submission was found to build
  on (a fork's parent, a template, commits another author pushed first: ``given``, from
  ``provenance``), and files common to the job (``is_common``). A starter everyone was given is
  in most submissions; a solution a few passed around is in a few. So a sha is common when more
  than ``RING_MAX`` submissions hold it and at least ``COMMON_SHARE`` of the job, or when at
  least ``MOST_SHARE`` of the job (three submissions at least) hold it: three of five sharing a
  file are flagged, not taken for boilerplate.

Two submissions *share substantial code* (``is_substantial``) when, after all that, they hold at
least ``MIN_SHARED_FILES`` identical files totalling ``MIN_SHARED_BYTES``, or at least
``MIN_SHARED_FILES_FOR_SHARE`` identical files making up ``LARGE_SHARE`` of the smaller
submission's own code (a small submission copied whole). The evidence is the path pairs.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from tats_core.judging import concerns as concern_text
from tats_core.judging.analysis import Analysis
from tats_core.judging.concerns import SHOWN_FILES, places
from tats_core.judging.generated import is_generator_file
from tats_core.repo import files
from tats_core.statuses import NEEDS_REVIEW, SCORE_BANDS
from tats_core.wording import plural

SHARED_CODE_FLAG = "shared_code"
TINY_BYTES = 200
HUGE_BYTES = 200_000
MAX_FILES = 400  # a fingerprint keeps at most this many own files (the largest)
RING_MAX = 4  # submissions that may pass one solution around; more is the job's starter
COMMON_SHARE = 0.30
MOST_SHARE = 0.75
MOST_MIN = 3
MIN_SHARED_FILES = 3
MIN_SHARED_BYTES = 4_096
MIN_SHARED_FILES_FOR_SHARE = 2
LARGE_SHARE = 0.5

FOREIGN_DIRS = {
    "vendor", "vendors", "third_party", "third-party", "thirdparty", "external", "externals",
    "public", "static", "wwwroot", "libs", "bower_components",
}  # fmt: skip
LIBRARY_NAME = re.compile(
    r"(^|[-_.])(jquery|bootstrap|popper|lodash|underscore|moment|d3|chart|angular|react|vue"
    r"|backbone|modernizr|normalize|fontawesome|highlight|prism|axios)([-_.]|$)",
    re.IGNORECASE,
)


class FileRef(NamedTuple):
    """One file of a tree: where it is, the sha of its bytes, its size in bytes."""

    path: str
    sha: str
    size: int


@dataclass(frozen=True)
class Overlap:
    """What one submission shares with another: ``pairs`` are (its path, the other's path)."""

    other: int
    pairs: list[tuple[str, str]] = field(default_factory=list)
    shared_bytes: int = 0

    def describe(self, other_label: str | None = None) -> str:
        label = other_label or f"candidate {self.other}"
        shown = places([p for p, _ in self.pairs], len(self.pairs), limit=SHOWN_FILES)
        return f"Shares {plural(len(self.pairs), 'file')} with {label}: {shown}"


def cap_for_shared_code(
    analysis: Analysis, overlaps: Sequence[Overlap], labels: Mapping[int, str] | None = None
) -> tuple[Analysis, list[str]]:
    """Shared code never decides alone: it sends the candidate to ``needs_review`` (whatever the
    analyzer said, so never ``low_effort`` either) with the evidence as concerns, and flags it."""
    if not overlaps:
        return analysis, []
    concerns = list(analysis.concerns)
    for overlap in overlaps:
        label = (labels or {}).get(overlap.other) or f"candidate {overlap.other}"
        line = concern_text.SHARED_CODE.render(
            files=plural(len(overlap.pairs), "file"),
            other=label,
            paths=places([p for p, _ in overlap.pairs], len(overlap.pairs), limit=SHOWN_FILES),
        )
        if line not in concerns:
            concerns.append(line)
    low, high = SCORE_BANDS[NEEDS_REVIEW]
    capped = analysis.model_copy(
        update={
            "decision": NEEDS_REVIEW,
            "score": max(low, min(analysis.score, high)),
            "concerns": concerns,
        }
    )
    return capped, [SHARED_CODE_FLAG]


def own_files(tree: Iterable[tuple[str, str, int]]) -> list[FileRef]:
    """The candidate's own code files of a tree of (path, sha, size) blobs, at most
    ``MAX_FILES`` (the largest), sorted by path."""
    blobs = [FileRef(p, s, int(n)) for p, s, n in tree if s]
    _, _, _, foreign = files.foreign_areas([(f.path, f.size) for f in blobs])
    kept = []
    for f in blobs:
        segments = f.path.split("/")
        if (
            f.path in foreign
            or not TINY_BYTES <= f.size <= HUGE_BYTES
            or files.code_language(f.path) is None
            or files.is_junk(f.path)
            or any(s.startswith(".") or s.lower() in FOREIGN_DIRS for s in segments[:-1])
            or LIBRARY_NAME.search(segments[-1].rsplit(".", 1)[0])
            or is_generator_file(f.path)
        ):
            continue
        kept.append(f)
    kept = sorted(kept, key=lambda f: (-f.size, f.path))[:MAX_FILES]
    return sorted(kept)


def is_common(holders: int, submissions: int) -> bool:
    """Whether a sha in ``holders`` of the job's ``submissions`` is the assignment's (or an
    unknown generator's) rather than a solution passed around (see the module docstring)."""
    if holders > RING_MAX and holders >= math.ceil(COMMON_SHARE * submissions):
        return True
    return holders >= MOST_MIN and holders >= math.ceil(MOST_SHARE * submissions)


def own_bytes(fingerprint: Sequence[FileRef]) -> int:
    return sum(f.size for f in fingerprint)


def is_substantial(pairs: int, shared: int, smaller_own: int) -> bool:
    if pairs >= MIN_SHARED_FILES and shared >= MIN_SHARED_BYTES:
        return True
    return (
        pairs >= MIN_SHARED_FILES_FOR_SHARE
        and smaller_own > 0
        and shared >= LARGE_SHARE * smaller_own
    )


def compare(
    mine: Sequence[FileRef],
    theirs: Sequence[FileRef],
    *,
    other: int,
    ignore: set[str] | frozenset[str] = frozenset(),
    my_total: int | None = None,
    their_total: int | None = None,
) -> Overlap | None:
    """The overlap of ``mine`` with ``theirs`` (candidate ``other``) when it is substantial.

    ``theirs`` may be only their files whose sha is in ``mine`` (as the store reads them) when
    ``their_total`` gives their own code's full size; shas in ``ignore`` are common to the job.
    """
    by_sha: dict[str, list[FileRef]] = defaultdict(list)
    for f in theirs:
        if f.sha not in ignore:
            by_sha[f.sha].append(f)
    pairs: list[tuple[str, str]] = []
    shared = 0
    used: set[str] = set()
    for f in mine:
        matches = [t for t in by_sha.get(f.sha, []) if t.path not in used]
        if not matches:
            continue
        match = next((t for t in matches if t.path == f.path), matches[0])
        used.add(match.path)
        pairs.append((f.path, match.path))
        shared += f.size
    smaller = min(
        own_bytes(mine) if my_total is None else my_total,
        own_bytes(theirs) if their_total is None else their_total,
    )
    if not is_substantial(len(pairs), shared, smaller):
        return None
    return Overlap(other, pairs, shared)


def common_shas(fingerprints: Mapping[int, Sequence[FileRef]]) -> set[str]:
    counts: dict[str, int] = defaultdict(int)
    for fingerprint in fingerprints.values():
        for sha in {f.sha for f in fingerprint}:
            counts[sha] += 1
    return {sha for sha, n in counts.items() if is_common(n, len(fingerprints))}


def find_overlaps(
    fingerprints: Mapping[int, Sequence[FileRef]], given: set[str] | frozenset[str] = frozenset()
) -> dict[int, list[Overlap]]:
    """For each submission of one job (candidate id -> own files), the others it shares
    substantial code with, most shared first; ``given``: shas of starters the job's
    submissions were given. Symmetric: if A lists B, B lists A."""
    ignore = common_shas(fingerprints) | set(given)
    holders: dict[str, set[int]] = defaultdict(set)
    for cid, fingerprint in fingerprints.items():
        for f in fingerprint:
            if f.sha not in ignore:
                holders[f.sha].add(cid)
    result: dict[int, list[Overlap]] = {cid: [] for cid in fingerprints}
    for cid, fingerprint in fingerprints.items():
        others = {o for f in fingerprint for o in holders.get(f.sha, ()) if o != cid}
        for other in sorted(others):
            found = compare(fingerprint, fingerprints[other], other=other, ignore=ignore)
            if found:
                result[cid].append(found)
        result[cid].sort(key=lambda o: (-len(o.pairs), o.other))
    return result
