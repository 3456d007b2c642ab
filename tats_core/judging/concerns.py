"""Every sentence TATS writes about a submission's shortcomings: one template per finding.

A recruiter reads these lines instead of opening the repository, in the panel, the summary and
the CSV. The rules every template keeps (``tests/test_concerns.py`` renders each with sample data
and checks them):

- a sentence a reviewer would write: a capital first, a full stop last, no internal names
  (``looks_fine``), no doubled words, plurals that agree (``plural``);
- a finding in the code names its places: ``path:line``, the first few and how many more
  (``places``), or the files for a finding about files;
- a number comes with what makes it matter (the threshold it misses, or what it is out of);
- one finding, one line: the bounds, the heuristic and the shared-code check never write the
  same fact twice, and no line contradicts another (one commit is "one commit", three within
  an hour are "3 commits within an hour").

Templates are ``str.format`` strings; ``Template.render`` fills them and checks that every field
was given.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass

SHOWN_PLACES = 3
SHOWN_FILES = 5  # files shared with another submission: their names say more than lines


@dataclass(frozen=True)
class Template:
    key: str
    text: str
    cites: bool = False  # the line must name places (``path:line`` or paths)

    @property
    def fields(self) -> list[str]:
        return [f for _, f, _, _ in string.Formatter().parse(self.text) if f]

    def render(self, **values: object) -> str:
        missing = set(self.fields) - set(values)
        if missing:
            raise KeyError(f"{self.key}: missing {sorted(missing)}")
        return self.text.format(**values)


def places(
    shown: Sequence[str], total: int | None = None, *, noun: str = "more", limit: int = SHOWN_PLACES
) -> str:
    """``a.py:3, b.py:9, c.py:1 and 4 more``: the first ``limit`` and a count of the rest
    (``total`` counts every place, shown or not)."""
    unique = list(dict.fromkeys(shown))
    first = unique[:limit]
    rest = max(0, (total if total is not None else len(unique)) - len(first))
    text = ", ".join(first)
    if rest:
        text += f" and {rest:,} {noun}" if first else f"{rest:,} {noun}"
    return text


def listing(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(dict.fromkeys(items))
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# -- the code ------------------------------------------------------------------------------
STUBS = Template(
    "stubs",
    "Half or more of the functions read are placeholders (TODO, pass, not implemented), "
    "{stubs} of {functions}: {places}.",
    cites=True,
)
HOLLOW_TESTS = Template(
    "hollow_tests",
    "Four in five or more of the test cases assert nothing real (only literals or empty "
    "bodies), {hollow} of {cases}: {places}.",
    cites=True,
)
SECRET = Template("secret", "A secret is committed in the code: {places}.", cites=True)
# -- substance -----------------------------------------------------------------------------
THIN = Template(
    "thin",
    "The candidate's own code is {own}, under the {expected} a complete solution to "
    "{assignment} usually takes{given}.",
)
NEAR_EMPTY = Template("near_empty", "Near-empty: {reason}.")
# -- tests ---------------------------------------------------------------------------------
NO_TESTS = Template("no_tests", "No tests of the candidate's own{not_counted}.")
FEW_TESTS = Template(
    "few_tests",
    "Few tests: one test file of the candidate's own ({paths}), where two or more show the "
    "behaviour is checked.",
    cites=True,
)
STARTER_TESTS_ONLY = Template(
    "starter_tests_only",
    "The {tests} that pass came with the starter ({paths}); none are the candidate's own.",
    cites=True,
)
# -- README --------------------------------------------------------------------------------
NO_README = Template("no_readme", "No README: nothing says how to set up or run the project.")
README_GENERATED = Template(
    "readme_generated",
    "The README ({path}) is the project generator's default: nothing says how to run this project.",
    cites=True,
)
README_GIVEN = Template(
    "readme_given",
    "The README ({path}) came with the starter, unchanged: nothing says what the candidate "
    "built or how to run it.",
    cites=True,
)
README_BRIEF = Template(
    "readme_brief",
    "The README ({path}) mostly restates the assignment, addressed to the candidate.",
    cites=True,
)
README_SHORT = Template(
    "readme_short",
    "The README ({path}) gives setup steps in {chars}, under the {minimum} a reader needs.",
    cites=True,
)
README_NO_SETUP = Template(
    "readme_no_setup", "The README ({path}) has no setup or run steps.", cites=True
)
# -- history -------------------------------------------------------------------------------
ONE_COMMIT = Template(
    "one_commit",
    "The work arrived in one commit{starter}: there is no development history to judge.",
)
QUICK_COMMITS = Template(
    "quick_commits",
    "The work arrived in {commits} within an hour{starter}: there is no development history "
    "to judge.",
)
ONE_WORKING_COMMIT = Template(
    "one_working_commit",
    "Only one of the {commits} carries work, the others being README edits or merges"
    "{starter}: there is no development history to judge.",
)
SHORT_HISTORY = Template(
    "short_history",
    "A short history: {clear} of the candidate's {commits} carry work with a clear message, "
    "over {span}, where {minimum} such commits over {hours} hours or more show work over "
    "time{vague}{starter}.",
)
# -- hygiene, stack, automation -----------------------------------------------------------
COMMITTED = Template(
    "committed", "Dependencies or build output are committed: {areas}.", cites=True
)
COPIED_IN = Template(
    "copied_in", "Third-party code or editor files are committed: {items}.", cites=True
)
WRONG_LANGUAGE = Template(
    "wrong_language", "The job asks for {wanted}; the repository is written in {have}."
)
MISSING_FRAMEWORKS = Template(
    "missing_frameworks",
    "Not seen in the manifests or file names, though the job mentions them: {frameworks}.",
)
NO_AUTOMATION = Template(
    "no_automation", "No CI configuration or Docker setup shows how the project is built and run."
)
# -- the bounds every analyzer's answer passes through (``analysis.bound_by_signals``) --------
EMPTY = Template("empty", "The repository has no commits.")
LOWERED = 'the automated verdict was lowered to "Needs review" for a person to check.'
NEAR_EMPTY_BOUND = Template(
    "near_empty_bound",
    'The repository is nearly empty, so it cannot be marked "Looks fine": ' + LOWERED,
)
HOLLOW_BOUND = Template(
    "hollow_bound", '{what} The code read does not back "Looks fine": ' + LOWERED, cites=True
)
FAILING_TESTS = Template(
    "failing_tests",
    "{whose} fail when run: {failed} of {ran} ({cited}), where a working submission passes "
    "them all: " + LOWERED,
    cites=True,
)
BROKEN_TESTS = Template("broken_tests", "{whose} fail before any test runs ({note}): " + LOWERED)
TIMED_OUT = Template("timed_out", "{whose} did not finish in time ({note}): " + LOWERED)
INJECTION = Template(
    "injection",
    "The repository contains text aimed at an automated reviewer ({phrases}{where}); a person "
    "should read it before deciding.",
)
UNVERIFIED_EVIDENCE = Template(
    "unverified_evidence",
    "Evidence citing files or lines that are not in the repository was removed: {cited}.",
    cites=True,
)
# -- shared code (``overlap``, ``triage.shared_code``) ---------------------------------------
SHARED_CODE = Template(
    "shared_code",
    "Shares {files} with {other}: {paths}. Identical files of their own in two submissions of "
    "one job; a person should compare them before deciding (the decision was capped at "
    '"Needs review").',
    cites=True,
)
SHARED_CODE_LATER = Template(
    "shared_code_later",
    "Shares {files} with candidate {candidate}, judged later: {paths}.",
    cites=True,
)
# -- the decision --------------------------------------------------------------------------
OTHER_BRANCHES = Template(
    "other_branches",
    "Other branches were not analysed ({branches}); the work may be there, so check before "
    "deciding.",
)

TEMPLATES: tuple[Template, ...] = tuple(
    v for v in dict(globals()).values() if isinstance(v, Template)
)
