"""The service credits due for a month on the support pages, per customer (paged) with the ticket detail of the
customer picked, and as a CSV download: `credit_report.credits_due`, the function GET /api/v1/reports/credits-due calls, for the month picked
(last month by default, in the contract's time zone)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from inventory.credit_report import as_per, per_customer
from inventory.service_credits import PARIS
from provisioner.report_cache import ReportCache
from provisioner.report_output import as_csv
from provisioner.web.page_handler import page_count
from provisioner.web.support.support_page import SupportPage
from sip_core.fair_use import month_bounds

CREDIT_ROLES = ("support",)  # and admin, as the API: amounts owed to customers are not a technician's business


def last_month(now: dt.datetime) -> str:
    """The month before `now`'s, in Paris, as YYYY-MM."""
    first = now.astimezone(PARIS).date().replace(day=1)
    return (first - dt.timedelta(days=1)).strftime("%Y-%m")


#: Customers shown a page; the ticket detail is shown for one customer at a time (the CSV holds everything).
PER_PAGE = 50


def read_credits(kept: ReportCache, month: str, calendar: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The month's rows per customer and per ticket, from one reading (kept between visits); ValueError for a bad
    month."""
    per_ticket = kept.credits(month, *month_bounds(month), calendar)
    return per_customer(per_ticket.rows, month), per_ticket.rows


class CreditsPage(SupportPage):
    """GET: the credits due for ?month=YYYY-MM (last month by default), PER_PAGE customers a page (?page=), with
    the tickets of the customer picked (?customer=<id>)."""

    roles = CREDIT_ROLES
    route = "/staff/support/credits"

    async def get(self) -> None:
        month = self.get_query_argument("month", "").strip()[:7] or last_month(self.now())
        chosen = self.get_query_argument("customer", "").strip()[:40]
        page = self.get_query_argument("page", "1")
        page = int(page) if page.isdigit() and 0 < len(page) < 6 and int(page) > 0 else 1
        try:
            customers, tickets = await self.off_loop(read_credits, self.services.reports, month, self.calendar)
        except ValueError:
            self.render_page("support_credits.html", status=400, month=month, error=self.t("support.bad_month"),
                             customers=[], tickets=[], chosen="", page=1, pages=1, total_due=0, money=self.money)
            return
        if chosen and any(row["customer"] == chosen for row in customers):
            index = next(n for n, row in enumerate(customers) if row["customer"] == chosen)
            page = index // PER_PAGE + 1
        pages = page_count(len(customers), PER_PAGE)
        page = min(page, pages)
        self.render_page("support_credits.html", month=month, error=None,
                         customers=customers[(page - 1) * PER_PAGE:page * PER_PAGE], chosen=chosen,
                         tickets=[row for row in tickets if row["customer"] == chosen] if chosen else [],
                         page=page, pages=pages, total_due=sum(row["due_cents"] for row in customers),
                         money=self.money)


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
                             customers=[], tickets=[], chosen="", page=1, pages=1, total_due=0, money=self.money)
            return
        kept = self.services.reports
        report = await self.off_loop(lambda: as_per(kept.credits(month, *bounds, self.calendar), per))
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="credits-due-{month}-{per}.csv"')
        self.finish(as_csv(report).encode("utf-8"))
