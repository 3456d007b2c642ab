"""The triage page's URL: which job, which candidate, which comparison, order and filters are
open, so any view can be linked to
(``?job=ID&candidate=CID&compare=1,2,3&sort=-score&status=a,b&score=10-90&q=text&analyzer=x&tests=failed``).

The URL seeds the widgets on a first visit; afterwards the page writes it back. A change of the
URL the page did not make (the browser's Back and Forward) is read as the person's move.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from tats_core import statuses
from tats_core.statuses import TestStatus
from tats_core.triage.comparison import MAX_COMPARED
from tats_core.triage.listing import DEFAULT_SORT, SORT_COLUMNS, CandidateFilter, CandidateSort
from tats_ui import selection

COMPARE = "compare"  # the candidate ids compared, in session state as in the URL
_SEEN = "url_seen"  # the URL's candidate, comparison and order as the page last read or wrote them
FILTER_KEYS = (
    "filter_status",
    "filter_score",
    "filter_search",
    "filter_analyzer",
    "filter_tests",
)


def _list(name: str, allowed: list[str] | None = None) -> list[str]:
    values = [v for v in (st.query_params.get(name) or "").split(",") if v]
    return [v for v in values if allowed is None or v in allowed]


def _ids(name: str) -> list[int]:
    return [int(v) for v in _list(name) if v.isdigit()]


def _score() -> tuple[int, int]:
    low, _, high = (st.query_params.get("score") or "").partition("-")
    if low.isdigit() and high.isdigit() and int(low) <= int(high) <= 100:
        return int(low), int(high)
    return 0, 100


def requested_candidate() -> int | None:
    value = st.query_params.get("candidate")
    return int(value) if value and value.isdigit() else None


def seed_filters(analyzers: list[str]) -> None:
    """Put the URL's filters into the filter widgets, once (the widgets own them afterwards)."""
    state = st.session_state
    seeds: dict[str, Any] = {
        "filter_status": _list("status", list(statuses.ALL)),
        "filter_score": _score(),
        "filter_search": st.query_params.get("q") or "",
        "filter_analyzer": _list("analyzer", analyzers),
        "filter_tests": _list("tests", [str(s) for s in TestStatus]),
    }
    for key, value in seeds.items():
        if key not in state:
            state[key] = value


def clear_filters() -> None:
    """Every filter back to 'all' (a button's callback: the widgets are drawn after it)."""
    state = st.session_state
    state["filter_status"], state["filter_score"] = [], (0, 100)
    state["filter_search"], state["filter_analyzer"], state["filter_tests"] = "", [], []


def write_filters(filters: CandidateFilter) -> None:
    _write(
        {
            "status": ",".join(filters.statuses),
            "score": ""
            if (filters.min_score, filters.max_score) == (0, 100)
            else f"{filters.min_score}-{filters.max_score}",
            "q": filters.search.strip(),
            "analyzer": ",".join(filters.analyzers),
            "tests": ",".join(filters.tests),
        }
    )


def _write(wanted: dict[str, str]) -> None:
    for name, value in wanted.items():
        if value and st.query_params.get(name) != value:
            st.query_params[name] = value
        elif not value and name in st.query_params:
            del st.query_params[name]


def _sort_text(sort: CandidateSort) -> str:
    return "" if sort == DEFAULT_SORT else ("-" if sort.descending else "") + sort.column


def _sort_of(text: str) -> CandidateSort:
    column = text.removeprefix("-")
    return CandidateSort(column, text.startswith("-")) if column in SORT_COLUMNS else DEFAULT_SORT


def _url_view() -> tuple[str, str, str]:
    return (
        st.query_params.get("candidate") or "",
        st.query_params.get(COMPARE) or "",
        st.query_params.get("sort") or "",
    )


def read_view() -> None:
    """The URL's candidate, comparison and order, when they are not what the page last wrote:
    a link followed, or Back and Forward (so one Back closes the candidate it opened)."""
    state = st.session_state
    url = _url_view()
    if url == state.get(_SEEN):
        return
    candidate, compared, sort = url
    previous = state.get(_SEEN) or ("", "", "")
    if candidate != previous[0]:
        wanted, pinned = requested_candidate(), state.get(selection.PINNED)
        if wanted is None and pinned is not None:
            selection.close_candidate(pinned)
        else:
            selection.open_candidate(wanted)
    if compared != previous[1]:
        state[COMPARE] = _ids(COMPARE)[:MAX_COMPARED]
    if sort != previous[2]:
        state[selection.SORT] = _sort_of(sort)
    state[_SEEN] = url


def write_view() -> None:
    """The open candidate, comparison and order into the URL."""
    state = st.session_state
    pinned = state.get(selection.PINNED)
    _write(
        {
            "candidate": "" if pinned is None else str(pinned),
            COMPARE: ",".join(str(i) for i in state.get(COMPARE, [])),
            "sort": _sort_text(selection.current_sort()),
        }
    )
    state[_SEEN] = _url_view()


def open_job(job_id: int) -> None:
    """Another job: its own URL, with no candidate, comparison or filters of the previous one."""
    st.query_params.clear()
    st.query_params["job"] = str(job_id)
    for key in (
        selection.PINNED,
        selection.SELECTED,
        selection.SORT,
        COMPARE,
        _SEEN,
        *FILTER_KEYS,
    ):
        st.session_state.pop(key, None)
