"""Read a candidates CSV: encoding, delimiter and header detection, chunked with progress.

Recruiters' CSVs come from Excel, Google Sheets, ATS exports and hand edits; this module turns
any reasonable one into rows of ``name``/``email``/``github_url`` strings, or raises an
``InputError`` whose message says what is wrong with the file.

A field may come from several columns (a ``ColumnMap``): an applicant tracking system's export
has no repository column, so the repository is looked for among its link columns (Greenhouse's
``Website``, ``Social Media`` and ``Links``, Lever's ``Links``), and the name is ``First Name``
and ``Last Name`` together. Their values reach ingest joined: the names with a space, the links
one per line (``triage.links`` finds the repository among them).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, NamedTuple

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
    "email": (
        "email",
        "mail",
        "emailaddress",
        "candidateemail",
        "applicantemail",
        "emails",
        "emailaddresses",
    ),
}
# Without a repository column, the repository is looked for among the links an ATS export
# holds: Greenhouse's Website, Social Media and Links, Lever's Links (several to a cell).
LINK_COLUMNS = ("website", "websites", "socialmedia", "links", "urls", "profilelinks")
# Without a name column, the name is the first and last name together (Greenhouse).
NAME_PARTS = (("firstname", "givenname", "first"), ("lastname", "surname", "familyname", "last"))

# Which of the file's columns hold each field (empty: not in the file).
ColumnMap = dict[str, list[str]]
# What callers may pass: a column, several, or None per field.
ColumnChoice = Mapping[str, str | Sequence[str] | None]

ProgressCallback = Callable[[float], None]
# Small chunks: ingest writes each one as soon as it is checked, so the database starts on the
# first rows at once and keeps pace with the reading (2,000 was ~10% faster than 20,000 for a
# 100,000-row file; bench/ingest.py).
CHUNK_ROWS = 2_000


def normalise_header(header: str) -> str:
    return re.sub(r"[\s_\-.]+", "", str(header)).lower()


def detect_mapping(headers: list[str]) -> ColumnMap:
    """The file's columns that hold each TATS field (an empty list when none does)."""
    by_norm: dict[str, str] = {}
    for header in headers:
        by_norm.setdefault(normalise_header(header), header)
    mapping: ColumnMap = {}
    for field in FIELDS:
        column = next((by_norm[a] for a in ALIASES[field] if a in by_norm), None)
        mapping[field] = [column] if column else []
    if not mapping["github_url"]:
        mapping["github_url"] = [h for h in by_norm.values() if normalise_header(h) in LINK_COLUMNS]
    if not mapping["name"]:
        parts = (next((by_norm[a] for a in part if a in by_norm), None) for part in NAME_PARTS)
        mapping["name"] = [column for column in parts if column]
    return mapping


def columns_of(choice: ColumnChoice) -> ColumnMap:
    """A caller's choice of columns as a ``ColumnMap`` (every field present)."""
    mapping: ColumnMap = {}
    for field in FIELDS:
        value = choice.get(field)
        mapping[field] = [value] if isinstance(value, str) else [c for c in value or [] if c]
    return mapping


@dataclass
class CsvLayout:
    delimiter: str
    headers: list[str]
    mapping: ColumnMap
    size_bytes: int


class _BinaryData(Exception):
    """A NUL byte past the sniffed start of the file: raised through the reader, caught below."""


class _CountingReader(io.RawIOBase):
    """Wraps a binary file and reports how far the reader has got, for the progress bar."""

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
    """Where the first non-UTF-8 byte is in the file (the decoder reports one inside its buffer)."""
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


class CsvRow(NamedTuple):
    row: int  # the spreadsheet's row number (the header is row 1)
    github_url: str
    name: str
    email: str


