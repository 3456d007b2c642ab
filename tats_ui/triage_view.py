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
from tats_core.judging.signals import describe_stored
from tats_core.store.models import Candidate, Evaluation, StatusEvent
from tats_core.triage.agreement import Agreement, matrix_rows
from tats_core.triage.candidates import CandidateFilter, CandidatePage
from tats_core.triage.evidence import Excerpt
from tats_core.triage.reviews import Review
from tats_core.wording import plural
from tats_ui.escaping import md
from tats_ui.palette import COLORS, LABEL_COLORS, chip
from tats_ui.timezone import local_time, viewer_zone

RerunAction = Callable[[list[int], str, bool], None]
Notice = tuple[str, str]  # (st function name: "success", "warning", ...; message)

TABLE = "candidate_table"
COLUMNS = {
    "Name": st.column_config.TextColumn(width="medium", pinned=True),
    "Status": st.column_config.TextColumn(width=110),
    "Score": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%d", width=90),
    "Decided by": st.column_config.TextColumn(
        width="medium", help="A recruiter's decision, and what the analyzer had said"
    ),
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
            scale=alt.Scale(domain=labels, range=[COLORS[s] for s in statuses.ALL]),
            legend=None,
        ),
        tooltip=["status", "candidates"],
    )
    bars = base.mark_bar(cornerRadiusEnd=3)
    text = base.mark_text(align="left", dx=4, fontWeight="bold").encode(text="candidates:Q")
    return (bars + text).properties(height=250)


def show_notice(notice: Notice | None) -> None:
    if notice:
        getattr(st, notice[0])(notice[1])


