"""The reports' rules: which items are overdue, which replacements are at risk, which warranties end soon,
which customers hold lent equipment uninsured, and the counts of items by state. Pure functions over plain
records (dicts in the stored form: text ids, dates as dates or datetimes); inventory/report_queries.py
reads those records from the database and docs/reports.rst says what each report means.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from inventory.equipment import EQUIPMENT_STATES
from inventory.lifecycle import AT_CUSTOMER, GONE
from inventory.stored_times import as_utc

#: States of a lent item that the customer should have given back: due and not back yet, or worse.
OVERDUE_STATES = ("return_due", "overdue", "repossession")
#: States of a replacement that has left the warehouse: the failed item it replaces counts as replaced.
SHIPPED_OR_LATER = frozenset({"shipped", "returned", "inspected", "refurbishing"}) | AT_CUSTOMER
#: Default hours left under which a replacement not shipped yet is "at risk".
AT_RISK_HOURS = 12
#: Default days ahead that a warranty end or an insurance expiry is reported.
WITHIN_DAYS = 30

Record = Mapping[str, Any]
#: Rows without names (ids only), the default of every report.
NO_NAMES: Mapping[str, str] = MappingProxyType({})


@dataclass
class Report:
    """A report's rows, all with the same keys (`columns`, in order), and what it was asked for."""

    name: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    parameters: dict[str, Any] = field(default_factory=dict)
    total: int | None = None  # when `rows` is one page of more


