"""Bringing a part of the page into view: Streamlit draws a newly opened evaluation below the
table, out of sight, and moves neither the scroll position nor the keyboard focus."""

from __future__ import annotations

import json

import streamlit as st


def anchor_for(candidate_id: int) -> str:
    """The id of a candidate's panel heading in the page."""
    return f"candidate-{candidate_id}"


def bring_into_view(anchor: str) -> None:
    """Scroll the element with this id to the top of the view and give it the keyboard focus
    (the heading is drawn just before this runs, so it is retried for a moment)."""
    target = json.dumps(anchor)  # an id TATS makes, never text from a candidate
    st.html(
        "<script>(function () {"
        "  let tries = 0;"
        "  function go() {"
        f"   const el = window.parent.document.getElementById({target}) ||"
        f"     document.getElementById({target});"
        "    if (!el) { if (++tries < 40) setTimeout(go, 50); return; }"
        "    el.setAttribute('tabindex', '-1');"
        "    el.style.outline = 'none';"
        "    el.scrollIntoView({block: 'start'});"
        "    el.focus({preventScroll: true});"
        "  }"
        "  go();"
        "})();</script>",
        unsafe_allow_javascript=True,
        width=1,
    )
