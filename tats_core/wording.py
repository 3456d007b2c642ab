"""How TATS words counts for people: one place, so the app, the CLI and the analyzers agree."""

from __future__ import annotations


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``plural(1, "file")`` -> "1 file"; ``plural(1200, "file")`` -> "1,200 files"."""
    word = noun if count == 1 else (plural_form or noun + "s")
    return f"{count:,} {word}"
