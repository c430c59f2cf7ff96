"""Staff endpoints of the SIP core's call records and of the monthly fair-use report (contract clause 7.2c),
each as JSON, or CSV with ?format=csv (see provisioner/api/reports.py)."""

from __future__ import annotations

import datetime as dt
import re

from inventory.call_records import FILTERS
from provisioner.api.fields import bounded_int
from provisioner.api.reports import ReportHandler
from provisioner.call_reports import call_records, fair_use_report
from sip_core.call_records import Outcome
from sip_core.fair_use import month_bounds
from sip_core.fraud import FAIR_USE_LIMIT, month_key

#: Support and admin (who may read everything): call records are personal data, of no use to the warehouse.
READERS = ("support",)
#: Per page at most: a CSV export of a month is paged through by this many.
MAX_PER_PAGE = 10_000
_ID = re.compile(r"[0-9a-f]{24}")


def _day(text: str | None, name: str, problems: dict[str, str]) -> dt.date | None:
    if text is None:
        return None
    try:
        if len(text) != 10 or not text.isascii():
            raise ValueError
        day = dt.date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or not 1970 <= day.year <= 9998:  # past those, the day's bounds are out of datetime's range
        problems[name] = "expected a date as YYYY-MM-DD from 1970 on"
        return None
    return day


class CallRecordsHandler(ReportHandler):
    """GET: call records newest first, by calling line, site or customer, outcome and days (?from=, ?to=
    YYYY-MM-DD, both included, in calendar.timezone); paged (?page=, ?per_page= up to 10,000)."""

    roles = READERS
    route = "/api/v1/call-records"
    arguments = (*FILTERS, "from", "to", "page", "per_page")

    def builder(self, given, problems, *path):  # type: ignore[no-untyped-def]
        filters = {name: given[name] for name in FILTERS if name in given}
        for name in ("line", "site", "customer"):
            if name in filters and not _ID.fullmatch(filters[name]):
                problems[name] = "expected a record id (24 hexadecimal digits)"
        outcomes = [outcome.value for outcome in Outcome]
        if filters.get("outcome", outcomes[0]) not in outcomes:
            problems["outcome"] = f"expected one of {', '.join(outcomes)}"
        first, last = _day(given.get("from"), "from", problems), _day(given.get("to"), "to", problems)
        if first and last and first > last:
            problems["to"] = "must not be before from"
        page = bounded_int(given.get("page", "1"), 1, 1_000_000, "page", problems)
        per_page = bounded_int(given.get("per_page", "100"), 1, MAX_PER_PAGE, "per_page", problems)
        timezone = self.services.settings.calendar.timezone
        return lambda: call_records(filters, first, last, timezone, page, per_page)


class FairUseHandler(ReportHandler):
    """GET: the lines that called more than ?threshold= (150, clause 7.2c) distinct numbers in ?month= (YYYY-MM,
    a Paris calendar month; the current one by default)."""

    roles = READERS
    route = "/api/v1/reports/fair-use"
    arguments = ("month", "threshold")

    def builder(self, given, problems, *path):  # type: ignore[no-untyped-def]
        month = given.get("month") or month_key(self.now())
        try:
            month_bounds(month)
        except ValueError as exc:
            problems["month"] = str(exc)
        threshold = bounded_int(given.get("threshold", str(FAIR_USE_LIMIT)), 0, 10_000, "threshold", problems)
        return lambda: fair_use_report(month, threshold)
