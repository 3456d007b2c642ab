"""Awkward candidate CSVs, as recruiters really upload them.

Small text files live next to this module (one quirk each, named after it). Binary files and the
5 MB file are built at test time by the functions below, so the repository holds no blobs and an
editor cannot "fix" a deliberately broken encoding.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

CORPUS = Path(__file__).parent


def corpus_file(name: str) -> Path:
    return CORPUS / name


def latin1_csv() -> bytes:
    """Excel's "CSV (Comma delimited)" on Windows: cp1252/Latin-1, so "José" is one 0xE9 byte."""
    return (
        "name,email,github_url\nJosé Núñez,jose@example.com,https://github.com/jose/api\n".encode(
            "latin-1"
        )
    )


def png_bytes() -> bytes:
    """A real 1x1 PNG: what a screenshot renamed to ``.csv`` looks like."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def xlsx_bytes() -> bytes:
    """A zip laid out like an Excel workbook: the commonest wrong upload."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            "<worksheet><sheetData><row><c t='inlineStr'><is><t>github_url</t></is></c></row>"
            "</sheetData></worksheet>",
        )
    return buffer.getvalue()


def big_csv(path: Path, min_bytes: int = 5 * 1024 * 1024) -> int:
    """Write a valid candidates CSV of at least ``min_bytes``; return its number of data rows."""
    lines = ["name,email,github_url"]
    size = len(lines[0]) + 1
    i = 0
    while size < min_bytes:
        line = f"Candidate Number {i},candidate{i}@example.com,https://github.com/user{i}/take-home-{i}"
        lines.append(line)
        size += len(line) + 1
        i += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return i
