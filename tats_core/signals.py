"""Signals: facts computed in code from a RepoSnapshot; they are shown to the recruiter and
bound what any analyzer may decide.

(Scaffold: the dataclass is the interface; ``compute_signals`` is being implemented.)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tats_core.snapshot import RepoSnapshot


@dataclass
class Signals:
    empty: bool = False  # no commits at all
    near_empty: bool = False  # too little substance to be judged looks_fine by anyone
    commit_count: int = 0
    commit_span_days: float = 0.0
    active_days: int = 0
    single_dump_commit: bool = False
    file_count: int = 0
    code_file_count: int = 0
    code_bytes: int = 0
    has_tests: bool = False
    test_file_count: int = 0
    has_readme: bool = False
    readme_chars: int = 0
    readme_has_setup: bool = False
    has_ci: bool = False
    languages: dict[str, int] = field(default_factory=dict)
    primary_language: str | None = None
    job_languages: list[str] = field(default_factory=list)
    language_match: bool | None = None
    frameworks: list[str] = field(default_factory=list)
    is_fork: bool = False
    template_only: bool = False
    committed_dependencies: bool = False
    days_since_push: float | None = None
    injection_phrases: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compute_signals(snapshot: RepoSnapshot, job_description: str = "") -> Signals:
    raise NotImplementedError
