"""Call records and the monthly fair-use report as reports (JSON, CSV, text table): what the API and the
`provisioner report` command give. The reads are inventory/call_records.py's, the fair-use rule
sip_core/fair_use.py's; this module only puts them into rows.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from inventory import call_records as stored
from inventory.reports import Report
from inventory.stored_times import as_utc
from provisioner.sip_call_log import month_records
from sip_core.fair_use import fair_use, month_bounds, past
from sip_core.fraud import FAIR_USE_ALERT_AT, FAIR_USE_LIMIT

CALL_COLUMNS = ("start", "answer", "end", "duration", "outcome", "status", "ended_by", "caller", "caller_number",
                "caller_line", "caller_site", "caller_customer", "dialled", "number", "destination_class",
                "callee_line", "callee_site", "callee_customer", "call_id", "id")
FAIR_USE_COLUMNS = ("line", "caller", "site", "customer", "distinct_numbers", "counted_calls", "state",
                    "alert_since", "over_since")
_TIMES = ("start", "answer", "end")


def day_bounds(first: dt.date | None, last: dt.date | None, timezone: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """From the midnight starting `first` to the one ending `last` (both days included), in `timezone`."""
    zone = ZoneInfo(timezone)
    since = dt.datetime.combine(first, dt.time(), zone) if first else None
    before = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone) if last else None
    return since, before


def call_records(filters: dict[str, str], first: dt.date | None, last: dt.date | None, timezone: str,
                 page: int = 1, per_page: int = 100) -> Report:
    """One page of call records, newest first: equality `filters` (inventory.call_records.FILTERS) and the days
    from `first` to `last` (included) where the staff are."""
    since, before = day_bounds(first, last, timezone)
    documents, total = stored.page(stored.query(filters, since, before), page, per_page)
    rows = []
    for document in documents:
        row = {column: document.get(column) for column in CALL_COLUMNS}
        row.update({time: as_utc(document.get(time)) for time in _TIMES}, id=str(document["_id"]))
        rows.append(row)
    parameters = {**filters, "from": first, "to": last, "page": page, "per_page": per_page}
    return Report("call-records", CALL_COLUMNS, rows, parameters, total)


def fair_use_report(month: str, threshold: int = FAIR_USE_LIMIT) -> Report:
    """The lines that called more than `threshold` distinct numbers in `month` ("2026-11"; clause 7.2c: 150),
    most first; their state against the contract's alert (120) and limit (150) whatever the threshold."""
    month_bounds(month)  # a ValueError naming the expected form, before any read
    uses = past(fair_use(month_records(month), month, FAIR_USE_ALERT_AT, FAIR_USE_LIMIT), threshold)
    rows = [{column: getattr(use, column) for column in FAIR_USE_COLUMNS} for use in uses]
    parameters = {"month": month, "threshold": threshold, "alert_at": FAIR_USE_ALERT_AT, "limit": FAIR_USE_LIMIT}
    return Report("fair-use", FAIR_USE_COLUMNS, rows, parameters)