def as_date(value: Any) -> dt.date | None:
    """A stored date (a datetime at midnight in the database, a date in Python) as a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _names(record: Record, customers: Mapping[str, str], sites: Mapping[str, str]) -> dict[str, Any]:
    customer, site = record.get("customer"), record.get("site")
    return {"customer": customer, "customer_name": customers.get(customer or "", ""),
            "site": site, "site_name": sites.get(site or "", "")}


# -- overdue returns (clause 3.6) --------------------------------------------------------------------

OVERDUE_COLUMNS = ("item", "serial", "mac", "state", "customer", "customer_name", "site", "site_name",
                   "return_due_on", "days_late", "overdue_since")


def is_overdue(state: str, return_due_on: dt.date | None, today: dt.date) -> bool:
    """Whether an item is late back: overdue or repossessed, or due back on a day that is over."""
    if state in ("overdue", "repossession"):
        return True
    return state == "return_due" and return_due_on is not None and return_due_on < today


def overdue_returns(items: Iterable[Record], today: dt.date, customers: Mapping[str, str] = NO_NAMES,
                    sites: Mapping[str, str] = NO_NAMES) -> Report:
    """Items late back on `today` (the date where the items are), the latest first."""
    rows = []
    for item in items:
        due = as_date(item.get("return_due_on"))
        if not is_overdue(item.get("state", ""), due, today):
            continue
        rows.append({"item": str(item["_id"]), "serial": item.get("serial"), "mac": item.get("mac"),
                     "state": item["state"], **_names(item, customers, sites), "return_due_on": due,
                     "days_late": (today - due).days if due else None,
                     "overdue_since": as_utc(item.get("overdue_since"))})
    rows.sort(key=lambda row: (-(row["days_late"] or 0), row["customer_name"], row["serial"] or ""))
    return Report("overdue-returns", OVERDUE_COLUMNS, rows, {"today": today})


# -- replacements within 72 hours (clause 4) ---------------------------------------------------------

REPLACEMENT_COLUMNS = ("item", "serial", "mac", "status", "customer", "customer_name", "site", "site_name",
                       "failure_noted_at", "replacement_due_at", "hours_left", "replacement", "replacement_state")


def replacement_status(due_at: dt.datetime, now: dt.datetime, at_risk_hours: float) -> str:
    """"breached" past the deadline, "at_risk" with less than `at_risk_hours` left, else "on_time"."""
    if now > due_at:
        return "breached"
    return "at_risk" if due_at - now < dt.timedelta(hours=at_risk_hours) else "on_time"


def replacements(failed: Iterable[Record], replacing: Iterable[Record], now: dt.datetime,
                 at_risk_hours: float = AT_RISK_HOURS, customers: Mapping[str, str] = NO_NAMES,
                 sites: Mapping[str, str] = NO_NAMES) -> Report:
    """Failed items owed a replacement that has not left the warehouse, at risk or past their deadline.

    `replacing` are the items whose `replaces` names one of `failed`: one shipped (or later) settles it.
    """
    shipped: dict[str, Record] = {}
    pending: dict[str, Record] = {}
    for other in replacing:
        target = other.get("replaces") or ""
        if other.get("state") in SHIPPED_OR_LATER:
            shipped[target] = other
        elif other.get("state") not in GONE:
            pending[target] = other
    rows = []
    for item in failed:
        item_id, due_at = str(item["_id"]), as_utc(item.get("replacement_due_at"))
        if item.get("state") != "failed" or item.get("replacement") != "due" or due_at is None or item_id in shipped:
            continue
        status = replacement_status(due_at, now, at_risk_hours)
        if status == "on_time":
            continue
        waiting = pending.get(item_id)
        rows.append({"item": item_id, "serial": item.get("serial"), "mac": item.get("mac"), "status": status,
                     **_names(item, customers, sites), "failure_noted_at": as_utc(item.get("failure_noted_at")),
                     "replacement_due_at": due_at, "hours_left": round((due_at - now).total_seconds() / 3600, 1),
                     "replacement": str(waiting["_id"]) if waiting else None,
                     "replacement_state": waiting.get("state") if waiting else None})
    rows.sort(key=lambda row: (row["replacement_due_at"], row["serial"] or ""))
    return Report("replacements", REPLACEMENT_COLUMNS, rows, {"now": now, "at_risk_hours": at_risk_hours})


# -- warranties (sold items: 12 months from delivery) ---------------------------------------------------

WARRANTY_COLUMNS = ("item", "serial", "mac", "state", "customer", "customer_name", "site", "site_name",
                    "delivered_at", "warranty_end", "days_left")


def warranties_ending(items: Iterable[Record], now: dt.datetime, within_days: int = WITHIN_DAYS,
                      customers: Mapping[str, str] = NO_NAMES, sites: Mapping[str, str] = NO_NAMES) -> Report:
    """Sold items still under warranty at `now` whose warranty ends within `within_days` days, soonest first.

    A warranty covers a failure noted before its end (inventory/lifecycle_effects.py): ending at `now` is ended.
    """
    horizon = now + dt.timedelta(days=within_days)
    rows = []
    for item in items:
        end = as_utc(item.get("warranty_end"))
        if item.get("ownership") != "sold" or item.get("state") in GONE or end is None or not now < end <= horizon:
            continue
        rows.append({"item": str(item["_id"]), "serial": item.get("serial"), "mac": item.get("mac"),
                     "state": item.get("state"), **_names(item, customers, sites),
                     "delivered_at": as_utc(item.get("delivered_at")), "warranty_end": end,
                     "days_left": (end - now).days})
    rows.sort(key=lambda row: (row["warranty_end"], row["serial"] or ""))
    return Report("warranties", WARRANTY_COLUMNS, rows, {"now": now, "within_days": within_days})


# -- items by state ------------------------------------------------------------------------------------

GROUPINGS = ("site", "customer")


def items_by_state(items: Iterable[Record], by: str = "site", customers: Mapping[str, str] = NO_NAMES,
                   sites: Mapping[str, str] = NO_NAMES, site_customers: Mapping[str, str] = NO_NAMES) -> Report:
    """How many items are in each state, per site (with its customer) or per customer; no site/customer: one row."""
    if by not in GROUPINGS:
        raise ValueError(f"cannot group by {by!r}: expected one of {', '.join(GROUPINGS)}")
    counts: dict[str | None, Counter[str]] = defaultdict(Counter)
    owners: dict[str | None, str | None] = {}
    for item in items:
        key = item.get(by) or None
        counts[key][item.get("state", "")] += 1
        if by == "site" and key is not None:
            owners.setdefault(key, item.get("customer") or site_customers.get(key))
    keys = ("customer", "customer_name", "site", "site_name") if by == "site" else ("customer", "customer_name")
    rows = []
    for key, tally in counts.items():
        if by == "site":
            customer = owners.get(key)
            row: dict[str, Any] = {"customer": customer, "customer_name": customers.get(customer or "", ""),
                                   "site": key, "site_name": sites.get(key or "", "")}
        else:
            row = {"customer": key, "customer_name": customers.get(key or "", "")}
        row.update({state: tally.get(state, 0) for state in EQUIPMENT_STATES})
        row["total"] = sum(tally.values())
        rows.append(row)
    rows.sort(key=lambda row: (row[keys[0]] is None, row["customer_name"], row.get("site_name", ""), row[keys[-2]] or ""))
    return Report("states", (*keys, *EQUIPMENT_STATES, "total"), rows, {"by": by})


# -- insurance (clause 3.7) ------------------------------------------------------------------------------

INSURANCE_COLUMNS = ("status", "customer", "customer_name", "site", "site_name", "lent_items", "insurer",
                     "policy_number", "starts_on", "expires_on", "covered_until")
#: Worst first: what the report lists, and in which order.
INSURANCE_STATUSES = ("missing", "expired", "not_started", "expiring")


def covered_until(certificates: Iterable[Record], today: dt.date) -> dt.date | None:
    """The last day of the customer's unbroken cover from `today` on (certificates may follow each other),
    or None when no certificate covers `today`."""
    spans = sorted((as_date(c.get("starts_on")), as_date(c.get("expires_on"))) for c in certificates
                   if as_date(c.get("starts_on")) and as_date(c.get("expires_on")))
    end: dt.date | None = None
    for start, stop in spans:
        if end is None:
            if start <= today <= stop:
                end = stop
        elif start <= end + dt.timedelta(days=1):
            end = max(end, stop)
    return end


def insurance_status(certificates: list[Record], today: dt.date, within_days: int = WITHIN_DAYS) -> tuple[str, Record | None]:
    """(status, the certificate shown) of a customer's cover on `today`: valid, expiring (its cover ends within
    `within_days` days), not_started (only later ones), expired (only past ones), or missing (none)."""
    if not certificates:
        return "missing", None
    by_expiry = sorted(certificates, key=lambda c: (as_date(c.get("expires_on")) or dt.date.min))
    until = covered_until(certificates, today)
    if until is not None:
        current = next(c for c in reversed(by_expiry)
                       if as_date(c["starts_on"]) <= today <= as_date(c["expires_on"]))
        return ("expiring" if until < today + dt.timedelta(days=within_days) else "valid"), current
    later = [c for c in certificates if as_date(c.get("starts_on")) > today]
    if later:
        return "not_started", min(later, key=lambda c: as_date(c["starts_on"]))
    return "expired", by_expiry[-1]


def insurance_alerts(lent_at_customers: Iterable[Record], certificates: Iterable[Record], today: dt.date,
                     within_days: int = WITHIN_DAYS, customers: Mapping[str, str] = NO_NAMES,
                     sites: Mapping[str, str] = NO_NAMES) -> Report:
    """One row per site holding lent equipment (at the customer's: delivered to repossession) whose customer has
    no valid insurance on `today`, or one whose cover ends within `within_days` days."""
    held: Counter[tuple[str, str | None]] = Counter()
    for item in lent_at_customers:
        if item.get("ownership") == "lent" and item.get("state") in AT_CUSTOMER and item.get("customer"):
            held[(item["customer"], item.get("site") or None)] += 1
    by_customer: dict[str, list[Record]] = defaultdict(list)
    for certificate in certificates:
        by_customer[certificate.get("customer") or ""].append(certificate)
    rows = []
    for (customer, site), lent in held.items():
        status, shown = insurance_status(by_customer.get(customer, []), today, within_days)
        if status == "valid":
            continue
        shown = shown or {}
        rows.append({"status": status, "customer": customer, "customer_name": customers.get(customer, ""),
                     "site": site, "site_name": sites.get(site or "", ""), "lent_items": lent,
                     "insurer": shown.get("insurer"), "policy_number": shown.get("policy_number"),
                     "starts_on": as_date(shown.get("starts_on")), "expires_on": as_date(shown.get("expires_on")),
                     "covered_until": covered_until(by_customer.get(customer, []), today)})
    rows.sort(key=lambda row: (INSURANCE_STATUSES.index(row["status"]), row["customer_name"], row["site_name"]))
    return Report("insurance", INSURANCE_COLUMNS, rows, {"today": today, "within_days": within_days})


# -- history ------------------------------------------------------------------------------------------

HISTORY_COLUMNS = ("at", "actor", "action", "collection", "object_id", "request_id", "source", "changed", "event")


def changed_fields(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[str]:
    """The fields an event changed, ignoring the bookkeeping ones (version, updated_at)."""
    before, after = before or {}, after or {}
    names = sorted((set(before) | set(after)) - {"_id", "version", "updated_at", "created_at"})
    return [name for name in names if before.get(name) != after.get(name)]


def history_row(event: Record) -> dict[str, Any]:
    """One event as a row of a history report (its snapshots kept aside for JSON)."""
    return {"at": as_utc(event.get("at")), "actor": event.get("actor"), "action": event.get("action"),
            "collection": event.get("collection"), "object_id": event.get("object_id"),
            "request_id": event.get("request_id") or "",
            "source": event.get("source") or "",
            "changed": " ".join(changed_fields(event.get("before"), event.get("after"))),
            "event": str(event.get("_id")), "before": event.get("before") or {}, "after": event.get("after") or {}}


def history(events: Iterable[Record], subject: str, page: int, per_page: int, total: int | None = None) -> Report:
    """A page of events about `subject`, oldest first (`events` already sorted, or all of them to sort here)."""
    rows = [history_row(event) for event in events]
    rows.sort(key=lambda row: (row["at"] or dt.datetime.min.replace(tzinfo=dt.UTC), row["event"]))
    if total is None:  # every event was given: page here
        total = len(rows)
        rows = rows[(page - 1) * per_page:page * per_page]
    return Report("history", HISTORY_COLUMNS, rows, {"subject": subject, "page": page, "per_page": per_page}, total)
