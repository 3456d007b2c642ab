"""Logging for the worker, set up in the worker's own process.

``tats worker --workers N`` and a bare ``uvicorn ... --factory`` start fresh interpreters that
inherit nothing a parent configured, so the app factory calls ``configure_logging`` itself.
"""

from __future__ import annotations

import logging
import sys

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: int = logging.INFO) -> None:
    """One line per delivery on stderr from the ``tats`` loggers; calling it twice adds nothing."""
    logger = logging.getLogger("tats")
    logger.setLevel(level)
    if not any(getattr(h, "_tats", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler._tats = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False  # the CLI's basicConfig would print every line twice
