"""How TATS words counts for people: one place, so the app, the CLI and the analyzers agree."""

from __future__ import annotations


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``plural(1, "file")`` -> "1 file"; ``plural(1200, "file")`` -> "1,200 files"."""
    word = noun if count == 1 else (plural_form or noun + "s")
    return f"{count:,} {word}"


def kilobytes(count: int) -> str:
    """``1.2 KB``, ``10 KB`` (of 1,000 bytes, as size thresholds are set); ``640 bytes`` below
    one."""
    if count < 1000:
        return plural(count, "byte")
    return f"{count / 1000:.1f}".removesuffix(".0") + " KB"
