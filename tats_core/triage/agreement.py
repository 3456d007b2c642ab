"""Agreement between the analyzer and the recruiters who reviewed its decisions.

Pure computation over (analyzer decision, human decision) pairs: how many were kept, the share
kept (observed agreement), Cohen's kappa (agreement beyond what chance would give with the same
marginals) and the analyzer-vs-human confusion matrix over the three decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tats_core import statuses

DECISIONS: tuple[str, ...] = tuple(statuses.DECISIONS)


@dataclass(frozen=True)
class Agreement:
    reviewed: int
    kept: int  # the human decision equals the analyzer's
    # matrix[i][j]: analyzer said DECISIONS[i], the human said DECISIONS[j]
    matrix: tuple[tuple[int, ...], ...]

    @property
    def changed(self) -> int:
        return self.reviewed - self.kept

    @property
    def observed(self) -> float | None:
        """Share of reviewed candidates whose analyzer decision was kept."""
        return self.kept / self.reviewed if self.reviewed else None

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa; None without reviews, or when chance agreement is total (undefined)."""
        n = self.reviewed
        if not n:
            return None
        analyzer = [sum(row) for row in self.matrix]
        human = [sum(row[j] for row in self.matrix) for j in range(len(DECISIONS))]
        expected = sum(a * h for a, h in zip(analyzer, human, strict=True)) / (n * n)
        if expected == 1:
            return None
        return ((self.kept / n) - expected) / (1 - expected)


def agreement(pairs: Iterable[tuple[str, str]]) -> Agreement:
    """Agreement over (analyzer decision, human decision) pairs; pairs outside the three
    decisions (a failed analysis the human judged) are left out."""
    index = {d: i for i, d in enumerate(DECISIONS)}
    matrix = [[0] * len(DECISIONS) for _ in DECISIONS]
    for analyzer_decision, human_decision in pairs:
        if analyzer_decision in index and human_decision in index:
            matrix[index[analyzer_decision]][index[human_decision]] += 1
    reviewed = sum(map(sum, matrix))
    kept = sum(matrix[i][i] for i in range(len(DECISIONS)))
    return Agreement(reviewed, kept, tuple(tuple(row) for row in matrix))


def matrix_rows(result: Agreement) -> Sequence[dict[str, object]]:
    """The confusion matrix as labelled rows (analyzer down, human across), for a table."""
    return [
        {
            "Analyzer said": statuses.LABELS[decision],
            **{
                f"Human: {statuses.LABELS[other]}": result.matrix[i][j]
                for j, other in enumerate(DECISIONS)
            },
        }
        for i, decision in enumerate(DECISIONS)
    ]
