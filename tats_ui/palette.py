"""How a status looks: one colour per status, used by the chart, the chips and the table alike
(the theme in ``.streamlit/config.toml`` stays neutral so they stand out)."""

from __future__ import annotations

import html

from tats_core import statuses
from tats_core.statuses import Status

COLORS: dict[str, str] = {
    Status.PENDING: "#9AA5B1",
    Status.PROCESSING: "#3B82F6",
    Status.LOOKS_FINE: "#16A34A",
    Status.NEEDS_REVIEW: "#F59E0B",
    Status.LOW_EFFORT: "#DC2626",
    Status.GITHUB_FAILED: "#7C3AED",
    Status.AI_FAILED: "#DB2777",
    Status.UNKNOWN_FAILED: "#475569",
}
# The table shows labels, so its cells are coloured by label.
LABEL_COLORS = {statuses.LABELS[status]: color for status, color in COLORS.items()}


def chip(status: str, text: str | None = None) -> str:
    """A status label in its colour, as HTML for ``st.markdown(..., unsafe_allow_html=True)``."""
    label = html.escape(text if text is not None else statuses.LABELS[status])
    color = COLORS[status]
    return (
        f'<span style="background:{color}1f;color:{color};border:1px solid {color}66;'
        f"border-radius:999px;padding:0.1rem 0.55rem;font-weight:600;font-size:0.85rem;"
        f'white-space:nowrap">{label}</span>'
    )
