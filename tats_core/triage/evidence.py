"""The code an evaluation cites, to show beside it: ``path:line`` places read back from the
stored text of the files that were judged (by blob sha, from the ``blob_text`` cache), and
linked to the file on GitHub at the commit that was judged (``CodeLinks``).

Only files that were read for this evaluation are shown, at the version that was read, so what
the recruiter sees is exactly what the analyzer saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from tats_core.repo.places import cited_places
from tats_core.store.models import BlobText, Candidate, Evaluation

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


def _read_path(path: str, sample_files: dict[str, Any]) -> str | None:
    """The path of the file read for a cited path; one cited relative to a folder matches by
    its end."""
    if path in sample_files:
        return path
    matches = [read for read in sample_files if read.endswith("/" + path)]
    return matches[0] if len(matches) == 1 else None


def _sha_for(path: str, sample_files: dict[str, Any]) -> str | None:
    """The blob read for a cited path."""
    read = _read_path(path, sample_files)
    return None if read is None else str(sample_files[read])


@dataclass(frozen=True)
class CodeLinks:
    """Links from an evaluation's ``path:line`` places to the file on GitHub, at the commit
    that was judged (so the lines are the ones the analyzer read, whatever was pushed since)."""

    repo_full_name: str
    commit_sha: str | None
    repo_path: str | None
    sample_files: dict[str, Any]

    @classmethod
    def of(cls, candidate: Candidate, evaluation: Evaluation | None) -> CodeLinks:
        signals = (evaluation.signals if evaluation else None) or {}
        return cls(
            candidate.repo_full_name,
            evaluation.commit_sha if evaluation else None,
            candidate.repo_path,
            signals.get("sample_files") or {},
        )

    def url(self, path: str, start: int, end: int) -> str | None:
        if not self.commit_sha:
            return None
        full = _read_path(path, self.sample_files)
        if full is None:
            full = f"{self.repo_path.strip('/')}/{path}" if self.repo_path else path
        lines = f"#L{start}" + (f"-L{end}" if end != start else "")
        return (
            f"https://github.com/{self.repo_full_name}/blob/{self.commit_sha}/{quote(full)}{lines}"
        )

    def segments(self, text: str) -> list[tuple[str, str | None]]:
        """``text`` cut into pieces, each with the URL of the place it cites (or None)."""
        pieces: list[tuple[str, str | None]] = []
        position = 0
        for path, start, end in cited_places(text):
            written = f"{path}:{start}" + (f"-{end}" if end != start else "")
            found = text.find(written, position)
            url = self.url(path, start, end)
            if found < 0 or url is None:
                continue
            if found > position:
                pieces.append((text[position:found], None))
            pieces.append((written, url))
            position = found + len(written)
        if position < len(text):
            pieces.append((text[position:], None))
        return pieces
