"""The code sample: the files of a submission a reviewer would open, chosen from the tree alone.

``choose_sample`` (pure, deterministic) picks, within a stated budget, the entry points, what
shows how the project runs (Dockerfile, Makefile, manifests with their scripts, compose files,
CI), the tests, and the central and largest source files of the candidate's own; it leaves out
committed dependencies, build output, lock, minified and generated files, editor folders, and
says how many of each. ``github`` reads the chosen files' text into a ``CodeSample``; judging
reads the sample without knowing where it came from.

Budget, per candidate (``SampleBudget``): at most ``MAX_FILES`` = 40 files and
``MAX_TOTAL_BYTES`` = 400 KB in all, each file at most ``MAX_FILE_BYTES`` = 100 KB. Within it,
tests take at most a quarter of the files while source remains, and run configuration at most 6.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from tats_core.repo import files

if TYPE_CHECKING:
    from tats_core.repo.snapshot import TreeEntry

MAX_FILES = 40
MAX_TOTAL_BYTES = 400_000
MAX_FILE_BYTES = 100_000
MAX_RUN_FILES = 6
MAX_ENTRY_POINTS = 6


@dataclass(frozen=True)
class SampleBudget:
    """How much of a submission is read: files, bytes in all, bytes per file."""

    max_files: int = MAX_FILES
    max_total_bytes: int = MAX_TOTAL_BYTES
    max_file_bytes: int = MAX_FILE_BYTES


class Why(StrEnum):
    """Why a file was chosen."""

    ENTRY_POINT = "entry point"
    RUNS = "how it runs"
    TEST = "test"
    SOURCE = "source"


class LeftOut(StrEnum):
    """Why a file of the tree was not read (counted per reason)."""

    VENDORED = "vendored"
    BUILD = "build output"
    LOCK = "lock files"
    MINIFIED = "minified or generated"
    IDE = "IDE or editor files"
    NOT_CODE = "docs, data or assets"
    EMPTY = "empty"
    TOO_LARGE = "too large"
    OVER_BUDGET = "over budget"


@dataclass(frozen=True)
class SampleEntry:
    path: str  # relative to the submission root
    sha: str
    size: int
    why: Why


@dataclass(frozen=True)
class SamplePlan:
    entries: tuple[SampleEntry, ...]
    left_out: dict[str, int]  # LeftOut value -> count
    total_files: int  # blobs in the tree


@dataclass(frozen=True)
class SampleFile:
    """A chosen file with its text (``path``, ``text`` and ``is_test`` as judging reads them)."""

    path: str
    sha: str
    size: int
    why: Why
    text: str

    @property
    def is_test(self) -> bool:
        return self.why is Why.TEST


@dataclass(frozen=True)
class SkippedFile:
    """A chosen file whose text could not be read, and why (``not found``, ``binary``, ...)."""

    path: str
    reason: str


@dataclass
class CodeSample:
    files: list[SampleFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    left_out: dict[str, int] = field(default_factory=dict)
    total_files: int = 0
    files_downloaded: int = 0  # raw downloads (not counted against the API limit)
    api_requests: int = 0  # GraphQL or REST requests spent on text (counted against it)

    def summary(self) -> str:
        """``read 32 of 210 files; left out: 150 vendored, 20 lock files; 2 unreadable``."""
        text = f"read {len(self.files)} of {self.total_files} files"
        if self.left_out:
            counts = sorted(self.left_out.items(), key=lambda kv: (-kv[1], kv[0]))
            text += "; left out: " + ", ".join(f"{n} {reason}" for reason, n in counts)
        if self.skipped:
            text += f"; {len(self.skipped)} unreadable"
        return text


ENTRY_NAMES = re.compile(
    r"^(main|app|index|server|program|manage|wsgi|asgi|cli|run|__main__|application|startup)"
    r"\.(py|[cm]?[jt]sx?|go|rb|php|cs|java|kt|scala|rs|ex|exs|dart|swift|c|cpp)$",
    re.IGNORECASE,
)
ENTRY_PATHS = re.compile(
    r"(^|/)(cmd/[^/]+/main\.go|src/main/.+/[A-Z]\w*Application\.(java|kt)|src/main\.rs"
    r"|config/routes\.rb|pages/_app\.[jt]sx?|app/(page|layout)\.[jt]sx?)$"
)
RUN_NAMES = re.compile(
    r"^(dockerfile(\..+)?|.+\.dockerfile|makefile|justfile|procfile|taskfile\.ya?ml"
    r"|(docker-)?compose(\.[\w-]+)?\.ya?ml|package\.json|pyproject\.toml|setup\.cfg|setup\.py"
    r"|requirements\.txt|go\.mod|pom\.xml|build\.gradle(\.kts)?|cargo\.toml|composer\.json"
    r"|gemfile|build\.sbt|.+\.csproj|tox\.ini|noxfile\.py)$",
    re.IGNORECASE,
)
MINIFIED = re.compile(r"(\.min\.(js|css)|\.bundle\.js|\.chunk\.js|\.map|\.d\.ts)$")
GENERATED = re.compile(
    r"(_pb2(_grpc)?\.py|\.pb\.go|\.g\.(cs|dart)|\.designer\.cs|\.generated\.\w+"
    r"|^(mvnw|gradlew)(\.cmd|\.bat)?|^(reportwebvitals|setuptests|serviceworker)\.[jt]sx?"
    r"|^react-app-env\.d\.ts|^next-env\.d\.ts)$",
    re.IGNORECASE,
)
IDE_DIRS = {".vscode", ".idea", ".vs", ".settings", ".fleet", ".devcontainer"}
IDE_NAMES = {".project", ".classpath", ".editorconfig"}
OTHER_SOURCE = {".html", ".css", ".scss", ".sass", ".less", ".sql", ".graphql", ".proto"}
CENTRAL_WORDS = re.compile(
    r"(service|controller|handler|route|router|api|model|repositor|store|view|resolver|engine"
    r"|core|domain|schema|logic)",
    re.IGNORECASE,
)


def _left_out_reason(path: str, size: int, foreign: set[str], area: str | None) -> LeftOut | None:
    name = path.rsplit("/", 1)[-1]
    if path in foreign:
        segments = [s.lower() for s in files.parts(path)[:-1]]
        is_dependency = area is None or any(
            s in files.DEPENDENCY_DIRS or s == "vendor" for s in segments
        )
        return LeftOut.VENDORED if is_dependency else LeftOut.BUILD
    lowered = [s.lower() for s in files.parts(path)]
    if files.is_junk(path) or lowered[-1] in IDE_NAMES or IDE_DIRS.intersection(lowered[:-1]):
        return LeftOut.IDE
    if name.lower() in files.LOCKFILES:
        return LeftOut.LOCK
    if MINIFIED.search(name) or GENERATED.search(name):
        return LeftOut.MINIFIED
    return None


def _kind(path: str, size: int) -> Why | None:
    name = path.rsplit("/", 1)[-1]
    if (RUN_NAMES.match(name) and path.count("/") <= 2) or files.is_ci_config(path):
        return Why.RUNS
    if files.code_language(path) is None and files.suffix(path) not in OTHER_SOURCE:
        return None
    if files.is_test_file(path, size):
        return Why.TEST
    if files.code_language(path) and (ENTRY_NAMES.match(name) or ENTRY_PATHS.search(path)):
        return Why.ENTRY_POINT
    return Why.SOURCE


def _source_rank(entry: TreeEntry, shallowest: int) -> tuple[float, str]:
    """Central and large first: size, less for deep folders, more for telling names, far less
    for markup and styles; the path breaks ties so the choice is deterministic."""
    depth = entry.path.count("/") - shallowest
    weight = min(entry.size, MAX_FILE_BYTES) / (1 + 0.3 * max(depth, 0))
    if CENTRAL_WORDS.search(entry.path.rsplit("/", 1)[-1]):
        weight *= 1.5
    if files.code_language(entry.path) is None:
        weight *= 0.25
    return -weight, entry.path


def choose_sample(tree: Sequence[TreeEntry], budget: SampleBudget | None = None) -> SamplePlan:
    """The files to read from ``tree`` (entries relative to the submission root), and what was
    left out of it and why."""
    budget = budget or SampleBudget()
    blobs = [e for e in tree if e.type == "blob"]
    _, _, _, foreign = files.foreign_areas([(e.path, e.size) for e in blobs])
    roots = files.output_roots([e.path for e in blobs])
    left_out: Counter[str] = Counter()
    groups: dict[Why, list[TreeEntry]] = {w: [] for w in Why}
    for entry in sorted(blobs, key=lambda e: e.path):
        area = files.committed_area(entry.path, entry.size, roots)
        reason = _left_out_reason(entry.path, entry.size, foreign, area)
        kind = _kind(entry.path, entry.size) if reason is None else None
        if reason is None and kind is None:
            reason = LeftOut.NOT_CODE
        elif reason is None and (not entry.sha or entry.size == 0):
            reason = LeftOut.EMPTY
        elif reason is None and entry.size > budget.max_file_bytes:
            reason = LeftOut.TOO_LARGE
        if reason is not None:
            left_out[reason.value] += 1
        elif kind is not None:
            groups[kind].append(entry)

    code = groups[Why.ENTRY_POINT] + groups[Why.SOURCE] + groups[Why.TEST]
    shallowest = min((e.path.count("/") for e in code), default=0)
    groups[Why.ENTRY_POINT].sort(key=lambda e: (e.path.count("/"), e.path))
    groups[Why.RUNS].sort(key=lambda e: (files.is_ci_config(e.path), e.path.count("/"), e.path))
    groups[Why.SOURCE].sort(key=lambda e: _source_rank(e, shallowest))
    groups[Why.TEST].sort(key=lambda e: _source_rank(e, shallowest))

    test_share = max(1, budget.max_files // 4) if groups[Why.SOURCE] else budget.max_files
    order = (
        [(e, Why.ENTRY_POINT) for e in groups[Why.ENTRY_POINT][:MAX_ENTRY_POINTS]]
        + [(e, Why.RUNS) for e in groups[Why.RUNS][:MAX_RUN_FILES]]
        + [(e, Why.TEST) for e in groups[Why.TEST][:test_share]]
        + [(e, Why.SOURCE) for e in groups[Why.ENTRY_POINT][MAX_ENTRY_POINTS:]]
        + [(e, Why.SOURCE) for e in groups[Why.SOURCE]]
        + [(e, Why.TEST) for e in groups[Why.TEST][test_share:]]
        + [(e, Why.RUNS) for e in groups[Why.RUNS][MAX_RUN_FILES:]]
    )
    chosen: list[SampleEntry] = []
    total = 0
    for entry, why in order:
        if len(chosen) < budget.max_files and total + entry.size <= budget.max_total_bytes:
            chosen.append(SampleEntry(entry.path, entry.sha or "", entry.size, why))
            total += entry.size
        else:
            left_out[LeftOut.OVER_BUDGET.value] += 1
    return SamplePlan(tuple(chosen), dict(left_out), len(blobs))
