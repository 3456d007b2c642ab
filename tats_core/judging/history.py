"""What a list of commits says about how the work was built: span, active days, commits that
carry work (merges, README edits and GitHub's initial commit set aside), vague messages, and a
project generator's commit.

A "single dump" is history that cannot show how the work was built: one commit; or one commit
left after setting housekeeping aside; or at most three commits within one hour. Without
per-commit diff sizes (not fetched, to keep requests low), "one commit carrying nearly all the
code" is approximated that way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC

from tats_core.repo.snapshot import CommitInfo

HOUSEKEEPING = re.compile(
    r"^(merge (pull request|branch|remote-tracking)|(update|create|add|edit|delete)d? "
    r"(the )?readme|readme|docs?[(:]|update \S+\.md$|(initial|first) commit$|init$|"
    r"(update|add|create)d? \.?gitignore|typo)",
    re.I,
)
GENERATOR = re.compile(
    r"(create[- ](react|next)[- ]app|create-vite|rails new|bootstrapped|generated (by|with|from)|"
    r"initiali[sz]e project using|spring initiali[sz]r|dotnet new|\bng new\b|from template)",
    re.I,
)
VAGUE = {"update", "updates", "done", "fix", "fixes", "wip", "changes", "commit", "test", "final"}
DUMP_MAX_COMMITS = 3
DUMP_MAX_HOURS = 1.0


def subject(commit: CommitInfo) -> str:
    """A commit message's first line."""
    lines = (commit.message or "").strip().splitlines()
    return lines[0].strip() if lines else ""


def is_housekeeping(commit: CommitInfo) -> bool:
    return bool(HOUSEKEEPING.search(subject(commit)))


@dataclass(frozen=True)
class HistoryFacts:
    span_days: float
    active_days: int
    substantive: int  # merges, README edits and GitHub's initial commit left out
    vague: int  # "d", "Done", "update"...
    generator: bool  # a project generator's commit message

    def single_dump(self, commit_count: int) -> bool:
        """The work arrived at once (see the module docstring)."""
        return (
            commit_count <= 1
            or self.substantive <= 1
            or (commit_count <= DUMP_MAX_COMMITS and self.span_days * 24 < DUMP_MAX_HOURS)
        )


def read_history(commits: Sequence[CommitInfo]) -> HistoryFacts:
    """The facts of ``commits`` (newest first)."""
    dates = sorted(c.authored_at for c in commits if c.authored_at)
    span = (dates[-1] - dates[0]).total_seconds() / 86400 if dates else 0.0
    firsts = [subject(c) for c in commits]
    substantive = 0
    for i, first in enumerate(firsts):
        oldest = i == len(firsts) - 1
        if HOUSEKEEPING.search(first) and not (oldest and len(firsts) == 1):
            continue
        substantive += 1
    return HistoryFacts(
        span_days=span,
        active_days=len({d.astimezone(UTC).date() for d in dates}),
        substantive=substantive,
        vague=sum(1 for s in firsts if len(s) <= 3 or s.lower().rstrip(".!") in VAGUE),
        generator=any(GENERATOR.search(c.message or "") for c in commits),
    )
