"""The support desk's list of active failure tickets: their 4-hour and 72-hour deadlines coloured by urgency and
said in words, filtered by state, customer and "at risk only", read a page at a time, nearest target first.

The tickets come from the database a page at a time: one query per active state (NX-27017 answers `$in` on a
field other than _id by scanning the collection), each sorted by the restoration target and limited to the end
of the page asked, then merged. "At risk only" keeps the first of them: a ticket with less than the report's
margin left (ticket_deadlines.AT_RISK, counted as the target is) has its target before the moment that margin
ends, in the business hours of any calendar of public holidays.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from inventory import ticket_rules
from inventory.business_calendar import HOLIDAY_SUBDIVISIONS, add_business_hours
from inventory.customers import Customer
from inventory.record_names import RecordNames
from inventory.stored_times import as_utc
from inventory.ticket_deadlines import AT_RISK, Calendar
from inventory.ticket_views import views
from inventory.tickets import FailureTicket
from provisioner.web.support import ticket_deadline_rows
from provisioner.web.support.support_page import TICKET_READERS, SupportPage

PER_PAGE = 25
#: The active states, in the lifecycle's order: the filter's choices.
ACTIVE_STATES = tuple(state for state in ticket_rules.STATES if state in ticket_rules.ACTIVE)
#: One département per calendar of public holidays (metropolitan France, then each local one).
HOLIDAY_CALENDARS = tuple({None: "75", **{sub: dep for dep, sub in HOLIDAY_SUBDIVISIONS.items()}}.values())


@dataclass(frozen=True)
class Filters:
    """What the list is filtered on: one active state or all, a customer's reference, at risk only."""

    state: str = ""
    customer: str = ""
    at_risk: bool = False

    def query(self, page: int) -> str:
        """The query string of this filter on page `page`."""
        given = {"state": self.state, "customer": self.customer, "at_risk": "1" if self.at_risk else "",
                 "page": str(page)}
        return urlencode({k: v for k, v in given.items() if v})


def at_risk_before(now: dt.datetime, calendar: Calendar) -> dt.datetime:
    """The latest target a ticket at risk can have now: when AT_RISK is over, counted as the targets are."""
    if calendar.restoration_reading == "calendar":
        return now + AT_RISK
    return max(add_business_hours(now, AT_RISK.total_seconds() / 3600, d, calendar.hours) for d in HOLIDAY_CALENDARS)


def read_page(filters: Filters, customer_id: str | None, page: int, now: dt.datetime, calendar: Calendar
              ) -> tuple[list[dict[str, Any]], bool]:
    """The views of page `page` of the active tickets matching `filters`, nearest target first, and whether
    more pages follow. No count: NX-27017 reads every matching id to count them (docs/storage.rst)."""
    collection = FailureTicket._get_collection()
    common: dict[str, Any] = {"customer": customer_id} if customer_id else {}
    queries = [{**common, "state": state} for state in ((filters.state,) if filters.state else ACTIVE_STATES)]
    end = page * PER_PAGE
    found = [raw for query in queries
             for raw in collection.find(query).sort([("restoration_due_at", 1), ("_id", 1)]).limit(end + 1)]
    found.sort(key=lambda raw: (as_utc(raw["restoration_due_at"]), raw["_id"]))
    if filters.at_risk:
        # Sorted by target, the tickets that may be at risk are the ones first: no datetime range in the filter
        # (NX-27017 compares them to the second, and slowly).
        before = at_risk_before(now, calendar)
        found = [raw for raw in found if as_utc(raw["restoration_due_at"]) < before]
    chosen = views(found[end - PER_PAGE:end], now, calendar)
    if filters.at_risk:  # the bound above may take in a ticket another holiday calendar still counts as on track
        chosen = [view for view in chosen if view["target"] in ("at_risk", "breached")]
    names = RecordNames()
    customers, sites = names.customers(view["customer"] for view in chosen), names.sites(view["site"] for view in chosen)
    for view in chosen:
        view["customer_name"] = customers.get(view["customer"] or "", "")
        view["site_name"] = sites.get(view["site"] or "", "")
        view["restoration"] = ticket_deadline_rows.restoration(view)
        view["replacement"] = ticket_deadline_rows.replacement(view, now)
    return chosen, len(found) > end


def customer_by_reference(reference: str) -> Customer | None:
    """The customer with this reference (through its unique index), or None."""
    return Customer.objects(reference=reference).only("id", "name", "reference").first()


class TicketListPage(SupportPage):
    """GET: the active tickets, ?state=, ?customer= (its reference), ?at_risk=1, ?page=."""

    roles = TICKET_READERS
    route = "/staff/support/tickets"

    async def get(self) -> None:
        page = self.page_number()
        state = self.get_query_argument("state", "")
        reference = self.get_query_argument("customer", "").strip()[:40]
        filters = Filters(state if state in ACTIVE_STATES else "", reference,
                          self.get_query_argument("at_risk", "") == "1")
        error = None
        customer_id = None
        if reference:
            customer = await self.off_loop(customer_by_reference, reference)
            if customer is None:
                error = self.t("support.no_customer", reference=reference)
            else:
                customer_id = str(customer.pk)
        rows, more = ([], False) if error else await self.off_loop(read_page, filters, customer_id, page, self.now(),
                                                                   self.calendar)
        self.render_page("support_tickets.html", rows=rows, more=more, page=page, filters=filters,
                         states=ACTIVE_STATES, error=error, left_text=self.left_text,
                         may_open=self.caller.may(("support",)), status=422 if error else 200)
