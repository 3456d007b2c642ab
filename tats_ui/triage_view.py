"""The triage page's overview and table, drawn from data the page has read: the status chart and
legend with the re-run of failures, the filter bar, the candidates table (selection and order
are ``selection``), its footer, the selection's actions and the downloads. One candidate's
evaluation is ``candidate_panel``; a comparison is ``compare_view``. Nothing here reads or
writes the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from tats_core import statuses
from tats_core.github.quota import requests_needed
from tats_core.statuses import TestStatus
from tats_core.triage.agreement import Agreement, matrix_rows
from tats_core.triage.candidates import Failures
from tats_core.triage.comparison import MAX_COMPARED, MIN_COMPARED
from tats_core.triage.listing import DEFAULT_SORT, CandidateFilter, CandidatePage
from tats_core.triage.reviews import Review
from tats_core.wording import plural
from tats_ui import selection
from tats_ui.escaping import md
from tats_ui.labels import analyzer_label, flag_labels
from tats_ui.notices import Notice, show_notice
from tats_ui.palette import COLORS, LABEL_COLORS, chip
from tats_ui.tests_view import LABELS as TEST_LABELS
from tats_ui.tests_view import tests_cell

# Sized so that every column shows at 1,400 px (a 240 px sidebar): nothing scrolls sideways.
COLUMNS = {
    "Name": st.column_config.TextColumn(width=150, pinned=True),
    "Status": st.column_config.TextColumn(width=100),
    "Score": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%d", width=70),
    "Flags": st.column_config.TextColumn(
        width=95, help="⚠ possible prompt injection · ⧉ shares code with another submission"
    ),
    "Tests": st.column_config.TextColumn(
        width=85,
        help="The submission's own tests run in the sandbox (✓ passed, ✗ failing of run), "
        "then the job's acceptance tests (acc.)",
    ),
    "Summary": st.column_config.TextColumn(width=135),
    "Decided by": st.column_config.TextColumn(
        width=120, help="A recruiter's decision, and what the analyzer had said"
    ),
    "Email": st.column_config.TextColumn(width=130),
    "Updated": st.column_config.DatetimeColumn(format="distance", width=95),
}
SORT_WORDS = {
    ("score", True): "best score first",
    ("score", False): "lowest score first",
    ("name", False): "by name, A–Z",
    ("name", True): "by name, Z–A",
    ("email", False): "by email, A–Z",
    ("email", True): "by email, Z–A",
    ("status", False): "by status, A–Z",
    ("status", True): "by status, Z–A",
    ("updated", True): "most recently updated first",
    ("updated", False): "least recently updated first",
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


def overview(counts: dict[str, int], refresh_note: str) -> None:
    """Progress, the chart and the legend of counts per status."""
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


CONFIRM_FAILED = "confirm_rerun_failed"
INCLUDE_PERMANENT = "rerun_permanent"


def rerun_failed_controls(
    failed: int,
    failures: Callable[[], Failures],
    on_rerun: Callable[[bool], None],
    notice: Notice | None,
) -> None:
    """ "Re-run failed", which asks first: how many, what it costs, and whether to include the
    failures a re-run cannot change (GitHub said the repository is missing or private)."""
    state = st.session_state
    if not state.get(CONFIRM_FAILED) or not failed:
        st.button(
            f"Re-run failed ({failed:,})",
            icon=":material/replay:",
            disabled=not failed,
            on_click=lambda: state.update({CONFIRM_FAILED: True, INCLUDE_PERMANENT: False}),
            help="Start a new attempt for the candidates whose processing failed (asks first).",
        )
        show_notice(notice)  # next to the button that caused it
        return
    found = failures()
    with st.container(border=True):
        include = st.checkbox(
            f"Also the {plural(len(found.permanent), 'candidate')} whose repository GitHub "
            "reported missing, private or blocked (a re-run asks GitHub the same question)",
            key=INCLUDE_PERMANENT,
            disabled=not found.permanent,
        )
        count = len(found.retryable) + (len(found.permanent) if include else 0)
        st.markdown(
            f"Re-run **{plural(count, 'failed candidate')}**? Each starts a new attempt and "
            f"costs about {requests_needed(count):,} GitHub requests."
        )
        yes_col, no_col = st.columns(2)
        yes_col.button(
            f"Re-run {plural(count, 'candidate')}",
            type="primary",
            disabled=not count,
            on_click=on_rerun,
            args=(include,),
            width="stretch",
        )
        no_col.button("Cancel", on_click=lambda: state.pop(CONFIRM_FAILED, None), width="stretch")


def filter_bar(analyzers: list[str]) -> CandidateFilter:
    status_col, score_col, search_col, analyzer_col, tests_col = st.columns([3, 2, 3, 2, 2])
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
        "Analyzer",
        analyzers,
        format_func=analyzer_label,
        placeholder="All analyzers",
        key="filter_analyzer",
    )
    chosen_tests = tests_col.multiselect(
        "Tests",
        list(TestStatus),
        format_func=lambda s: TEST_LABELS[s],
        placeholder="Any tests",
        key="filter_tests",
        help="How the submission's own tests ran in the sandbox",
    )
    return CandidateFilter(
        statuses=chosen_statuses,
        min_score=low,
        max_score=high,
        search=search,
        analyzers=chosen_analyzers,
        tests=[str(s) for s in chosen_tests],
    )


def decided_by(review: Review | None) -> str:
    """The table's "Decided by" cell: who decided, and what the analyzer had said."""
    if review is None:
        return ""
    said = statuses.LABELS.get(review.analyzer_decision or "", "no decision")
    return f"{review.actor} · " + (f"analyzer: {said}" if review.overrides else "kept")


