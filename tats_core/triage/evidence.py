"""The code an evaluation cites, to show beside it: ``path:line`` places read back from the
stored text of the files that were judged (by blob sha, from the ``blob_text`` cache).

Only files that were read for this evaluation are shown, at the version that was read, so what
the recruiter sees is exactly what the analyzer saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tats_core.repo.places import cited_places
from tats_core.store.models import BlobText, Evaluation

CONTEXT_LINES = 2
MAX_LINES = 30  # per excerpt: a cited range longer than this is cut
MAX_EXCERPTS = 12


@dataclass(frozen=True)
class Excerpt:
    path: str
    start: int  # the cited lines (1-based, inclusive)
    end: int
    lines: list[tuple[int, str]]  # (number, text), with a little context around the citation
    cited_by: str  # the evidence or concern line that cites it


def _citations(evaluation: Evaluation) -> list[str]:
    lines: list[str] = []
    for criterion in evaluation.criteria or []:
        lines += [str(e) for e in criterion.get("evidence") or []]
    lines += [str(c) for c in evaluation.concerns or []]
    return lines


def cited_excerpts(session: Session, evaluation: Evaluation) -> list[Excerpt]:
    """Excerpts for every place the evaluation cites in a file it read, in citation order."""
    sample_files: dict[str, Any] = (evaluation.signals or {}).get("sample_files") or {}
    wanted: list[tuple[str, int, int, str, str]] = []
    seen: set[tuple[str, int, int]] = set()
    for line in _citations(evaluation):
        for path, start, end in cited_places(line):
            sha = _sha_for(path, sample_files)
            if sha is None or (path, start, end) in seen:
                continue
            seen.add((path, start, end))
            wanted.append((path, start, end, sha, line))
    wanted = wanted[:MAX_EXCERPTS]
    shas = {sha for *_, sha, _ in wanted}
    texts = dict(
        session.execute(select(BlobText.sha, BlobText.text).where(BlobText.sha.in_(shas))).all()
    )
    excerpts = []
    for path, start, end, sha, line in wanted:
        text = texts.get(sha)
        if not text:
            continue
        all_lines = text.splitlines()
        if start > len(all_lines):
            continue
        first = max(1, start - CONTEXT_LINES)
        last = min(len(all_lines), end + CONTEXT_LINES, first + MAX_LINES - 1)
        shown = [(n, all_lines[n - 1]) for n in range(first, last + 1)]
        excerpts.append(Excerpt(path, start, end, shown, line))
    return excerpts


def _sha_for(path: str, sample_files: dict[str, Any]) -> str | None:
    """The blob read for a cited path; a path cited relative to a folder matches by its end."""
    if path in sample_files:
        return str(sample_files[path])
    matches = [sha for read, sha in sample_files.items() if read.endswith("/" + path)]
    return str(matches[0]) if len(matches) == 1 else None
