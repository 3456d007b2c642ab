"""A job's criteria: what each evaluation scores, with weights, and the rubric's hash.

Each criterion names what it measures (``Measure``): one of the facts the heuristic scores from
the signals (substance, tests, README, history, hygiene, stack, automation, acceptance tests),
or ``judgement``, a criterion in the recruiter's words that only a model can assess. A job
without criteria of its own gets ``DEFAULT_CRITERIA``, whose weights are the heuristic's points
(they add up to 100, the acceptance tests being a bonus), so a default job scores as TATS always
scored.

The **rubric** is the job's description, its free-text rubric and its criteria: what an
evaluation is judged against. ``rubric_hash`` identifies it, so that the same commit under the
same rubric and analyzer gets the same verdict (``processing.reuse``); the job's title is not
part of it (two jobs with one description are one rubric). Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tats_core.errors import InputError

MAX_CRITERIA = 12
MAX_WEIGHT = 100
MAX_TEXT = 500


class Measure(StrEnum):
    """What a criterion measures."""

    SUBSTANCE = "substance"
    TESTS = "tests"
    README = "readme"
    HISTORY = "history"
    HYGIENE = "hygiene"
    STACK = "stack"
    AUTOMATION = "automation"
    ACCEPTANCE = "acceptance"  # a bonus: counted only when the job's acceptance tests ran
    JUDGEMENT = "judgement"  # the recruiter's words, for a model; the heuristic cannot score it


# What each measure is, for the Jobs page and the model's prompt.
MEASURE_MEANINGS: dict[Measure, str] = {
    Measure.SUBSTANCE: "the candidate's own code against what the assignment takes",
    Measure.TESTS: "tests of the candidate's own that check real behaviour and pass",
    Measure.README: "a README that says what the project is and how to set it up and run it",
    Measure.HISTORY: "a history of commits over time rather than one upload",
    Measure.HYGIENE: "no committed dependencies, build output, secrets or editor files",
    Measure.STACK: "the languages and frameworks the job asks for",
    Measure.AUTOMATION: "CI or a reproducible run (Docker)",
    Measure.ACCEPTANCE: "the job's acceptance tests pass (a bonus when the job has some)",
    Measure.JUDGEMENT: "judged by a model from the description below",
}


@dataclass(frozen=True)
class CriterionSpec:
    name: str
    weight: int
    measure: Measure
    description: str = ""


DEFAULT_CRITERIA: tuple[CriterionSpec, ...] = (
    CriterionSpec("Substance of the solution", 25, Measure.SUBSTANCE),
    CriterionSpec("Automated tests", 20, Measure.TESTS),
    CriterionSpec("README with setup and run steps", 15, Measure.README),
    CriterionSpec("Commit history over time", 20, Measure.HISTORY),
    CriterionSpec("No committed dependencies or build output", 10, Measure.HYGIENE),
    CriterionSpec("Fits the job's stack", 5, Measure.STACK),
    CriterionSpec("CI or a reproducible run (Docker)", 5, Measure.AUTOMATION),
    CriterionSpec("Passes the job's acceptance tests", 15, Measure.ACCEPTANCE),
)


def parse_criteria(raw: Iterable[dict[str, Any]] | None) -> tuple[CriterionSpec, ...]:
    """Criteria from a job's stored JSON (or a form): checked, or ``InputError`` saying why.
    None or nothing: the default set."""
    items = list(raw or [])
    if not items:
        return DEFAULT_CRITERIA
    if len(items) > MAX_CRITERIA:
        raise InputError(f"a job may have at most {MAX_CRITERIA} criteria")
    specs = [_one(i, item) for i, item in enumerate(items, start=1)]
    names = [s.name.lower() for s in specs]
    if len(set(names)) != len(names):
        raise InputError("two criteria have the same name")
    if not any(s.weight for s in specs if s.measure != Measure.ACCEPTANCE):
        raise InputError("at least one criterion needs a weight above 0")
    return tuple(specs)


def _one(number: int, item: dict[str, Any]) -> CriterionSpec:
    name = str(item.get("name") or "").strip()
    if not name:
        raise InputError(f"criterion {number} needs a name")
    try:
        weight = int(item.get("weight", 0))
        measure = Measure(str(item.get("measure") or Measure.JUDGEMENT))
    except ValueError as exc:
        raise InputError(f"criterion '{name}': {exc}") from exc
    if not 0 <= weight <= MAX_WEIGHT:
        raise InputError(f"criterion '{name}': the weight must be from 0 to {MAX_WEIGHT}")
    description = str(item.get("description") or "").strip()[:MAX_TEXT]
    if measure == Measure.JUDGEMENT and not description:
        raise InputError(f"criterion '{name}': say what a model should look for")
    return CriterionSpec(name[:200], weight, measure, description)


def criteria_json(criteria: Sequence[CriterionSpec]) -> list[dict[str, Any]]:
    # Spelled out rather than ``asdict``, whose deep copies were most of a rubric hash's time.
    return [
        {
            "name": c.name,
            "weight": c.weight,
            "measure": str(c.measure),
            "description": c.description,
        }
        for c in criteria
    ]


def rubric_hash(description: str, rubric: str, criteria: Sequence[CriterionSpec]) -> str:
    """The identity of what a job judges against (its title left out)."""
    body = json.dumps(
        {
            "description": description.strip(),
            "rubric": rubric.strip(),
            "criteria": criteria_json(criteria),
        },
        sort_keys=True,
    )
    return hashlib.sha256(body.encode()).hexdigest()
