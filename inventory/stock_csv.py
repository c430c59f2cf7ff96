"""Reading a stock file: CSV bytes from a spreadsheet (UTF-8, `,` or `;`) into rows of named values.

Only the file's shape is checked here (encoding, delimiter, header, number of values); what the values
mean is inventory/stock_import.py's business.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

#: The columns a stock file must have, in any order and any letter case.
REQUIRED_COLUMNS = ("serial", "mac", "vendor", "model", "ownership")
OPTIONAL_COLUMNS = ("notes",)
#: French spreadsheets export CSV with `;`, the others with `,`.
DELIMITERS = (",", ";")
_EXPECTED_HEADER = f"expected a header line with {', '.join(REQUIRED_COLUMNS)} (and optionally notes)"


class StockFileError(ValueError):
    """The file as a whole cannot be read as a stock file: nothing in it is imported."""


@dataclass(frozen=True)
class Row:
    """One data line of the file: its line number (the header is line 1) and its values by column name."""

    line: int
    values: dict[str, str]
    #: How many values the line held, when it is not the header's count (None: as many).
    wrong_count: int | None = None


def read_rows(data: bytes) -> list[Row]:
    """The data rows of a stock file, blank lines skipped; StockFileError when the file cannot be read."""
    text = _decode(data)
    if not text.strip():
        raise StockFileError(f"the file is empty: {_EXPECTED_HEADER}")
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[Row] = []
    columns: list[str] | None = None
    previous = 0
    try:
        for cells in reader:
            line, previous = previous + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if columns is None:
                columns = _header(cells, line)
                continue
            values = dict(zip(columns, (cell.strip() for cell in cells), strict=False))  # counts checked below
            rows.append(Row(line, values, None if len(cells) == len(columns) else len(cells)))
    except csv.Error as exc:
        raise StockFileError(f"line {reader.line_num}: the file is not valid CSV: {exc}") from None
    if columns is None:
        raise StockFileError(f"the file is empty: {_EXPECTED_HEADER}")
    return rows


def _decode(data: bytes) -> str:
    """The file's text: UTF-8 with or without a byte-order mark, nothing else."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise StockFileError("the file is UTF-16: save it as CSV UTF-8 (in Excel: 'CSV UTF-8 (comma delimited)')")
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = skip + exc.start  # in the file as given
        line = data[:offset].count(b"\n") + 1
        raise StockFileError(
            f"line {line}: the file is not UTF-8: byte 0x{data[offset]:02x} at offset {offset} cannot be read "
            "(a Latin-1 or Windows-1252 export?): save it as CSV UTF-8") from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise StockFileError(f"line {line}: the file holds a NUL character: expected CSV text")
    return text


def _header(cells: list[str], line: int) -> list[str]:
    """The column names of the header line, lower-cased; StockFileError naming what is missing or unknown."""
    names = [cell.strip().lower() for cell in cells]
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    unknown = [name for name in names if name not in known]
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    twice = sorted({name for name in names if names.count(name) > 1 and name in known})
    problems = []
    if unknown:
        problems.append(f"unknown column(s) {', '.join(repr(n[:40]) for n in unknown[:10])}")
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if twice:
        problems.append(f"column(s) given twice: {', '.join(twice)}")
    if problems:
        raise StockFileError(f"line {line}: {'; '.join(problems)}: {_EXPECTED_HEADER}, "
                             f"separated by {' or '.join(repr(d) for d in DELIMITERS)}")
    return names
