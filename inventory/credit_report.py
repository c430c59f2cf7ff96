"""The service credits due for a month (contract clause 4): each ticket restored that month with its credit,
and the rolling cap of 20 % over 30 days per customer and service; per ticket, or per customer.

Readings (docs/failures.rst, "Credits due"):

* The restoration time is counted as the 4-hour target is (``calendar.restoration_hours``): in business
  hours of the site's département by default, so a ticket that met its target never earns a credit, and a
  failure notified on Friday evening and restored on Monday morning is not a 60-hour one.
* The failed service's monthly rent: for telephony and internet the monthly service fees, for equipment the
  monthly equipment fees, of the customer's contracts running on the day of the restoration (added up when
  several run).
* The fees the cap is counted on: that same monthly fee; usage is not billed by this server, so none is
  counted.
* The cap looks back: the tickets restored in the 30 days before the month take their share of it first.
* No credit for an excused ticket, nor for one closed for want of the customer's answer
  (ticket_rules.gives_credit).

The rules are service_credits.py's; this module only gathers the tickets and the contracts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bson import ObjectId

from inventory.business_calendar import business_hours_between
from inventory.contracts import Contract
from inventory.customers import Customer, Site
from inventory.reports import Report, as_date
from inventory.service_credits import (
    CAP_WINDOW_DAYS,
    PARIS,
    CappedCredit,
    TicketCredit,
    WindowFees,
    apply_rolling_cap,
    ticket_credit,
)
from inventory.stored_times import as_utc
from inventory.ticket_deadlines import Calendar
from inventory.ticket_rules import gives_credit
from inventory.tickets import FailureTicket

TICKET_COLUMNS = ("customer", "customer_name", "number", "service", "notified_at", "restored_at",
                  "restoration_hours", "rate_percent", "monthly_rent_cents", "credit_cents", "capped_off_cents",
                  "due_cents", "no_credit_reason")
CUSTOMER_COLUMNS = ("customer", "customer_name", "month", "tickets", "credit_cents", "capped_off_cents", "due_cents")
#: Which contract fee is the failed service's rent.
RENT_FIELD = {"telephony": "monthly_service_fee_cents", "internet": "monthly_service_fee_cents",
              "equipment": "monthly_equipment_fee_cents"}


@dataclass(frozen=True)
class Restored:
    """What a credit needs of one restored ticket."""

    number: str
    customer: str
    service: str
    departement: str
    notified_at: dt.datetime
    restored_at: dt.datetime
    no_credit_reason: str  # "" when it may give a credit


def rent_on(contracts: Iterable[dict[str, Any]], service: str, day: dt.date) -> int:
    """The monthly rent of `service` on `day`: the fee of every contract running that day, added up."""
    total = 0
    for contract in contracts:
        start, end = as_date(contract.get("go_live_date")), as_date(contract.get("end_date"))
        if start is not None and start <= day and (end is None or day <= end):
            total += int(contract.get(RENT_FIELD[service]) or 0)
    return total


def credits(tickets: Iterable[Restored], contracts: dict[str, list[dict[str, Any]]],
            measure: Callable[[Restored], dt.timedelta]
            ) -> dict[tuple[str, str], list[tuple[Restored, TicketCredit, CappedCredit]]]:
    """Each ticket's credit before and under the rolling cap, by (customer, service), in order of restoration."""
    grouped: dict[tuple[str, str], list[Restored]] = defaultdict(list)
    for ticket in tickets:
        grouped[(ticket.customer, ticket.service)].append(ticket)
    return {key: _capped(restored, contracts.get(key[0], []), key[1], measure) for key, restored in grouped.items()}


def _capped(restored: list[Restored], owned: list[dict[str, Any]], service: str,
            measure: Callable[[Restored], dt.timedelta]) -> list[tuple[Restored, TicketCredit, CappedCredit]]:
    """One customer's tickets of one service: each one's credit, and what the cap leaves of it."""
    earned = {ticket.number: ticket_credit(ticket.number, ticket.notified_at, ticket.restored_at,
                                           rent_on(owned, service, ticket.restored_at.astimezone(PARIS).date()),
                                           excused=bool(ticket.no_credit_reason), duration=measure(ticket))
              for ticket in restored}

    def fees(first: dt.date, last: dt.date) -> int:
        # The rent of the window's first day: a contract starting or ending inside a window changes the next ones.
        return WindowFees(rent_on(owned, service, first))(first, last)

    by_number = {ticket.number: ticket for ticket in restored}
    return [(by_number[credit.ticket], earned[credit.ticket], credit)
            for credit in apply_rolling_cap(earned.values(), fees)]


