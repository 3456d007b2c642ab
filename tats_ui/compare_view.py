"""Two to four candidates side by side: the decision (a recruiter's beside the analyzer's),
score, summary, each criterion with its evidence, tests, shared code, notes and history, as one
static table (cells wrap, so it reads at 800 px too), with the link that opens the same
comparison. Each candidate's full concerns stay in its panel."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from tats_core import statuses
from tats_core.triage.comparison import Compared, criterion_names
from tats_core.triage.evidence import CodeLinks
from tats_core.wording import plural
from tats_ui.escaping import md
from tats_ui.evidence_view import evidence_cell, linked
from tats_ui.timezone import viewer_zone

HISTORY_SHOWN = 4  # the latest changes per candidate; the panel has them all
COMPARISON_ANCHOR = "comparison"


def comparison(compared: Sequence[Compared], link: str, on_close: Callable[[], None]) -> None:
    st.divider()
    with st.container(horizontal=True, vertical_alignment="center"):
        st.subheader(f"Comparing {plural(len(compared), 'candidate')}", anchor=COMPARISON_ANCHOR)
        st.button(
            "Close the comparison", icon=":material/close:", on_click=on_close, width="content"
        )
    st.caption("Link to this comparison (it opens the same candidates side by side):")
    st.code(link, language=None)
    st.table(comparison_frame(compared))


def comparison_frame(compared: Sequence[Compared]) -> pd.DataFrame:
    """One row per aspect, one column per candidate; every cell is escaped markdown."""
    rows: dict[str, list[str]] = {
        "Decision": [_decision(c) for c in compared],
        "Score": [_score(c) for c in compared],
        "Summary": [_summary(c) for c in compared],
    }
    for name in criterion_names(compared):
        rows[md(name)] = [_criterion(c, name) for c in compared]
    rows["Tests"] = [md(c.tests) for c in compared]
    rows["Shared code"] = [_shared(c) for c in compared]
    rows["Notes"] = [_notes(c) for c in compared]
    rows[f"History ({viewer_zone()[1]}), newest first"] = [_history(c) for c in compared]
    columns = _column_names(compared)
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).rename_axis("")


def _column_names(compared: Sequence[Compared]) -> list[str]:
    names = [md(c.candidate.name or c.candidate.repo_full_name) for c in compared]
    # Two candidates of one name stay two columns.
    return [n if names.count(n) == 1 else f"{n} ({c.candidate.id})" for n, c in
            zip(names, compared, strict=True)]  # fmt: skip


def _links(c: Compared) -> CodeLinks:
    return CodeLinks.of(c.candidate, c.evaluation)


def _decision(c: Compared) -> str:
    label = statuses.LABELS[c.candidate.status]
    if c.review is None:
        return f"**{label}** (analyzer)"
    said = statuses.LABELS.get(c.review.analyzer_decision or "", "no decision")
    return f"**{label}** by {md(c.review.actor)} (analyzer said {said})"


def _score(c: Compared) -> str:
    score = c.evaluation.score if c.evaluation else None
    return "–" if score is None else f"{score} / 100"


def _summary(c: Compared) -> str:
    return linked(c.evaluation.summary, _links(c)) if c.evaluation else "Not judged yet"


def _criterion(c: Compared, name: str) -> str:
    found = c.criteria.get(name)
    if found is None:
        return "–"
    evidence = evidence_cell(found, _links(c))
    return f"**{md(str(found.get('verdict', '')))}**" + (f": {evidence}" if evidence else "")


def _shared(c: Compared) -> str:
    return (
        "; ".join(f"{plural(len(o.pairs), 'file')} with candidate {o.other}" for o in c.shared)
        or "none found"
    )


def _notes(c: Compared) -> str:
    # A table cell holds no line breaks: one note after another, each with its author.
    return " ▪ ".join(f"**{md(n.author)}**: {md(n.body)}" for n in c.notes) or "–"


def _history(c: Compared) -> str:
    zone, _ = viewer_zone()
    latest = list(reversed(c.events))[:HISTORY_SHOWN]
    return " ▪ ".join(
        f"{e.created_at.astimezone(zone):%m-%d %H:%M} "
        f"{statuses.LABELS.get(e.to_status, e.to_status)} ({md(e.actor)})"
        for e in latest
    )
