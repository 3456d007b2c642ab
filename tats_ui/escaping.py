"""Untrusted text (candidates' names, repository text, model output) shown as itself: Streamlit
renders markdown in most elements, so a name like ``**boss**`` or ``[x](javascript:...)`` would
otherwise be formatting or a link."""

from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text: str | None) -> str:
    """Untrusted text shown literally in markdown."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text or "")
