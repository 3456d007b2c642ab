"""The scale of an assignment: how much code of one's own a complete answer usually takes.

Absolute byte thresholds judge the assignment, not the work: 2 KB is a complete answer to "write
a function that converts Roman numerals, with tests" and a sketch of "a full-stack app with a
database and sign-in". The scale comes from what the job asks:

- **the job's acceptance tests**, when it has some: the employer's own definition of done; a
  solution is usually about as long as the tests that check it;
- otherwise **the parts the description asks for** (``PARTS``: a user interface, an API or
  service, a database, authentication, a second service). None of them: a small assignment (a
  function, a program, an exercise); one or two: a medium one; three or more: a large one. A
  job without a description is judged as a medium one.

``Scale.floor`` is the least code that can be judged as an attempt at the assignment at all
(below it a submission is near-empty, whatever its envelope); ``Scale.expected`` is what a
complete solution usually takes. The medium scale keeps the thresholds TATS always used (2.5 KB,
10 KB), so jobs asking for one service are judged as before. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tats_core.repo import files as repo_files
from tats_core.wording import kilobytes

PARTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.I))
    for name, pattern in (
        (
            "a user interface",
            r"\b(ui|user interface|front[- ]?end|full[- ]stack|web ?app|web ?page|page|screen"
            r"|react|vue|angular|next\.?js|templates?)\b",
        ),
        (
            "an API or service",
            r"\b(api|rest|endpoints?|routes?|services?|server|back[- ]?end|full[- ]stack"
            r"|microservices?)\b",
        ),
        (
            "a database",
            r"\b(databases?|db|postgres(ql)?|mysql|sqlite|mongo(db)?|redis|sql|orm)\b",
        ),
        ("authentication", r"\b(auth\w*|log(s|ged)?[- ]?in|sign[- ]?in|bearer|jwt)\b"),
        ("a second service", r"\b(microservices|two (micro)?services|several services)\b"),
    )
)
SMALL_FLOOR, SMALL_EXPECTED = 600, 2_500
FLOOR_PER_PART, FLOOR_MAX = 1_250, 5_000
EXPECTED_PER_PART, EXPECTED_MIN, EXPECTED_MAX = 5_000, 10_000, 20_000
ACCEPTANCE_MIN, ACCEPTANCE_FLOOR_SHARE = 1_000, 0.25


@dataclass(frozen=True)
class Scale:
    size: str  # "small", "medium" or "large"
    floor: int  # bytes of own code below which a submission is near-empty for this job
    expected: int  # bytes of own code a complete solution usually takes
    basis: str  # what set it: "an API or service and a database", "by its acceptance tests..."
    parts: list[str] = field(default_factory=list)  # what the description asks for

    def describe(self) -> str:
        """``a medium assignment (an API or service and a database)``."""
        return f"a {self.size} assignment ({self.basis})"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def from_description(description: str) -> Scale:
    """The scale the job's description implies (see the module docstring)."""
    if not description.strip():  # nothing says: judged as TATS always judged
        basis = "the job has no description; judged as one service"
        return Scale("medium", FLOOR_PER_PART * 2, EXPECTED_MIN, basis)
    parts = [name for name, pattern in PARTS if pattern.search(description)]
    count = len(parts)
    if not count:
        basis = "one program or function: no service, interface or database"
        return Scale("small", SMALL_FLOOR, SMALL_EXPECTED, basis)
    size = "medium" if count <= 2 else "large"
    floor = min(FLOOR_MAX, FLOOR_PER_PART * (count + 1))
    expected = min(EXPECTED_MAX, max(EXPECTED_MIN, EXPECTED_PER_PART * count))
    return Scale(size, floor, expected, _join(parts), parts)


def from_acceptance(files: dict[str, int]) -> Scale | None:
    """The scale the job's acceptance tests imply (path -> size); None without any code."""
    code = sum(
        repo_files.counted_bytes(path, size)
        for path, size in files.items()
        if repo_files.code_language(path)
    )
    if not code:
        return None
    expected = min(EXPECTED_MAX, max(ACCEPTANCE_MIN, code))
    floor = int(expected * ACCEPTANCE_FLOOR_SHARE)
    size = (
        "small" if expected <= SMALL_EXPECTED else "medium" if expected <= EXPECTED_MIN else "large"
    )
    return Scale(size, floor, expected, f"by its acceptance tests: {kilobytes(code)} of code")


def scale_of(description: str, acceptance_files: dict[str, int] | None = None) -> Scale:
    """The acceptance tests' scale when the job has some, else the description's."""
    return (acceptance_files and from_acceptance(acceptance_files)) or from_description(description)