def read_rows(
    source: str | Path | bytes,
    layout: CsvLayout,
    mapping: ColumnChoice | None = None,
    progress: ProgressCallback | None = None,
) -> Iterator[list[CsvRow]]:
    """Yield the candidate rows in chunks of up to ``CHUNK_ROWS``; blank rows are left out but
    still counted, so every row number is the one a spreadsheet shows."""
    mapping = columns_of(mapping or layout.mapping)
    if not mapping["github_url"]:
        raise InputError(
            "no GitHub URL column found; name one of the columns github_url "
            "(or github, repo, repository, repo_url), or give the links of an ATS export "
            f"(Website, Social Media, Links). Columns in the file: {', '.join(layout.headers)}"
        )
    raw, size = _open(source)
    counting = _CountingReader(raw, size, progress)
    text = io.TextIOWrapper(
        io.BufferedReader(counting, buffer_size=1 << 20),
        encoding="utf-8-sig",
        errors="strict",
        newline="",  # the csv module finds line ends itself, inside quoted values too
    )
    # strict: an unclosed quote is an error, not the rest of the file swallowed into one value
    records = csv.reader(text, delimiter=layout.delimiter, skipinitialspace=True, strict=True)
    rows = _Rows(records, layout, mapping)
    try:
        with text:
            yield from rows.chunks()
    except UnicodeDecodeError:
        raise _not_utf8(_first_undecodable_byte(source)) from None
    except _BinaryData:
        raise InputError(
            "this is not a CSV file (it contains binary data); export it as CSV"
        ) from None
    except csv.Error as exc:
        raise InputError(_parse_error(exc, rows.row + 1)) from None
    if progress:
        progress(1.0)


class _Rows:
    """The records after the header as ``CsvRow`` chunks; ``row`` is the last row read (the
    header is row 1), for error messages."""

    def __init__(self, records: Iterator[list[str]], layout: CsvLayout, mapping: ColumnMap) -> None:
        self.records = records
        self.layout = layout
        self.mapping = mapping
        self.row = 1

    def chunks(self) -> Iterator[list[CsvRow]]:
        width = len(next(self.records, []))
        pick = self._picker(width)
        padding = [""] * (width + 1)
        chunk: list[CsvRow] = []
        for fields in self.records:
            self.row += 1
            if len(fields) > width:
                self._drop_trailing(fields, width)
            if not any(fields):
                continue  # a blank line, or only delimiters
            fields += padding[len(fields) :]  # short rows, and the padding column
            chunk.append(CsvRow(self.row, *pick(fields)))
            if len(chunk) >= CHUNK_ROWS:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _picker(self, width: int) -> Callable[[list[str]], tuple[str, str, str]]:
        # The first column of that name, as a spreadsheet lookup would find it; a field the
        # file lacks reads from a padding column past the header, always empty.
        where = {
            field: [min(self.layout.headers.index(c), width) for c in columns] or [width]
            for field, columns in self.mapping.items()
        }
        if all(len(where[f]) == 1 for f in FIELDS):  # the usual file: one column each, fast
            return itemgetter(*(where[f][0] for f in FIELDS))
        joiners = {"github_url": "\n", "name": " ", "email": ","}

        def pick(fields: list[str]) -> tuple[str, str, str]:
            url, name, email = (
                joiners[f].join(v for i in where[f] if (v := fields[i].strip())) for f in FIELDS
            )
            return url, name, email

        return pick

    def _drop_trailing(self, fields: list[str], width: int) -> None:
        """Trailing empty values (delimiters) are dropped; a value past the header is an error."""
        if any(fields[width:]):
            delimiter = _DELIMITER_NAMES.get(self.layout.delimiter, self.layout.delimiter)
            raise InputError(
                f"the CSV cannot be parsed: row {self.row} has {len(fields)} values but the "
                f"header names {width} columns (quote a value that contains {delimiter})"
            )
        del fields[width:]


_DELIMITER_NAMES = {",": "a comma", ";": "a semicolon", "\t": "a tab"}


def _parse_error(exc: csv.Error, row: int) -> str:
    reason = str(exc)
    if "unexpected end of data" in reason:
        return f"the CSV cannot be parsed: a quoted value that starts on row {row} is never closed"
    if "expected after" in reason:
        return f"the CSV cannot be parsed: row {row} has text after a closing quote ({reason})"
    if "field larger than field limit" in reason:
        return f"the CSV cannot be parsed: a value on row {row} is longer than {csv.field_size_limit():,} characters"
    return f"the CSV cannot be parsed: row {row}: {reason}"