def _restored(raw: dict[str, Any], sites: dict[str, dict]) -> Restored:
    site = sites.get(raw.get("site") or "", {})
    reason = "" if gives_credit(raw.get("excuse"), raw.get("closing_reason")) else (
        f"excused: {raw['excuse']}" if raw.get("excuse") else "closed for want of the customer's answer")
    return Restored(raw["number"], raw.get("customer") or "", raw["service"], site.get("departement") or "75",
                    as_utc(raw["notified_at"]), as_utc(raw["restored_at"]), reason)


def credits_due(first: dt.datetime, after: dt.datetime, calendar: Calendar, per: str = "customer") -> Report:
    """The credits due for the tickets restored from `first` to before `after` (a Paris month's bounds, as
    sip_core.fair_use.month_bounds gives them): one row per customer, or per ticket with `per="ticket"`."""
    if per not in ("customer", "ticket"):
        raise ValueError(f"per {per!r} is not valid: expected customer or ticket")
    if first.tzinfo is None or after.tzinfo is None or not first < after:
        raise ValueError(f"expected aware bounds, the first before the second: got {first} and {after}")
    month = first.astimezone(PARIS).strftime("%Y-%m")
    since = first - dt.timedelta(days=CAP_WINDOW_DAYS)
    raws = list(FailureTicket._get_collection().find({"restored_at": {"$gte": since, "$lt": after}}))
    sites = {str(raw["_id"]): raw for raw in Site._get_collection().find(
        {"_id": {"$in": [ObjectId(s) for s in {r.get("site") for r in raws} if s and ObjectId.is_valid(s)]}})}
    customer_ids = sorted({raw.get("customer") for raw in raws if raw.get("customer")})
    contracts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for contract in Contract._get_collection().find({"customer": {"$in": customer_ids}}):
        contracts[contract["customer"]].append(contract)
    names = {str(raw["_id"]): raw.get("name", "") for raw in Customer._get_collection().find(
        {"_id": {"$in": [ObjectId(c) for c in customer_ids if ObjectId.is_valid(c)]}}, {"name": 1})}

    def measure(ticket: Restored) -> dt.timedelta:
        if calendar.restoration_reading == "business":
            return business_hours_between(ticket.notified_at, ticket.restored_at, ticket.departement, calendar.hours)
        return ticket.restored_at - ticket.notified_at

    rows = []
    for (customer, _), pairs in sorted(credits((_restored(raw, sites) for raw in raws), contracts, measure).items()):
        for ticket, earned, credit in pairs:
            if not first <= ticket.restored_at < after:
                continue  # an earlier ticket, counted only for the cap
            rows.append({"customer": customer, "customer_name": names.get(customer, ""), "number": ticket.number,
                         "service": ticket.service, "notified_at": ticket.notified_at,
                         "restored_at": ticket.restored_at,
                         "restoration_hours": round(earned.duration.total_seconds() / 3600, 2),
                         "rate_percent": earned.rate_percent, "monthly_rent_cents": earned.monthly_rent_cents,
                         "credit_cents": credit.credit_cents, "capped_off_cents": credit.capped_off_cents,
                         "due_cents": credit.due_cents, "no_credit_reason": ticket.no_credit_reason})
    rows.sort(key=lambda row: (row["customer_name"], row["customer"], row["restored_at"], row["number"]))
    parameters = {"month": month, "per": "ticket", "restoration_hours": calendar.restoration_reading}
    return as_per(Report("credits-due", TICKET_COLUMNS, rows, parameters), per)


def as_per(per_ticket: Report, per: str) -> Report:
    """The report per ticket as it is (`per="ticket"`), or added up per customer (`per="customer"`)."""
    if per == "ticket":
        return per_ticket
    parameters = {**per_ticket.parameters, "per": "customer"}
    return Report("credits-due", CUSTOMER_COLUMNS, per_customer(per_ticket.rows, parameters["month"]), parameters)


def per_customer(rows: list[dict[str, Any]], month: str) -> list[dict[str, Any]]:
    """The rows of the report per ticket added up per customer, in the tickets' order (customer name first)."""
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        total = totals.setdefault(row["customer"], {"customer": row["customer"], "customer_name": row["customer_name"],
                                                    "month": month, "tickets": 0, "credit_cents": 0,
                                                    "capped_off_cents": 0, "due_cents": 0})
        total["tickets"] += 1
        for name in ("credit_cents", "capped_off_cents", "due_cents"):
            total[name] += row[name]
    return list(totals.values())
