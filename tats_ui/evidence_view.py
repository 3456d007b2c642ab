"""An evaluation's words as the recruiter reads them: each ``path:line`` it cites linked to the
file on GitHub at the judged commit, a concern said twice shown once, and the cited lines of
code as they were read."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pandas as pd
import streamlit as st

from tats_core.store.models import Evaluation
from tats_core.triage.evidence import CodeLinks, Excerpt
from tats_ui.escaping import md


def linked(text: str, links: CodeLinks) -> str:
    """Untrusted text as markdown, its cited places as links (the URLs are TATS's own)."""
    return "".join(md(piece) if url is None else f"[{md(piece)}]({url})" for piece, url in
                   links.segments(text))  # fmt: skip


def unique(items: Iterable[str]) -> list[str]:
    """Each item once: the same words repeated (case and spacing aside) are one concern."""
    seen: set[str] = set()
    kept = []
    for item in items:
        key = re.sub(r"\s+", " ", str(item)).strip().casefold()
        if key and key not in seen:
            seen.add(key)
            kept.append(str(item))
    return kept


def bullets(items: Iterable[str], links: CodeLinks) -> str:
    return "\n".join(f"- {linked(item, links)}" for item in unique(items)) or "_None noted._"


def evidence_cell(criterion: dict[str, Any], links: CodeLinks) -> str:
    return "; ".join(linked(str(e), links) for e in unique(criterion.get("evidence") or []))


def evaluation_sections(
    evaluation: Evaluation, links: CodeLinks, weights: dict[str, int] | None = None
) -> None:
    """Summary, strengths and concerns, and each criterion with its weight (the job's
    criteria), verdict and evidence."""
    st.markdown("#### Summary")
    st.markdown(linked(evaluation.summary or "", links) or "_No summary._")
    strengths_col, concerns_col = st.columns(2)
    strengths_col.markdown("#### Strengths\n" + bullets(evaluation.strengths or [], links))
    concerns_col.markdown("#### Concerns\n" + bullets(evaluation.concerns or [], links))
    if evaluation.criteria:
        st.markdown("#### Criteria")
        # A static table: long evidence wraps instead of being cut to a column's width.
        st.table(
            pd.DataFrame(
                {  # st.table renders markdown: every cell is escaped
                    "Criterion": md(c.get("criterion", "")),
                    "Weight": (weights or {}).get(str(c.get("criterion")), ""),
                    "Verdict": md(c.get("verdict", "")),
                    "Evidence": evidence_cell(c, links),
                }
                for c in evaluation.criteria
            ).set_index("Criterion")
        )


def cited_code(excerpts: list[Excerpt], links: CodeLinks | None = None) -> None:
    """The lines of code the evaluation cites, as they were read when it was judged, each with
    the line (or concern) that cites it and its link on GitHub at the judged commit."""
    if not excerpts:
        return
    st.markdown("#### Cited code")
    for excerpt in excerpts:
        where = f"{excerpt.path}:{excerpt.start}" + (
            f"-{excerpt.end}" if excerpt.end != excerpt.start else ""
        )
        with st.expander(where, expanded=len(excerpts) <= 3):
            url = links.url(excerpt.path, excerpt.start, excerpt.end) if links else None
            opened = f" · [open on GitHub at the judged commit]({url})" if url else ""
            st.caption(f"Cited by: {md(excerpt.cited_by[:300])}{opened}")
            width = len(str(excerpt.lines[-1][0]))
            st.code(
                "\n".join(
                    f"{'>' if excerpt.start <= n <= excerpt.end else ' '} {n:>{width}}  {text}"
                    for n, text in excerpt.lines
                ),
                language=None,
                wrap_lines=True,
            )
