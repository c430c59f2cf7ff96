"""The stock import's report as the import page shows it: one row per line of the file (its serial and MAC, good
or each problem), and the importer's refusals in the user's language where they are one of a fixed set.

inventory/stock_import.py says its problems in English; those it words the same way every time are matched
here and said again from the catalogue, the others (the record's own checks: formats, the catalogue of models)
are shown as the importer wrote them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from inventory.stock_csv import Row
from inventory.stock_import import Problem

Translate = Callable[..., str]

#: The importer's row problems with a fixed wording: pattern -> catalogue key (named groups fill the text).
ROW_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^empty: a value is required$"), "import.problem.empty"),
    (re.compile(r"^expected lent or sold, got (?P<got>.*)$"), "import.problem.ownership"),
    (re.compile(r"^(?P<count>\d+) values, expected one per column of the header line$"), "import.problem.columns"),
    (re.compile(r"^(?P<value>.+) is also on line (?P<line>\d+)$"), "import.problem.twice"),
    (re.compile(r"^already stored for another item \((?P<detail>.*)\)$"), "import.problem.stored"),
    (re.compile(r"^this item is already stored as (?P<detail>.*)$"), "import.problem.other_model"),
)
#: The reading errors of a whole file with a fixed wording (inventory/stock_csv.py): pattern -> catalogue key.
FILE_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"the file is empty"), "import.empty"),
    (re.compile(r"the file is UTF-16"), "import.utf16"),
    (re.compile(r"the file is not UTF-8|holds a NUL character"), "import.not_utf8"),
    (re.compile(r"^line \d+: (?P<detail>(?:unknown|missing) column.*?|column\(s\) given twice.*?): expected"),
     "import.bad_header"),
)
FIELDS = ("serial", "mac", "vendor", "model", "ownership", "notes", "columns", "kind")


@dataclass
class ReportRow:
    """One line of the file: its number, its serial and MAC as written, and its problems ((field, text) pairs)."""

    line: int
    serial: str
    mac: str
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def good(self) -> bool:
        return not self.problems


def report_rows(rows: Sequence[Row], problems: Sequence[Problem]) -> list[ReportRow]:
    """Every line of the file in order, each with the problems the import found on it."""
    by_line: dict[int, list[tuple[str, str]]] = {}
    for problem in problems:
        by_line.setdefault(problem.line, []).append((problem.field, problem.problem))
    return [ReportRow(row.line, row.values.get("serial", ""), row.values.get("mac", ""), by_line.get(row.line, []))
            for row in rows]


def row_problem(t: Translate, name: str, text: str) -> str:
    """One problem of a row, "<field>: <why>", in the user's language when its wording is a fixed one."""
    shown_field = t(f"import.field.{name}") if name in FIELDS else name
    for pattern, key in ROW_PROBLEMS:
        matched = pattern.match(text)
        if matched:
            return t("import.problem", field=shown_field, why=t(key, **matched.groupdict()))
    return t("import.problem", field=shown_field, why=text)


def file_problem(t: Translate, text: str, required: str, optional: str) -> str:
    """Why a whole file cannot be read, in the user's language when its wording is a fixed one."""
    for pattern, key in FILE_PROBLEMS:
        matched = pattern.search(text)
        if matched:
            if key == "import.empty":
                return t(key, required=required)
            return t("import.file_error", detail=t(key, required=required, optional=optional, **matched.groupdict()))
    return t("import.file_error", detail=text)

