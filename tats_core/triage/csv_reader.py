"""Read a candidates CSV: encoding, delimiter and header detection, chunked with progress.

Recruiters' CSVs come from Excel, Google Sheets, ATS exports and hand edits; this module turns
any reasonable one into rows of ``name``/``email``/``github_url`` strings, or raises an
``InputError`` whose message says what is wrong with the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import pandas as pd

from tats_core.errors import InputError

FIELDS = ("github_url", "name", "email")

# Header aliases after normalisation (lower case; spaces, "_", "-" and "." removed).
ALIASES: dict[str, tuple[str, ...]] = {
    "github_url": (
        "githuburl",
        "github",
        "githublink",
        "githubrepo",
        "githubrepository",
        "githubrepourl",
        "githubprojecturl",
        "repo",
        "repository",
        "repourl",
        "repositoryurl",
        "repolink",
        "repositorylink",
        "giturl",
        "submission",
        "submissionurl",
        "takehome",
        "takehomeurl",
        "projecturl",
        "url",
        "link",
    ),
    "name": ("name", "fullname", "candidate", "candidatename", "applicant", "applicantname"),
    "email": ("email", "mail", "emailaddress", "candidateemail", "applicantemail"),
}

ProgressCallback = Callable[[float], None]
CHUNK_ROWS = 20_000
_T = TypeVar("_T")


def normalise_header(header: str) -> str:
    return re.sub(r"[\s_\-.]+", "", str(header)).lower()


def detect_mapping(headers: list[str]) -> dict[str, str | None]:
    """Map each TATS field to the file's column that holds it (``None`` when absent)."""
    by_norm = {normalise_header(h): h for h in headers}
    mapping: dict[str, str | None] = {}
    for field in FIELDS:
        mapping[field] = next((by_norm[a] for a in ALIASES[field] if a in by_norm), None)
    return mapping


@dataclass
class CsvLayout:
    delimiter: str
    headers: list[str]
    mapping: dict[str, str | None]
    size_bytes: int


class _BinaryData(Exception):
    """A NUL byte past the sniffed start of the file: raised through pandas, caught below."""


class _CountingReader(io.RawIOBase):
    """Wraps a binary file and reports how far pandas has read, for the progress bar."""

    def __init__(self, raw: BinaryIO, size: int, progress: ProgressCallback | None):
        self._raw, self._size, self._progress, self.read_bytes = raw, max(size, 1), progress, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        # inspect_layout only saw the first 64 KB; PostgreSQL refuses NUL in text columns.
        if b"\x00" in data:
            raise _BinaryData
        buffer[: len(data)] = data
        self.read_bytes += len(data)
        if self._progress:
            self._progress(min(self.read_bytes / self._size, 1.0))
        return len(data)


def _open(source: str | Path | bytes) -> tuple[BinaryIO, int]:
    if isinstance(source, bytes):
        return io.BytesIO(source), len(source)
    path = Path(source)
    try:
        return path.open("rb"), path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def inspect_layout(source: str | Path | bytes) -> CsvLayout:
    """Look at the start of the file: reject binaries and non-UTF-8, find delimiter and headers."""
    raw, size = _open(source)
    with raw:
        head = raw.read(64 * 1024)
    if not head.strip():
        raise InputError("the file is empty: expected a header row and one row per candidate")
    if b"\x00" in head:
        raise InputError("this is not a CSV file (it contains binary data); export it as CSV")
    text = _decode(head, complete=size <= len(head))
    first_line = next(iter(text.lstrip("\ufeff").splitlines()), "")
    delimiter = _detect_delimiter(text, first_line)
    headers = next(csv.reader([first_line], delimiter=delimiter), [])
    headers = [h.strip() for h in headers]
    if not any(headers):
        raise InputError("the first row is empty: expected column names such as github_url")
    return CsvLayout(delimiter, headers, detect_mapping(headers), size)


def _decode(head: bytes, *, complete: bool) -> str:
    try:
        return head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # The 64 KB window may cut a multi-byte character in half at its end.
        if not complete and exc.start >= len(head) - 3:
            return head[: exc.start].decode("utf-8-sig")
        raise _not_utf8(exc.start) from None


def _first_undecodable_byte(source: str | Path | bytes) -> int:
    """Where the first non-UTF-8 byte is (pandas reports a position inside its own buffer)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    raw, _ = _open(source)
    offset = 0
    with raw:
        while chunk := raw.read(1 << 20):
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset - pending + exc.start
            offset += len(chunk)
    return offset


def _not_utf8(position: int) -> InputError:
    return InputError(
        f"the file is not UTF-8 text (unreadable byte at position {position}); "
        "save it as 'CSV UTF-8' and upload it again"
    )


def _detect_delimiter(text: str, first_line: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:16384], delimiters=",;\t").delimiter
    except csv.Error:
        counts = {d: first_line.count(d) for d in (",", ";", "\t")}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_rows(
    source: str | Path | bytes,
    layout: CsvLayout,
    mapping: dict[str, str | None] | None = None,
    progress: ProgressCallback | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield chunks with columns ``row`` (the spreadsheet row number) and the TATS fields."""
    mapping = mapping or layout.mapping
    if not mapping.get("github_url"):
        raise InputError(
            "no GitHub URL column found; name one of the columns github_url "
            f"(or github, repo, repository, repo_url). Columns in the file: {', '.join(layout.headers)}"
        )
    raw, size = _open(source)
    counting = _CountingReader(raw, size, progress)
    first_row = 2  # the header is row 1, as a spreadsheet numbers them
    try:
        with raw:
            # Creating the reader already parses the header and the first buffer, so it
            # belongs inside the try: a bad byte there must become an InputError too.
            reader = _quietly(
                pd.read_csv,
                io.BufferedReader(counting, buffer_size=1 << 20),
                sep=layout.delimiter,
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig",
                encoding_errors="strict",
                chunksize=CHUNK_ROWS,
                # Blank lines are rows in a spreadsheet: keep them for the row numbers and
                # drop them below.
                skip_blank_lines=False,
                skipinitialspace=True,
                # A trailing delimiter on the data rows must not turn the first column into
                # an index (which shifts every value one column to the left).
                index_col=False,
            )
            with reader:
                while (chunk := _quietly(next, reader, None)) is not None:
                    chunk.columns = [str(c).strip() for c in chunk.columns]
                    rows = range(first_row, first_row + len(chunk))
                    first_row += len(chunk)
                    filled = chunk.ne("").any(axis=1).to_numpy()
                    out = pd.DataFrame({f: chunk.get(col, "") for f, col in mapping.items() if col})
                    for field in FIELDS:
                        if field not in out:
                            out[field] = ""
                    out.insert(0, "row", rows)
                    yield out if filled.all() else out[filled]
    except UnicodeDecodeError:
        raise _not_utf8(_first_undecodable_byte(source)) from None
    except _BinaryData:
        raise InputError(
            "this is not a CSV file (it contains binary data); export it as CSV"
        ) from None
    except pd.errors.ParserError as exc:
        raise InputError(f"the CSV cannot be parsed: {exc}".rstrip()) from None
    if progress:
        progress(1.0)


def _quietly(func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Call ``func`` without pandas' warning that a row's extra trailing fields were dropped.

    Scoped to the call, not the generator: a suspended generator must not change the
    caller's warning filters.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.ParserWarning)
        return func(*args, **kwargs)
