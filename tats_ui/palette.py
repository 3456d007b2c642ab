"""How a status looks: its chip, a label in the status's colour (the chart and the table use the
same colours)."""

from __future__ import annotations

import html

from tats_core import statuses


def chip(status: str, text: str | None = None) -> str:
    """A status label in its colour, as HTML for ``st.markdown(..., unsafe_allow_html=True)``."""
    label = html.escape(text if text is not None else statuses.LABELS[status])
    color = statuses.COLORS[status]
    return (
        f'<span style="background:{color}1f;color:{color};border:1px solid {color}66;'
        f"border-radius:999px;padding:0.1rem 0.55rem;font-weight:600;font-size:0.85rem;"
        f'white-space:nowrap">{label}</span>'
    )
