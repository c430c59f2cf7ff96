"""The service credits due for a month on the support pages, per customer with each ticket's detail, and as a CSV
download: `credit_report.credits_due`, the function GET /api/v1/reports/credits-due calls, for the month picked
(last month by default, in the contract's time zone)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from inventory.credit_report import credits_due
from inventory.reports import Report
from inventory.service_credits import PARIS
from provisioner.report_output import as_csv
from provisioner.web.support.support_page import SupportPage
from sip_core.fair_use import month_bounds

CREDIT_ROLES = ("support",)  # and admin, as the API: amounts owed to customers are not a technician's business


def last_month(now: dt.datetime) -> str:
    """The month before `now`'s, in Paris, as YYYY-MM."""
    first = now.astimezone(PARIS).date().replace(day=1)
    return (first - dt.timedelta(days=1)).strftime("%Y-%m")


def read_credits(month: str, calendar: Any) -> tuple[Report, Report]:
    """The month's report per customer and per ticket (the same function, both readings); ValueError for a bad month."""
    bounds = month_bounds(month)
    return credits_due(*bounds, calendar, "customer"), credits_due(*bounds, calendar, "ticket")


class CreditsPage(SupportPage):
    """GET: the credits due for ?month=YYYY-MM (last month by default)."""

    roles = CREDIT_ROLES
    route = "/staff/support/credits"

    async def get(self) -> None:
        month = self.get_query_argument("month", "").strip()[:7] or last_month(self.now())
        try:
            per_customer, per_ticket = await self.off_loop(read_credits, month, self.calendar)
        except ValueError:
            self.render_page("support_credits.html", status=400, month=month, error=self.t("support.bad_month"),
                             customers=[], tickets={}, money=self.money)
            return
        tickets: dict[str, list[dict[str, Any]]] = {}
        for row in per_ticket.rows:
            tickets.setdefault(row["customer"], []).append(row)
        self.render_page("support_credits.html", month=month, error=None, customers=per_customer.rows,
                         tickets=tickets, money=self.money)


class CreditsCsvPage(SupportPage):
    """GET: the credits due for ?month= as CSV, ?per=customer (default) or ticket."""

    roles = CREDIT_ROLES
    route = "/staff/support/credits.csv"

    async def get(self) -> None:
        month = self.get_query_argument("month", "").strip()[:7] or last_month(self.now())
        per = self.get_query_argument("per", "customer")
        per = per if per in ("customer", "ticket") else "customer"
        try:
            bounds = month_bounds(month)
        except ValueError:
            self.render_page("support_credits.html", status=400, month=month, error=self.t("support.bad_month"),
                             customers=[], tickets={}, money=self.money)
            return
        report = await self.off_loop(credits_due, *bounds, self.calendar, per)
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="credits-due-{month}-{per}.csv"')
        self.finish(as_csv(report).encode("utf-8"))
