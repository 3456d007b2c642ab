"""Write a candidates CSV: the sample offered on the upload page, and the demo's file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

HEADER = ("name", "email", "github_url")


def candidates_csv(rows: Iterable[tuple[str, str, str]]) -> bytes:
    """``(name, email, github_url)`` rows as a UTF-8 CSV with the canonical header."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def sample_csv() -> bytes:
    """A small file showing the upload format (and the URL forms candidates write)."""
    return candidates_csv(
        [
            ("Ada Lindqvist", "ada@example.com", "https://github.com/tats-demo/todo-api"),
            ("Bruno Okafor", "bruno@example.com", "github.com/tats-demo/inventory-service.git"),
            ("Chen Wei", "", "https://github.com/tats-demo/flask-todos/tree/main"),
        ]
    )
