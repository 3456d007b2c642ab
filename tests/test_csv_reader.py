"""The CSV reader over the awkward corpus: layout detection, values, row numbers, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tats_core.errors import InputError
from tats_core.triage.csv_reader import detect_mapping, inspect_layout, read_rows
from tests.csv_corpus import big_csv, corpus_file, latin1_csv, png_bytes, xlsx_bytes

HEADER = "name,email,github_url\n"
LATIN1_E_ACUTE = "é".encode("latin-1")


def rows_of(source: Path | bytes) -> list[tuple[int, str, str, str]]:
    """Every row as (row number, github_url, name, email), as ingest sees them."""
    return [tuple(row) for chunk in read_rows(source, inspect_layout(source)) for row in chunk]


@pytest.mark.parametrize(
    ("name", "delimiter", "expected"),
    [
        (
            "bom.csv",
            ",",
            [
                (2, "https://github.com/ada/engine", "Ada Lovelace", "ada@example.com"),
                (3, "https://github.com/alan/bombe", "Alan Turing", "alan@example.com"),
            ],
        ),
        (
            "semicolon.csv",
            ";",
            [
                (2, "https://github.com/ada/engine", "Ada Lovelace", "ada@example.com"),
                (3, "github.com/grace/cobol", "Hopper; Grace", "grace@example.com"),
            ],
        ),
        (
            "tab.csv",
            "\t",
            [
                (2, "https://github.com/ada/engine", "Ada Lovelace", "ada@example.com"),
                (3, "https://github.com/grace/cobol", "Grace Hopper, PhD", "grace@example.com"),
            ],
        ),
        (
            "quoted.csv",
            ",",
            [
                (2, "https://github.com/ada/engine", "Lovelace, Ada", "ada@example.com"),
                (3, "https://github.com/grace/cobol", "Grace\nHopper", "grace@example.com"),
                (4, "https://github.com/alan/bombe", 'Turing "Prof" Alan', "alan@example.com"),
            ],
        ),
        (
            "excel_crlf_semicolon.csv",
            ";",
            [
                (2, "https://github.com/jose/api", "José García", "jose@example.com"),
                (3, "https://github.com/zoe/api", "Zoë, Jr.", "zoe@example.com"),
            ],
        ),
        (
            "trailing_delimiter.csv",
            ",",
            [
                (2, "https://github.com/ada/engine", "Ada", "ada@example.com"),
                (3, "https://github.com/alan/bombe", "Alan", "alan@example.com"),
            ],
        ),
    ],
)
def test_corpus_files_are_read_into_the_right_columns(name, delimiter, expected):
    path = corpus_file(name)
    layout = inspect_layout(path)
    assert layout.delimiter == delimiter
    assert layout.mapping["github_url"] is not None
    assert rows_of(path) == expected


def test_bom_does_not_stick_to_the_first_header():
    layout = inspect_layout(corpus_file("bom.csv"))
    assert layout.headers == ["name", "email", "github_url"]
    assert layout.mapping == {"github_url": ["github_url"], "name": ["name"], "email": ["email"]}


def test_upper_case_headers_with_spaces_and_dashes_are_recognised():
    layout = inspect_layout(corpus_file("upper_headers.csv"))
    assert layout.mapping == {
        "github_url": ["GitHub URL"],
        "name": ["Full Name"],
        "email": ["E-mail"],
    }
    assert rows_of(corpus_file("upper_headers.csv")) == [
        (2, "https://github.com/ada/engine", "Ada Lovelace", "ada@example.com")
    ]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["Repo URL"], "Repo URL"),
        (["GITHUB"], "GITHUB"),
        (["github-repository"], "github-repository"),
        (["Git URL"], "Git URL"),
        # A generic "URL" column (often a portfolio) loses to a column that names the repository.
        (["URL", "Repository"], "Repository"),
    ],
)
def test_github_url_column_aliases(headers, expected):
    assert detect_mapping(headers)["github_url"] == [expected]


def test_blank_lines_count_as_spreadsheet_rows_but_are_not_candidates():
    # Row 3 is empty and row 4 holds only delimiters: the next candidate is on row 5, as a
    # spreadsheet shows it, so the recruiter finds the row an error message names.
    assert rows_of(corpus_file("blank_lines.csv")) == [
        (2, "https://github.com/ada/engine", "Ada", "ada@example.com"),
        (5, "https://github.com/someone", "Alan", "alan@example.com"),
    ]


def test_a_file_without_name_or_email_columns_reads_them_as_empty():
    data = b"Repository\nhttps://github.com/a/one\nhttps://github.com/b/two\n"
    assert rows_of(data) == [
        (2, "https://github.com/a/one", "", ""),
        (3, "https://github.com/b/two", "", ""),
    ]


def test_missing_url_column_names_the_columns_found():
    path = corpus_file("no_url_column.csv")
    layout = inspect_layout(path)
    with pytest.raises(InputError, match="no GitHub URL column") as error:
        list(read_rows(path, layout))
    assert "Columns in the file: name, email, portfolio" in str(error.value)


def test_empty_file_is_rejected():
    with pytest.raises(InputError, match="the file is empty"):
        inspect_layout(corpus_file("empty.csv"))
    with pytest.raises(InputError, match="the file is empty"):
        inspect_layout(b"\n  \n")


def test_header_only_file_has_no_rows():
    assert rows_of(corpus_file("header_only.csv")) == []


def test_latin1_file_is_rejected_with_the_position_of_the_bad_byte():
    data = latin1_csv()
    with pytest.raises(InputError, match="not UTF-8") as error:
        inspect_layout(data)
    assert f"position {data.index(LATIN1_E_ACUTE)}" in str(error.value)
    assert "CSV UTF-8" in str(error.value)


def test_non_utf8_byte_past_the_sniffed_start_is_an_input_error():
    # The first 64 KB are clean, so only the full read meets the Latin-1 byte.
    good = "".join(f"Ok {i},ok{i}@example.com,https://github.com/ok/r{i}\n" for i in range(4000))
    data = (HEADER + good).encode() + "José,j@example.com,https://github.com/j/r\n".encode(
        "latin-1"
    )
    assert len(data) > 64 * 1024
    layout = inspect_layout(data)
    with pytest.raises(InputError, match="not UTF-8") as error:
        list(read_rows(data, layout))
    assert f"position {data.index(LATIN1_E_ACUTE)}" in str(error.value)


@pytest.mark.parametrize("make", [png_bytes, xlsx_bytes], ids=["png", "xlsx"])
def test_binary_file_renamed_csv_is_rejected(make, tmp_path):
    path = tmp_path / "candidates.csv"
    path.write_bytes(make())
    with pytest.raises(InputError, match="not a CSV file"):
        inspect_layout(path)


def test_nul_bytes_past_the_sniffed_start_are_rejected():
    good = "".join(f"Ok {i},ok{i}@example.com,https://github.com/ok/r{i}\n" for i in range(4000))
    data = (HEADER + good).encode() + b"Nul\x00,n@example.com,https://github.com/n/r\n"
    layout = inspect_layout(data)
    with pytest.raises(InputError, match="not a CSV file"):
        list(read_rows(data, layout))


@pytest.mark.parametrize("bad_row", [2, 3])
def test_a_row_with_a_value_past_the_last_column_is_a_parse_error_naming_the_row(bad_row):
    # On any row, the first included: a value with no column is never silently dropped.
    rows = ["A,a@x.io,https://github.com/a/r", "B,b@x.io,https://github.com/b/r"]
    rows[bad_row - 2] += ",x"
    data = (HEADER + "\n".join(rows) + "\n").encode()
    with pytest.raises(InputError, match=rf"cannot be parsed: row {bad_row} has 4 values") as error:
        list(read_rows(data, inspect_layout(data)))
    assert "header names 3 columns (quote a value that contains a comma)" in str(error.value)


def test_empty_values_past_the_last_column_are_trailing_delimiters_not_errors():
    data = (HEADER + "A,a@x.io,https://github.com/a/r,,\nB,b@x.io\n").encode()
    assert rows_of(data) == [(2, "https://github.com/a/r", "A", "a@x.io"), (3, "", "B", "b@x.io")]


def test_an_unclosed_quote_is_an_error_not_the_rest_of_the_file_in_one_value():
    data = (HEADER + 'A,a@x.io,"https://github.com/a/r\nB,b@x.io,https://github.com/b/r\n').encode()
    with pytest.raises(InputError, match="quoted value that starts on row 2 is never closed"):
        list(read_rows(data, inspect_layout(data)))


def test_text_after_a_closing_quote_is_a_parse_error_naming_the_row():
    data = (
        HEADER + 'A,a@x.io,https://github.com/a/r\n"B"x,b@x.io,https://github.com/b/r\n'
    ).encode()
    with pytest.raises(InputError, match="row 3 has text after a closing quote"):
        list(read_rows(data, inspect_layout(data)))


def test_a_repeated_column_name_reads_the_first_column_of_that_name():
    data = b"name,name,github_url\nFirst,Second,https://github.com/a/r\n"
    assert rows_of(data) == [(2, "https://github.com/a/r", "First", "")]


def test_unreadable_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        inspect_layout(tmp_path / "missing.csv")


def test_five_megabyte_file_reports_monotonic_progress_ending_at_one(tmp_path):
    path = tmp_path / "big.csv"
    expected_rows = big_csv(path)
    assert path.stat().st_size >= 5 * 1024 * 1024
    calls: list[float] = []

    chunks = list(read_rows(path, inspect_layout(path), progress=calls.append))

    assert sum(len(c) for c in chunks) == expected_rows
    assert len(chunks) > 1  # read in chunks, not all at once
    assert chunks[-1][-1].row == expected_rows + 1
    assert len(calls) >= 4
    assert all(0.0 <= p <= 1.0 for p in calls)
    assert calls == sorted(calls)
    assert calls[0] < 0.5
    assert calls[-1] == 1.0
