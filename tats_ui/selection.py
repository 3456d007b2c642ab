"""Which candidates the recruiter has picked in the triage table, across pages and refreshes.

The table's own selection holds row positions of the page on screen; this module keeps
candidate ids instead (``SELECTED``, in the order picked), so a selection follows its candidates
while rows move (scores arrive, pages change), and the most recently picked one is the candidate
whose evaluation is open (``PINNED``). A click on a column header asks for that order over the
whole job (``SORT``): the table's column selection is turned into the job's order and cleared.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from tats_core.triage.listing import DEFAULT_SORT, CandidateSort

TABLE = "candidate_table"
PINNED = "pinned"
SELECTED = "selected"
SORT = "sort"
_SHOWN_IDS, _SHOWN_ROWS = "table_ids", "table_rows"
# Table headers the job can be sorted by, and the order a first click gives.
SORTABLE = {
    "Name": CandidateSort("name", descending=False),
    "Status": CandidateSort("status", descending=False),
    "Score": CandidateSort("score", descending=True),
    "Email": CandidateSort("email", descending=False),
    "Updated": CandidateSort("updated", descending=True),
}


def selected() -> list[int]:
    return list(st.session_state.get(SELECTED, []))


def current_sort() -> CandidateSort:
    sort = st.session_state.get(SORT)
    return sort if isinstance(sort, CandidateSort) else DEFAULT_SORT


def open_candidate(candidate_id: int | None) -> None:
    """Open this candidate's evaluation (None: close it); it joins the selection."""
    state = st.session_state
    state[PINNED] = candidate_id
    if candidate_id is not None and candidate_id not in selected():
        state[SELECTED] = [*selected(), candidate_id]


def close_candidate(candidate_id: int) -> None:
    """Close the evaluation and let go of the candidate in the selection."""
    state = st.session_state
    state[SELECTED] = [i for i in selected() if i != candidate_id]
    if state.get(PINNED) == candidate_id:
        state[PINNED] = None


def clear_selection() -> None:
    st.session_state[SELECTED] = []
    st.session_state[PINNED] = None


def read_table() -> None:
    """What the person clicked in the table since the last run (rows ticked or unticked, a
    header): read before the page is listed, so a new order lists it already."""
    state = st.session_state
    widget: dict[str, Any] = state.get(TABLE, {}).get("selection", {})
    clicked = list(widget.get("rows", []))
    if clicked != state.get(_SHOWN_ROWS, []):
        seen = state.get(_SHOWN_IDS, [])
        _take_clicks([seen[i] for i in clicked if i < len(seen)], seen)
        state[_SHOWN_ROWS] = clicked
    for column in widget.get("columns", []):
        _sort_by(column)


def show_selection(ids: list[int]) -> None:
    """The table about to be drawn with these candidate ids, in order: tick the selected ones
    on it (a header click is used up)."""
    state = st.session_state
    widget: dict[str, Any] = state.get(TABLE, {}).get("selection", {})
    rows = [ids.index(i) for i in selected() if i in ids]
    if rows != list(widget.get("rows", [])) or widget.get("columns"):
        state[TABLE] = {"selection": {"rows": rows, "columns": []}}
    state[_SHOWN_IDS], state[_SHOWN_ROWS] = ids, rows


def _take_clicks(now_on_page: list[int], page: list[int]) -> None:
    """The page's rows now ticked replace the page's part of the selection; a newly ticked row
    opens its candidate, and unticking the open one opens the previous pick."""
    before = selected()
    kept = [i for i in before if i not in page or i in now_on_page]
    added = [i for i in now_on_page if i not in before]
    st.session_state[SELECTED] = kept + added
    pinned = st.session_state.get(PINNED)
    if added:
        st.session_state[PINNED] = added[-1]
    elif pinned is not None and pinned not in kept:
        st.session_state[PINNED] = kept[-1] if kept else None


def _sort_by(column: str) -> None:
    """A header click: that column's order over the whole job; again: the other way round."""
    wanted = SORTABLE.get(column)
    if wanted is None:
        return
    now = current_sort()
    if now.column == wanted.column:
        wanted = CandidateSort(now.column, not now.descending)
    st.session_state[SORT] = wanted
