"""The triage page's URL: which job, which candidate and which filters are open, so any view
can be linked to (``?job=ID&candidate=CID&status=a,b&score=10-90&q=text&analyzer=x``).

The URL seeds the widgets on a first visit; afterwards the widgets write it back.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from tats_core import statuses
from tats_core.triage.candidates import CandidateFilter

PINNED = "pinned"
_SEEN = "url_candidate"  # the last candidate id read from or written to the URL


def _list(name: str, allowed: list[str] | None = None) -> list[str]:
    values = [v for v in (st.query_params.get(name) or "").split(",") if v]
    return [v for v in values if allowed is None or v in allowed]


def _score() -> tuple[int, int]:
    low, _, high = (st.query_params.get("score") or "").partition("-")
    if low.isdigit() and high.isdigit() and int(low) <= int(high) <= 100:
        return int(low), int(high)
    return 0, 100


def seed_filters(analyzers: list[str]) -> None:
    """Put the URL's filters into the filter widgets, once (the widgets own them afterwards)."""
    state = st.session_state
    seeds: dict[str, Any] = {
        "filter_status": _list("status", list(statuses.ALL)),
        "filter_score": _score(),
        "filter_search": st.query_params.get("q") or "",
        "filter_analyzer": _list("analyzer", analyzers),
    }
    for key, value in seeds.items():
        if key not in state:
            state[key] = value


def write_filters(filters: CandidateFilter) -> None:
    wanted = {
        "status": ",".join(filters.statuses),
        "score": ""
        if (filters.min_score, filters.max_score) == (0, 100)
        else f"{filters.min_score}-{filters.max_score}",
        "q": filters.search.strip(),
        "analyzer": ",".join(filters.analyzers),
    }
    for name, value in wanted.items():
        if value and st.query_params.get(name) != value:
            st.query_params[name] = value
        elif not value and name in st.query_params:
            del st.query_params[name]


def read_candidate() -> None:
    """A ``candidate`` in the URL that the page has not seen yet opens that candidate."""
    requested = st.query_params.get("candidate")
    if requested != st.session_state.get(_SEEN):
        st.session_state[_SEEN] = requested
        if requested and requested.isdigit():
            st.session_state[PINNED] = int(requested)


def write_candidate() -> None:
    pinned = st.session_state.get(PINNED)
    wanted = str(pinned) if pinned is not None else None
    if wanted != st.query_params.get("candidate"):
        if wanted is None:
            del st.query_params["candidate"]
        else:
            st.query_params["candidate"] = wanted
    st.session_state[_SEEN] = wanted


def open_job(job_id: int) -> None:
    """Another job: its own URL, with no candidate or filters of the previous one."""
    st.query_params.clear()
    st.query_params["job"] = str(job_id)
    for key in (PINNED, _SEEN, "filter_status", "filter_score", "filter_search", "filter_analyzer"):
        st.session_state.pop(key, None)
