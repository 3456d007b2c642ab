"""A message left for the next run of a page, shown beside what caused it."""

from __future__ import annotations

import streamlit as st

Notice = tuple[str, str]  # (st function name: "success", "warning", ...; message)


def show_notice(notice: Notice | None) -> None:
    if notice:
        getattr(st, notice[0])(notice[1])
