"""Times as the viewer reads them: stored in UTC, shown in the browser's time zone, named."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st


def viewer_zone() -> tuple[tzinfo, str]:
    """The viewer's time zone (from the browser) and its name; UTC when the browser says none."""
    name = st.context.timezone
    if name:
        try:
            return ZoneInfo(name), name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC, "UTC"


def local_time(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time in the viewer's zone, labelled with the zone's name."""
    if moment is None:
        return ""
    zone, name = viewer_zone()
    return f"{moment.astimezone(zone).strftime(fmt)} ({name})"
