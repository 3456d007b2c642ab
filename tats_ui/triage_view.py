"""The triage page's pieces, drawn from data the page has read: the status chart and legend,
the filter bar, the candidates table (whose selection follows a candidate), and one candidate's
evaluation with the recruiter's actions. Nothing here reads or writes the database."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from tats_core import statuses
from tats_core.judging.analysis import INJECTION_FLAG
from tats_core.judging.overlap import SHARED_CODE_FLAG, Overlap
from tats_core.store.models import Candidate, Evaluation, StatusEvent
from tats_core.triage.candidates import CandidateFilter
from tats_ui import shell as ui

TABLE = "candidate_table"
LABEL_COLORS = {statuses.LABELS[s]: statuses.COLORS[s] for s in statuses.ALL}
COLUMNS = {
    "Name": st.column_config.TextColumn(width="medium"),
    "Status": st.column_config.TextColumn(width=110),
    "Score": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%d", width=110),
    "Repository": st.column_config.LinkColumn(
        width="medium", display_text=r"https://github\.com/(.*)"
    ),
    "Summary": st.column_config.TextColumn(width="large"),
    "Flags": st.column_config.TextColumn(width="small"),
    "Updated": st.column_config.DatetimeColumn(format="distance"),
    "ID": st.column_config.NumberColumn(width="small", format="%d"),
}


def status_chart(counts: dict[str, int]) -> alt.LayerChart:
    labels = [statuses.LABELS[s] for s in statuses.ALL]
    frame = pd.DataFrame(
        {"status": statuses.LABELS[s], "candidates": counts[s]} for s in statuses.ALL
    )
    base = alt.Chart(frame).encode(
        y=alt.Y("status:N", sort=labels, title=None),
        x=alt.X("candidates:Q", title="Candidates", axis=alt.Axis(tickMinStep=1)),
        color=alt.Color(
            "status:N",
            scale=alt.Scale(domain=labels, range=[statuses.COLORS[s] for s in statuses.ALL]),
            legend=None,
        ),
        tooltip=["status", "candidates"],
    )
    bars = base.mark_bar(cornerRadiusEnd=3)
    text = base.mark_text(align="left", dx=4, fontWeight="bold").encode(text="candidates:Q")
    return (bars + text).properties(height=250)


def overview(
    counts: dict[str, int], refresh_note: str, on_rerun_failed: Callable[[], None]
) -> None:
    total = sum(counts.values())
    done = total - sum(counts[s] for s in statuses.ACTIVE)
    st.progress(
        done / total if total else 0.0,
        text=f"{done:,} of {total:,} candidates processed{refresh_note}",
    )
    chart_col, legend_col = st.columns([3, 2], gap="large")
    chart_col.altair_chart(status_chart(counts), width="stretch")
    with legend_col:
        for heading, group in (
            ("In progress", statuses.ACTIVE),
            ("Decisions", statuses.DECISIONS),
            ("Failures", statuses.FAILURES),
        ):
            chips = " ".join(ui.chip(s, f"{statuses.LABELS[s]} · {counts[s]:,}") for s in group)
            st.markdown(f"**{heading}**<br>{chips}", unsafe_allow_html=True)
        failed = sum(counts[s] for s in statuses.FAILURES)
        st.button(
            f"Re-run failed ({failed:,})",
            icon=":material/replay:",
            disabled=not failed,
            on_click=on_rerun_failed,
            help="Start a new attempt for every candidate whose processing failed.",
        )


def filter_bar(analyzers: list[str]) -> CandidateFilter:
    status_col, score_col, search_col, analyzer_col = st.columns([3, 2, 3, 2])
    chosen_statuses = status_col.multiselect(
        "Status",
        statuses.ALL,
        format_func=statuses.LABELS.__getitem__,
        placeholder="All statuses",
        key="filter_status",
    )
    low, high = score_col.slider("Score", 0, 100, (0, 100), key="filter_score")
    search = search_col.text_input(
        "Search", placeholder="Name, email, repository or summary", key="filter_search"
    )
    chosen_analyzers = analyzer_col.multiselect(
        "Analyzer", analyzers, placeholder="All analyzers", key="filter_analyzer"
    )
    return CandidateFilter(
        statuses=chosen_statuses,
        min_score=low,
        max_score=high,
        search=search,
        analyzers=chosen_analyzers,
    )


def _pin_selection(ids: list[int]) -> None:
    """Keep the selected candidate selected while rows move (scores arrive, pages change).

    A click selects a row index of the rows the person saw; the candidate behind it is pinned,
    and the table's selection follows that candidate on every later run.
    """
    state = st.session_state
    clicked = list(state.get(TABLE, {}).get("selection", {}).get("rows", []))
    if clicked != state.get("table_rows", []):
        seen = state.get("table_ids", [])
        state["pinned"] = seen[clicked[0]] if clicked and clicked[0] < len(seen) else None
    pinned = state.get("pinned")
    rows = [ids.index(pinned)] if pinned in ids else []
    if rows != clicked:
        state[TABLE] = {"selection": {"rows": rows, "columns": []}}
    state["table_ids"], state["table_rows"] = ids, rows


def _flag_labels(flags: list[str]) -> str:
    labels = {INJECTION_FLAG: "⚠ injection", SHARED_CODE_FLAG: "⧉ shared code"}
    return " · ".join(label for flag, label in labels.items() if flag in flags)


def candidate_table(rows: list[dict[str, Any]]) -> None:
    _pin_selection([row["candidate_id"] for row in rows])
    frame = pd.DataFrame(
        {
            "Name": row["name"],
            "Status": statuses.LABELS[row["status"]],
            "Score": row["score"],
            "Repository": f"https://github.com/{row['repo_full_name']}",
            "Summary": row["summary"] or "",
            "Flags": _flag_labels(row["flags"] or []),
            "Email": row["email"],
            "Analyzer": row["analyzer"] or "",
            "Updated": row["updated_at"],
            "ID": row["candidate_id"],
        }
        for row in rows
    )
    st.dataframe(
        frame.style.map(
            lambda label: f"color: {LABEL_COLORS.get(label, 'inherit')}; font-weight: 600",
            subset=["Status"],
        ),
        key=TABLE,
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        column_config=COLUMNS,
        height=min(38 + 35 * len(frame), 560),
    )


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {ui.md(item)}" for item in items) or "_None noted._"


def _evaluation(evaluation: Evaluation) -> None:
    st.markdown("#### Summary")
    st.markdown(ui.md(evaluation.summary) or "_No summary._")
    strengths_col, concerns_col = st.columns(2)
    strengths_col.markdown("#### Strengths\n" + _bullets(evaluation.strengths))
    concerns_col.markdown("#### Concerns\n" + _bullets(evaluation.concerns))
    if evaluation.criteria:
        st.markdown("#### Criteria")
        st.dataframe(
            pd.DataFrame(
                {
                    "Criterion": c.get("criterion", ""),
                    "Verdict": c.get("verdict", ""),
                    "Evidence": "; ".join(c.get("evidence") or []),
                }
                for c in evaluation.criteria
            ),
            hide_index=True,
            column_config={"Evidence": st.column_config.TextColumn(width="large")},
        )


def _actions(
    candidate: Candidate,
    on_override: Callable[[int], None],
    on_rerun: Callable[[list[int], str], None],
) -> None:
    st.markdown("#### Actions")
    active = candidate.status in statuses.ACTIVE
    with st.form("override", clear_on_submit=True):
        st.selectbox(
            "Override the decision",
            list(statuses.DECISIONS),
            format_func=statuses.LABELS.__getitem__,
            index=statuses.DECISIONS.index(candidate.status)
            if candidate.status in statuses.DECISIONS
            else 1,
            key="override_decision",
            disabled=active,
        )
        st.text_input(
            "Why",
            placeholder="Kept in the history with your name",
            key="override_reason",
            disabled=active,
        )
        st.form_submit_button(
            "Save override",
            icon=":material/gavel:",
            disabled=active,
            on_click=on_override,
            args=(candidate.id,),
        )
    st.button(
        "Re-run this candidate",
        icon=":material/replay:",
        disabled=active,
        on_click=on_rerun,
        args=([candidate.id], "Re-run"),
        help="A new attempt: fetch the repository again and judge it again.",
    )


def _history(events: list[StatusEvent]) -> None:
    st.markdown("#### History")
    st.dataframe(
        pd.DataFrame(
            {
                "When": event.created_at,
                "Status": statuses.LABELS.get(event.to_status, event.to_status),
                "By": event.actor,
                "Why": ("Override: " if event.override else "") + (event.reason or ""),
            }
            for event in reversed(events)
        ),
        hide_index=True,
        column_config={
            "When": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
            "Why": st.column_config.TextColumn(width="large"),
        },
    )


def shared_code_notice(overlaps: list[Overlap]) -> None:
    """Other submissions of the job holding the same files as this one, with the files."""
    for overlap in overlaps:
        rows = "\n".join(
            f"- {ui.md(mine)}" + ("" if mine == theirs else f" (theirs: {ui.md(theirs)})")
            for mine, theirs in overlap.pairs[:20]
        )
        more = f"\n- … and {len(overlap.pairs) - 20} more" if len(overlap.pairs) > 20 else ""
        noun = "file" if len(overlap.pairs) == 1 else "files"
        st.warning(
            f"**Shares {len(overlap.pairs)} {noun} with candidate {overlap.other}** "
            f"({overlap.shared_bytes:,} bytes of identical code; generator and starter files "
            f"not counted). TATS capped the decision at Needs review; compare them yourself.\n"
            f"{rows}{more}",
            icon=":material/content_copy:",
        )


def candidate_panel(
    candidate: Candidate,
    evaluation: Evaluation | None,
    events: list[StatusEvent],
    *,
    on_override: Callable[[int], None],
    on_rerun: Callable[[list[int], str], None],
    shared: list[Overlap] | None = None,
) -> None:
    """One candidate: status, evaluation, signals, warnings, actions and history."""
    st.divider()
    head_col, close_col = st.columns([5, 1], vertical_alignment="center")
    head_col.subheader(candidate.name or candidate.repo_full_name)
    close_col.button(
        "Close", icon=":material/close:", on_click=lambda: st.session_state.update(pinned=None)
    )
    facts = [ui.chip(candidate.status)]
    if evaluation and evaluation.score is not None:
        facts.append(f"score <b>{evaluation.score}</b>")
    facts.append(f"attempt {candidate.attempt}")
    if evaluation and evaluation.analyzer:
        model = f" · {evaluation.model}" if evaluation.model else ""
        facts.append(html.escape(evaluation.analyzer + model))
    st.markdown(" · ".join(facts), unsafe_allow_html=True)
    repo = candidate.repo_full_name
    email = f" · {ui.md(candidate.email)}" if candidate.email else ""
    st.markdown(f"[{ui.md(repo)}](https://github.com/{repo}){email}")

    if evaluation and INJECTION_FLAG in (evaluation.flags or []):
        st.error(
            "**Possible prompt injection.** This repository contains text addressed to the AI "
            "reviewer (such as 'ignore previous instructions'). TATS treated it as data and "
            "capped the decision at Needs review; read the repository yourself.",
            icon=":material/gpp_maybe:",
        )
    shared_code_notice(shared or [])
    if candidate.status in statuses.FAILURES:
        reason = (evaluation.error if evaluation else None) or candidate.last_error
        st.warning(
            f"**{statuses.LABELS[candidate.status]}.** {ui.md(reason or 'No reason recorded.')}",
            icon=":material/error:",
        )
    if candidate.status in statuses.ACTIVE:
        st.info("Still being processed; this view updates itself.", icon=":material/hourglass_top:")

    left, right = st.columns([3, 2], gap="large")
    with left:
        if evaluation and evaluation.status in statuses.DECISIONS:
            _evaluation(evaluation)
        lines = ui.signal_lines(evaluation.signals if evaluation else {})
        if lines:
            st.markdown("#### Signals\n" + _bullets(lines))
    with right:
        _actions(candidate, on_override, on_rerun)
        _history(events)