def candidate_table(rows: list[dict[str, Any]], reviews: dict[int, Review]) -> None:
    """One page of candidates: tick rows to select them (several: compare or decide at once);
    a click on a column header orders the whole job by it."""
    selection.show_selection([row["candidate_id"] for row in rows])
    frame = pd.DataFrame(
        {
            "Name": row["name"],
            "Status": statuses.LABELS[row["status"]],
            "Score": row["score"],
            "Flags": flag_labels(row["flags"] or []),
            "Tests": tests_cell(row.get("tests")),
            "Summary": row["summary"] or "",
            "Decided by": decided_by(reviews.get(row["candidate_id"])),
            "Email": row["email"],
            "Updated": row["updated_at"],
        }
        for row in rows
    )
    st.dataframe(
        frame.style.map(
            lambda label: f"color: {LABEL_COLORS.get(label, 'inherit')}; font-weight: 600",
            subset=["Status"],
        ),
        key=selection.TABLE,
        on_select="rerun",
        # Column selection turns a header click from sorting this page into a request to order
        # the whole job (``selection``): a page-only sort misleads on a paged table.
        selection_mode=["multi-row", "single-column"],
        hide_index=True,
        column_config=COLUMNS,
        height=min(38 + 35 * len(frame), 560),
        alt="Candidates of this job",
    )


def table_footer(page: CandidatePage, page_size: int, total: int, pager_key: str) -> None:
    """Which rows are shown, of how many, in which order, and the pager."""
    first = (page.page - 1) * page_size + 1
    sort = selection.current_sort()
    info_col, pages_col = st.columns([3, 2], vertical_alignment="center")
    info_col.caption(
        f"Showing {first:,}–{first + len(page.rows) - 1:,} of {plural(page.total, 'candidate')}"
        + (f" (filtered from {total:,})" if page.total != total else "")
        + f" · {SORT_WORDS[(sort.column, sort.descending)]}"
        + (" (click a column header to sort by it)" if sort == DEFAULT_SORT else "")
        + " · tick rows to open, compare or decide; Shift+Space ticks the focused row"
    )
    if page.pages > 1:
        with pages_col, st.container(horizontal_alignment="right"):
            st.pagination(page.pages, key=pager_key)


OPEN_PICKER = "open_candidate"


def open_picker(rows: list[dict[str, Any]]) -> None:
    """The keyboard's way to a candidate: type a name, Enter opens the evaluation (a table's
    rows take Shift+Space, which nobody guesses)."""
    names = {row["candidate_id"]: row["name"] or row["repo_full_name"] for row in rows}

    def opened() -> None:
        chosen = st.session_state.get(OPEN_PICKER)
        if chosen is not None:
            selection.open_candidate(chosen)
        st.session_state[OPEN_PICKER] = None

    st.selectbox(
        "Open a candidate",
        list(names),
        index=None,
        format_func=names.__getitem__,
        placeholder="Type a name on this page, then Enter",
        key=OPEN_PICKER,
        on_change=opened,
    )


def selection_bar(
    names: dict[int, str],
    on_compare: Callable[[], None],
    bulk_form: Callable[[list[int]], None],
) -> None:
    """What the ticked candidates can do together: compare (two to four), one decision."""
    chosen = [i for i in selection.selected() if i in names]
    if not chosen:
        return
    with st.container(border=True):
        listed = ", ".join(names[i] or f"candidate {i}" for i in chosen[:6])
        more = f" and {len(chosen) - 6:,} more" if len(chosen) > 6 else ""
        st.markdown(f"**{plural(len(chosen), 'candidate')} selected:** {md(listed)}{more}")
        fits = MIN_COMPARED <= len(chosen) <= MAX_COMPARED
        with st.container(horizontal=True):
            st.button(
                f"Compare {plural(len(chosen), 'candidate')}" if fits else "Compare",
                icon=":material/compare_arrows:",
                disabled=not fits,
                on_click=on_compare,
                help=f"Side by side: select {MIN_COMPARED} to {MAX_COMPARED} candidates.",
            )
            st.button(
                "Clear selection", icon=":material/deselect:", on_click=selection.clear_selection
            )
        if len(chosen) > 1:
            bulk_form(chosen)


def csv_downloads(
    all_rows: Callable[[], bytes],
    filtered_rows: Callable[[], bytes],
    stem: str,
    filters: CandidateFilter,
    matching: int,
) -> None:
    """The evaluations CSV, of every candidate and of the filtered ones (built on click); a
    filter that matches nothing offers no file to download."""
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
        disabled=not filters.active or not matching,
        width="stretch",
        help=None if matching else "No candidate matches these filters.",
    )


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