def overview(
    counts: dict[str, int],
    refresh_note: str,
    on_rerun_failed: Callable[[], None],
    notice: Notice | None = None,
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
            chips = " ".join(chip(s, f"{statuses.LABELS[s]} · {counts[s]:,}") for s in group)
            st.markdown(f"**{heading}**<br>{chips}", unsafe_allow_html=True)
        failed = sum(counts[s] for s in statuses.FAILURES)
        st.button(
            f"Re-run failed ({failed:,})",
            icon=":material/replay:",
            disabled=not failed,
            on_click=on_rerun_failed,
            help="Start a new attempt for every candidate whose processing failed.",
        )
        show_notice(notice)  # next to the button that caused it


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


def decided_by(review: Review | None) -> str:
    """The table's "Decided by" cell: who decided, and what the analyzer had said."""
    if review is None:
        return ""
    said = statuses.LABELS.get(review.analyzer_decision or "", "no decision")
    return f"{review.actor} · " + (f"analyzer: {said}" if review.overrides else "kept")


def candidate_table(rows: list[dict[str, Any]], reviews: dict[int, Review]) -> None:
    _pin_selection([row["candidate_id"] for row in rows])
    frame = pd.DataFrame(
        {
            "Name": row["name"],
            "Status": statuses.LABELS[row["status"]],
            "Score": row["score"],
            "Decided by": decided_by(reviews.get(row["candidate_id"])),
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


def table_footer(page: CandidatePage, page_size: int, total: int, pager_key: str) -> None:
    """Which rows are shown, of how many, and the pager when there is more than one page."""
    first = (page.page - 1) * page_size + 1
    info_col, pages_col = st.columns([3, 2], vertical_alignment="center")
    info_col.caption(
        f"Showing {first:,}–{first + len(page.rows) - 1:,} of {plural(page.total, 'candidate')}"
        + (f" (filtered from {total:,})" if page.total != total else "")
        + " · best score first · select a row to see its evaluation"
    )
    if page.pages > 1:
        with pages_col, st.container(horizontal_alignment="right"):
            st.pagination(page.pages, key=pager_key)


def csv_downloads(
    all_rows: Callable[[], bytes], filtered_rows: Callable[[], bytes], stem: str, filtered: bool
) -> None:
    """The evaluations CSV, of every candidate and of the filtered ones (built on click)."""
    all_col, filtered_col = st.columns(2)
    all_col.download_button(
        "Download all (CSV)",
        data=all_rows,
        file_name=f"{stem}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        width="stretch",
    )
    filtered_col.download_button(
        "Download filtered (CSV)",
        data=filtered_rows,
        file_name=f"{stem}-filtered.csv",
        mime="text/csv",
        icon=":material/filter_alt:",
        on_click="ignore",
        disabled=not filtered,
        width="stretch",
    )


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {md(item)}" for item in items) or "_None noted._"


def _evaluation(evaluation: Evaluation) -> None:
    st.markdown("#### Summary")
    st.markdown(md(evaluation.summary) or "_No summary._")
    strengths_col, concerns_col = st.columns(2)
    strengths_col.markdown("#### Strengths\n" + _bullets(evaluation.strengths))
    concerns_col.markdown("#### Concerns\n" + _bullets(evaluation.concerns))
    if evaluation.criteria:
        st.markdown("#### Criteria")
        # A static table: long evidence wraps instead of being cut to a column's width.
        st.table(
            pd.DataFrame(
                {  # st.table renders markdown: tests/__init__.py must not turn bold
                    "Criterion": md(c.get("criterion", "")),
                    "Verdict": md(c.get("verdict", "")),
                    "Evidence": md("; ".join(c.get("evidence") or [])),
                }
                for c in evaluation.criteria
            ).set_index("Criterion")
        )


def cited_code(excerpts: list[Excerpt]) -> None:
    """The lines of code the evaluation cites, as they were read when it was judged."""
    if not excerpts:
        return
    st.markdown("#### Cited code")
    for excerpt in excerpts:
        where = f"{excerpt.path}:{excerpt.start}" + (
            f"-{excerpt.end}" if excerpt.end != excerpt.start else ""
        )
        with st.expander(where, expanded=len(excerpts) <= 3):
            st.caption(md(excerpt.cited_by[:300]))
            width = len(str(excerpt.lines[-1][0]))
            st.code(
                "\n".join(
                    f"{'>' if excerpt.start <= n <= excerpt.end else ' '} {n:>{width}}  {text}"
                    for n, text in excerpt.lines
                ),
                language=None,
                wrap_lines=True,
            )


def decision_key(candidate: Candidate) -> str:
    """The decision widget's key: one per candidate and status, so each candidate shows its own
    current decision, and a saved decision shows itself rather than a stale choice."""
    return f"decision_{candidate.id}_{candidate.status}"


def reason_key(candidate: Candidate) -> str:
    return f"reason_{candidate.id}"


def _decision_form(
    candidate: Candidate, on_override: Callable[[int], None], notice: Notice | None
) -> None:
    active = candidate.status in statuses.ACTIVE
    with st.form(f"decision_form_{candidate.id}", border=True):
        decision_col, reason_col = st.columns([1, 2])
        decision_col.selectbox(
            "Your decision",
            list(statuses.DECISIONS),
            format_func=statuses.LABELS.__getitem__,
            index=statuses.DECISIONS.index(candidate.status)
            if candidate.status in statuses.DECISIONS
            else 1,
            key=decision_key(candidate),
            disabled=active,
        )
        reason_col.text_area(
            "Why",
            placeholder="Needed when you change the analyzer's decision; kept with your name",
            key=reason_key(candidate),
            disabled=active,
            height=80,
        )
        st.form_submit_button(
            "Save decision",
            icon=":material/gavel:",
            disabled=active,
            on_click=on_override,
            args=(candidate.id,),
        )
        show_notice(notice)


def _rerun_controls(
    candidate: Candidate, review: Review | None, on_rerun: RerunAction, notice: Notice | None
) -> None:
    active = candidate.status in statuses.ACTIVE
    confirming = st.session_state.get("confirm_rerun") == candidate.id
    if review is None or not confirming:
        st.button(
            "Re-run this candidate",
            icon=":material/replay:",
            disabled=active,
            on_click=on_rerun
            if review is None
            else lambda: st.session_state.update(confirm_rerun=candidate.id),
            args=([candidate.id], "Re-run", False) if review is None else (),
            help="A new attempt: fetch the repository again and judge it again.",
        )
    else:
        st.warning(
            f"**{md(review.actor)} decided {statuses.LABELS[review.decision]}** for this "
            "candidate. A re-run starts a new attempt, and the analyzer's new decision replaces "
            "theirs (it stays in the history).",
            icon=":material/warning:",
        )
        yes_col, no_col = st.columns(2)
        yes_col.button(
            "Re-run and replace",
            type="primary",
            on_click=on_rerun,
            args=([candidate.id], "Re-run", True),
            width="stretch",
        )
        no_col.button(
            "Keep the decision",
            on_click=lambda: st.session_state.pop("confirm_rerun", None),
            width="stretch",
        )
    show_notice(notice)


def _history(events: list[StatusEvent]) -> None:
    _, zone = viewer_zone()
    st.markdown("#### History")
    if not events:
        st.caption("No status changes recorded yet.")
        return
    # A static table, so long reasons wrap; times in the viewer's zone, named in the header.
    st.table(
        pd.DataFrame(
            {
                f"When ({zone})": local_time(event.created_at, "%Y-%m-%d %H:%M:%S").rsplit(" (", 1)[
                    0
                ],
                "Status": statuses.LABELS.get(event.to_status, event.to_status),
                "By": md(event.actor),  # st.table renders markdown
                "Why": md(("Decision: " if event.override else "") + (event.reason or "")),
            }
            for event in reversed(events)
        ).set_index(f"When ({zone})")
    )


def _decision_line(
    candidate: Candidate, evaluation: Evaluation | None, review: Review | None
) -> str:
    """The human decision (who, when, why) beside the analyzer's own."""
    if review is None:
        return ""
    said = (
        chip(review.analyzer_decision)
        if review.analyzer_decision
        else html.escape(statuses.LABELS.get(evaluation.status, "") if evaluation else "none")
    )
    verb = "changed the decision" if review.overrides else "kept the analyzer's decision"
    return (
        f"**{md(review.actor)}** {verb} on {md(local_time(review.at))}: "
        f"{chip(review.decision)} · analyzer said {said}  \n"
        f"_Why:_ {md(review.reason)}"
    )


def shared_code_notice(overlaps: list[Overlap]) -> None:
    """Other submissions of the job holding the same files as this one, with the files."""
    for overlap in overlaps:
        rows = "\n".join(
            f"- {md(mine)}" + ("" if mine == theirs else f" (theirs: {md(theirs)})")
            for mine, theirs in overlap.pairs[:20]
        )
        more = f"\n- … and {len(overlap.pairs) - 20} more" if len(overlap.pairs) > 20 else ""
        st.warning(
            f"**Shares {plural(len(overlap.pairs), 'file')} with candidate {overlap.other}** "
            f"({overlap.shared_bytes:,} bytes of identical code; generator and starter files "
            f"not counted). TATS capped the decision at Needs review; compare them yourself.\n"
            f"{rows}{more}",
            icon=":material/content_copy:",
        )


def candidate_panel(
    candidate: Candidate,
    evaluation: Evaluation | None,
    events: list[StatusEvent],
    review: Review | None,
    *,
    on_override: Callable[[int], None],
    on_rerun: RerunAction,
    notices: dict[str, Notice],
    shared: list[Overlap] | None = None,
    excerpts: list[Excerpt] | None = None,
) -> None:
    """One candidate: status, the human and analyzer decisions, evaluation, signals, warnings,
    actions (with their messages beside them) and history."""
    st.divider()
    _panel_heading(candidate, evaluation, review)
    _warnings(candidate, evaluation, shared or [])
    # Full width, one block under another: the layout holds from 800 px up, nothing is cut off.
    st.markdown("#### Actions")
    _decision_form(candidate, on_override, notices.get("decision"))
    _rerun_controls(candidate, review, on_rerun, notices.get("rerun"))
    if evaluation and evaluation.status in statuses.DECISIONS:
        _evaluation(evaluation)
        cited_code(excerpts or [])
    lines = describe_stored(dict(evaluation.signals) if evaluation else {})
    if lines:
        st.markdown("#### Signals\n" + _bullets(lines))
    _history(events)


def _panel_heading(
    candidate: Candidate, evaluation: Evaluation | None, review: Review | None
) -> None:
    """Name and Close, the facts line (status, who decided, score, attempt, analyzer), the
    repository and the human decision beside the analyzer's."""
    # A horizontal container, not columns: the Close button keeps its width at 800 px.
    with st.container(horizontal=True, vertical_alignment="center"):
        st.subheader(candidate.name or candidate.repo_full_name, width="stretch")
        st.button(
            "Close",
            icon=":material/close:",
            on_click=lambda: st.session_state.update(pinned=None),
            width="content",
        )
    facts = [chip(candidate.status)]
    if review is not None:
        facts.append(f"decided by <b>{html.escape(review.actor)}</b>")
    if evaluation and evaluation.score is not None:
        facts.append(f"score <b>{evaluation.score}</b>")
    facts.append(f"attempt {candidate.attempt}")
    if evaluation and evaluation.analyzer:
        model = f" · {evaluation.model}" if evaluation.model else ""
        facts.append(html.escape(evaluation.analyzer + model))
    st.markdown(" · ".join(facts), unsafe_allow_html=True)
    repo = candidate.repo_full_name
    email = f" · {md(candidate.email)}" if candidate.email else ""
    st.markdown(f"[{md(repo)}](https://github.com/{repo}){email}")
    line = _decision_line(candidate, evaluation, review)
    if line:
        with st.container(border=True):
            st.markdown(line, unsafe_allow_html=True)


def _warnings(candidate: Candidate, evaluation: Evaluation | None, shared: list[Overlap]) -> None:
    """What the recruiter must know before deciding: injection, shared code, failure, progress."""
    if evaluation and INJECTION_FLAG in (evaluation.flags or []):
        st.error(
            "**Possible prompt injection.** This repository contains text addressed to the AI "
            "reviewer (such as 'ignore previous instructions'). TATS treated it as data and "
            "capped the decision at Needs review; read the repository yourself.",
            icon=":material/gpp_maybe:",
        )
    shared_code_notice(shared)
    if candidate.status in statuses.FAILURES:
        reason = (evaluation.error if evaluation else None) or candidate.last_error
        st.warning(
            f"**{statuses.LABELS[candidate.status]}.** {md(reason or 'No reason recorded.')}",
            icon=":material/error:",
        )
    if candidate.status in statuses.ACTIVE:
        st.info("Still being processed; this view updates itself.", icon=":material/hourglass_top:")


def agreement_panel(result: Agreement, labels: Callable[[], bytes], file_name: str) -> None:
    """How often the recruiters who reviewed candidates kept the analyzer's decision."""
    title = f"Agreement with the recruiters ({plural(result.reviewed, 'review')})"
    with st.expander(title, icon=":material/handshake:"):
        if not result.reviewed:
            st.caption(
                "No reviews yet: save a decision on a candidate (keeping the analyzer's counts "
                "too) to see how often people agree with the analyzer."
            )
            return
        kept, changed, share, kappa = st.columns(4)
        kept.metric("Kept", f"{result.kept:,}")
        changed.metric("Changed", f"{result.changed:,}")
        share.metric("Agreement", f"{(result.observed or 0):.0%}")
        kappa.metric(
            "Cohen's kappa",
            "n/a" if result.kappa is None else f"{result.kappa:.2f}",
            help="Agreement beyond chance: 1 is perfect, 0 is what chance gives.",
        )
        st.caption("Analyzer's decision (rows) against the recruiter's (columns):")
        st.table(pd.DataFrame(matrix_rows(result)).set_index("Analyzer said"))
        st.download_button(
            "Download the labels (CSV)",
            data=labels,
            file_name=file_name,
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
        )
