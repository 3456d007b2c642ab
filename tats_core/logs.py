"""Logging for every TATS process (the worker, the CLI, the app), set up one way.

``TATS_LOG_FORMAT=text`` (the default) prints readable lines; ``json`` prints one JSON object per
line, for a log pipeline to query. An event with fields (``log_event``) keeps them as fields:
``"candidate": 7`` in JSON, ``candidate=7`` after the message in text.

Secrets: no code logs a key or token on purpose. As a second guard, every line of a process that
called ``configure_logging`` passes through ``_Redacting``, which replaces the values of the
settings that are secrets (and a password in ``DATABASE_URL``) with ``[redacted]``: an exception
message quoting a header, or a library logging a URL, cannot carry one into the logs.

``tats worker --workers N`` and a bare ``uvicorn ... --factory`` start fresh interpreters that
inherit nothing a parent configured, so each process calls ``configure_logging`` itself.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["text", "json"]
FIELDS = "tats_fields"  # the LogRecord attribute that carries an event's fields
REDACTED = "[redacted]"
MIN_SECRET_CHARS = 6  # shorter values would redact ordinary words; no real key is that short
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# uvicorn configures handlers of its own on these when started bare; ours take over.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def log_event(
    logger: logging.Logger,
    event: str,
    fields: Mapping[str, Any] | None = None,
    *,
    level: int = logging.INFO,
    **more: Any,
) -> None:
    """One event with fields: ``log_event(log, "delivery", candidate=7, outcome="processed")``
    (or a mapping of them as the third argument)."""
    logger.log(level, event, extra={FIELDS: {"event": event, **(fields or {}), **more}})


class TextFormatter(logging.Formatter):
    """``2026-12-06 10:00:00,123 INFO tats.worker: delivery candidate=7 outcome=processed``"""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        fields = getattr(record, FIELDS, None)
        if not fields:
            return line
        pairs = " ".join(f"{k}={_text_value(v)}" for k, v in fields.items() if k != "event")
        return f"{line} {pairs}" if pairs else line


def _text_value(value: Any) -> str:
    text = "-" if value is None else str(value)
    return json.dumps(text) if (" " in text or '"' in text or not text) else text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, pid, message, the event's fields, and the
    traceback (as one string) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,  # which of the worker's processes
            "message": record.getMessage(),
        }
        entry.update(getattr(record, FIELDS, None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=str)


class _Redacting(logging.Formatter):
    """Formats with ``inner``, then replaces every secret value in the line."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self.inner = inner
        # Longest first, so a secret that contains another is replaced whole.
        self.secrets = sorted(
            {s for s in secrets if s and len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True
        )

    def format(self, record: logging.LogRecord) -> str:
        line = self.inner.format(record)
        for secret in self.secrets:
            if secret in line:
                line = line.replace(secret, REDACTED)
        return line


def configure_logging(
    log_format: LogFormat = "text",
    *,
    level: int = logging.INFO,
    secrets: Iterable[str] = (),
    take_over: Iterable[str] = UVICORN_LOGGERS,
) -> None:
    """Send every logger's lines to stderr in ``log_format``: the ``tats`` loggers at ``level``,
    libraries at WARNING, and the framework loggers in ``take_over`` (uvicorn's, or Streamlit's)
    through the same handler instead of their own. Calling it again replaces, never adds."""
    formatter = JsonFormatter() if log_format == "json" else TextFormatter()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Redacting(formatter, secrets))
    handler._tats = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_tats", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    tats = logging.getLogger("tats")
    tats.setLevel(level)
    tats.propagate = True
    for name in take_over:  # one format for every line this process writes
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # The worker logs one line per delivery itself; uvicorn's access lines would double them.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
