"""Words the triage page shows for TATS's own names: analyzers, table flags."""

from __future__ import annotations

from tats_core.judging.analysis import INJECTION_FLAG
from tats_core.judging.overlap import SHARED_CODE_FLAG

# What judged a candidate, as a recruiter would say it (the stored names are the analyzers').
ANALYZERS = {
    "heuristic": "Built-in rubric (offline)",
    "cohere": "Cohere (AI model)",
    "rules": "Empty repository (no analysis needed)",
}
FLAGS = {INJECTION_FLAG: "⚠ injection", SHARED_CODE_FLAG: "⧉ shared code"}


def analyzer_label(name: str) -> str:
    return ANALYZERS.get(name, name)


def flag_labels(flags: list[str]) -> str:
    return " · ".join(label for flag, label in FLAGS.items() if flag in flags)
