"""A report as the API and the CLI give it: JSON, CSV (optionally for a French Excel), or a text table."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from inventory.reports import Report

#: Excel in a French locale opens a CSV file by double-click only with `;` between fields and a UTF-8 BOM.
EXCEL_BOM = "\ufeff"


def plain(value: Any) -> Any:
    """A report value as JSON or CSV writes it: times in UTC ISO 8601 with Z, dates as YYYY-MM-DD."""
    if isinstance(value, dt.datetime):
        moment = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def as_json(report: Report, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON answer: the report's name, parameters, columns and rows (with the `extra` keys rows carry)."""
    keys = (*report.columns, *extra)
    body: dict[str, Any] = {
        "report": report.name, "parameters": {k: plain(v) for k, v in report.parameters.items()},
        "columns": list(report.columns), "items": [{k: plain(row.get(k)) for k in keys} for row in report.rows],
        "total": report.total if report.total is not None else len(report.rows)}
    return body


def as_csv(report: Report, excel: bool = False) -> str:
    """The report as CSV: a header row then one line per row; `excel` adds the BOM and uses `;`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow(report.columns)
    for row in report.rows:
        writer.writerow(["" if row.get(k) is None else plain(row.get(k)) for k in report.columns])
    return (EXCEL_BOM if excel else "") + buffer.getvalue()


def as_table(report: Report, width: int = 40) -> str:
    """The report as aligned text columns for a terminal (cells cut at `width` characters)."""
    cells = [list(report.columns)] + [["" if row.get(k) is None else str(plain(row.get(k)))[:width]
                                       for k in report.columns] for row in report.rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(report.columns))]
    lines = ["  ".join(text.ljust(w) for text, w in zip(line, widths, strict=True)).rstrip() for line in cells]
    total = report.total if report.total is not None else len(report.rows)
    return "\n".join([*lines, f"({len(report.rows)} of {total} row(s))"])
