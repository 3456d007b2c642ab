"""Write a candidates CSV: the samples offered on the upload page (TATS's own columns, and the
shapes of Greenhouse's and Lever's candidate exports), and the demo's file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

HEADER = ("name", "email", "github_url")
# Greenhouse's candidate columns: no repository column; the take-home's URL sits among the
# candidate's links, several to a cell.
GREENHOUSE_HEADER = (
    "First Name",
    "Last Name",
    "Email",
    "Phone",
    "Website",
    "Social Media",
    "Links",
    "Job",
)
# Lever's candidate columns: one name, several emails ("a@x.com,b@y.com") and links
# ("https://…, https://…") to a cell.
LEVER_HEADER = (
    "Full Name",
    "Email",
    "Phone",
    "Current Company",
    "Current Title",
    "Location",
    "Links",
    "Tags",
    "Sources",
    "Origin",
    "Stage",
    "Posting",
)
DEMO = "https://github.com/tats-demo"


def _csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def candidates_csv(rows: Iterable[tuple[str, str, str]]) -> bytes:
    """``(name, email, github_url)`` rows as a UTF-8 CSV with the canonical header."""
    return _csv(HEADER, rows)


def sample_csv() -> bytes:
    """A small file showing the upload format (and the URL forms candidates write)."""
    return candidates_csv(
        [
            ("Ada Lindqvist", "ada@example.com", f"{DEMO}/todo-api"),
            ("Bruno Okafor", "bruno@example.com", "github.com/tats-demo/inventory-service.git"),
            ("Chen Wei", "", f"{DEMO}/flask-todos/tree/main"),
        ]
    )


def greenhouse_sample_csv() -> bytes:
    """A candidate export shaped like Greenhouse's, importable as it is."""
    return _csv(
        GREENHOUSE_HEADER,
        [
            ("Ada", "Lindqvist", "ada@example.com", "+46 70 123 45 67", f"{DEMO}/todo-api",
             "https://www.linkedin.com/in/ada-l, https://github.com/ada-l", "", "Backend"),
            ("Bruno", "Okafor", "bruno@example.com", "", "https://bruno.dev",
             f"https://github.com/bruno-o {DEMO}/inventory-service", "", "Backend"),
            ("Chen", "Wei", "chen@example.com", "", "", "https://twitter.com/chenwei",
             f"{DEMO}/flask-todos", "Backend"),
        ],
    )  # fmt: skip


def lever_sample_csv() -> bytes:
    """A candidate export shaped like Lever's, importable as it is."""
    return _csv(
        LEVER_HEADER,
        [
            ("Ada Lindqvist", "ada@example.com,ada.l@example.org", "+46 70 123 45 67",
             "Acme", "Engineer", "Stockholm", f"https://github.com/ada-l, {DEMO}/todo-api",
             "backend", "LinkedIn", "Sourced", "New Lead", "Backend engineer"),
            ("Bruno Okafor", "bruno@example.com", "", "", "", "Lagos",
             f"https://bruno.dev, {DEMO}/inventory-service", "", "Referral", "Referred",
             "New Lead", "Backend engineer"),
        ],
    )  # fmt: skip
