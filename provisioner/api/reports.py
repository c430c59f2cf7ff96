"""Staff endpoints of the reports (overdue returns, replacements, warranties, states, insurance) and the
histories of an item, a customer or a member of staff; each as JSON, or CSV with ?format=csv."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from bson import ObjectId

from inventory import report_queries, reports
from inventory.customers import Customer
from inventory.equipment import Equipment
from inventory.events import Event
from inventory.reports import Report
from inventory.staff import User
from provisioner.api.base import ApiError, BaseHandler
from provisioner.api.fields import bounded_int
from provisioner.report_output import as_csv, as_json
from provisioner.ticket_calendar import calendar_today

READERS = ("support", "warehouse")  # and admin, who may read everything
_ID = re.compile(r"^[0-9a-f]{24}$")
_COMMON = ("format", "excel")


class ReportHandler(BaseHandler):
    """Base of the report endpoints: reads the query, builds the report, answers JSON or CSV."""

    roles = READERS
    #: Query arguments this report takes, besides format and excel.
    arguments: tuple[str, ...] = ()
    #: Row keys answered in JSON only (the histories' snapshots).
    json_only: tuple[str, ...] = ()

    async def get(self, *path: str) -> None:
        given = {name: self.get_query_argument(name) for name in self.request.query_arguments}
        problems = {name: f"unknown argument: expected one of {', '.join((*self.arguments, *_COMMON))}"
                    for name in given if name not in (*self.arguments, *_COMMON)}
        output = given.get("format", "json")
        if output not in ("json", "csv"):
            problems["format"] = "expected json or csv"
        if given.get("excel", "0") not in ("0", "1"):
            problems["excel"] = "expected 0 or 1"
        build = self.builder(given, problems, *path)
        if problems:
            raise ApiError(400, "the query is not valid", problems)
        # Off the event loop: a report over the whole fleet reads for seconds (docs/benchmarks.rst, "Reports").
        report = await self.off_loop(build)
        if output == "csv":
            stamp = self.today().isoformat()
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.set_header("Content-Disposition", f'attachment; filename="{report.name}-{stamp}.csv"')
            self.finish(as_csv(report, excel=given.get("excel") == "1").encode("utf-8"))
        else:
            self.send(as_json(report, self.json_only))

    def builder(self, given: dict[str, str], problems: dict[str, str], *path: str) -> Callable[[], Report]:
        """What builds the report once the query is checked; notes problems with the query in `problems`."""
        raise NotImplementedError

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        """Today's date where the items are (setting calendar.timezone)."""
        return calendar_today(self.services.settings, self.now())


class OverdueReturnsHandler(ReportHandler):
    """GET: lent items late back (due on a day that is over, overdue, or in repossession), the latest first."""

    route = "/api/v1/reports/overdue-returns"

    def builder(self, given, problems, *path):  # type: ignore[no-untyped-def]
        today = self.today()
        return lambda: self.services.reports.overdue_returns(today)


class ReplacementsHandler(ReportHandler):
    """GET: failed items whose replacement has not shipped, at risk (?at_risk_hours=, 12) or past its deadline."""

    route = "/api/v1/reports/replacements"
    arguments = ("at_risk_hours",)

    def builder(self, given, problems, *path):  # type: ignore[no-untyped-def]
        hours = bounded_int(given.get("at_risk_hours", str(reports.AT_RISK_HOURS)), 1, 72, "at_risk_hours", problems)
        now = self.now()
        return lambda: self.services.reports.replacements(now, hours)


class WarrantiesHandler(ReportHandler):
    """GET: sold items whose warranty ends within ?within_days= (30) days."""

    route = "/api/v1/reports/warranties"
    arguments = ("within_days",)

    def builder(self, given, problems, *path):  # type: ignore[no-untyped-def]
        days = bounded_int(given.get("within_days", str(reports.WITHIN_DAYS)), 1, 366, "within_days", problems)
        now = self.now()
        return lambda: self.services.reports.run(report_queries.warranties, now, days)


class StatesHandler(ReportHandler):
    """GET: how many items are in each state, per site (?by=site) or per customer (?by=customer)."""

    route = "/api/v1/reports/states"
    arguments = ("by",)

    def builder(self, given, problems, *path):  # type: ignore[no-untyped-def]
        by = given.get("by", "site")
        if by not in reports.GROUPINGS:
            problems["by"] = f"expected one of {', '.join(reports.GROUPINGS)}"
        return lambda: self.services.reports.states(by)


class InsuranceHandler(ReportHandler):
    """GET: sites holding lent equipment whose customer's insurance is missing, expired, not started, or ends
    within ?within_days= (30) days."""

    route = "/api/v1/reports/insurance"
    arguments = ("within_days",)

    def builder(self, given, problems, *path):  # type: ignore[no-untyped-def]
        days = bounded_int(given.get("within_days", str(reports.WITHIN_DAYS)), 1, 366, "within_days", problems)
        today = self.today()
        return lambda: self.services.reports.insurance(today, days)


class HistoryHandler(ReportHandler):
    """Base of the histories: paged (?page=, ?per_page= up to 500), oldest first, snapshots in JSON."""

    arguments = ("page", "per_page")
    json_only = ("before", "after")

    def paging(self, given: dict[str, str], problems: dict[str, str]) -> tuple[int, int]:
        return (bounded_int(given.get("page", "1"), 1, 1_000_000, "page", problems),
                bounded_int(given.get("per_page", "50"), 1, 500, "per_page", problems))


def _known(document: type, record_id: str, events: dict[str, str]) -> bool:
    """Whether the record exists, or did (it left events)."""
    if not _ID.match(record_id):
        return False
    return (document.objects(pk=ObjectId(record_id)).only("id").first() is not None
            or Event._get_collection().find_one(events, {"_id": 1}) is not None)


class EquipmentHistoryHandler(HistoryHandler):
    """GET: every event of one equipment item."""

    route = "/api/v1/history/equipment/{id}"

    def builder(self, given, problems, *path):  # type: ignore[no-untyped-def]
        item_id = path[0]
        page, per_page = self.paging(given, problems)
        if not problems and not _known(Equipment, item_id, {"collection": "equipment", "object_id": item_id}):
            raise ApiError(404, f"no equipment record with id {item_id[:40]!r}")
        return lambda: report_queries.equipment_history(item_id, page, per_page)


class CustomerHistoryHandler(HistoryHandler):
    """GET: every event of one customer's records: itself, its sites, contracts, lines, certificates, equipment."""

    route = "/api/v1/history/customers/{id}"

    def builder(self, given, problems, *path):  # type: ignore[no-untyped-def]
        customer_id = path[0]
        page, per_page = self.paging(given, problems)
        if not problems and not _known(Customer, customer_id, {"collection": "customers", "object_id": customer_id}):
            raise ApiError(404, f"no customer record with id {customer_id[:40]!r}")
        return lambda: report_queries.customer_history(customer_id, page, per_page)


class UserHistoryHandler(HistoryHandler):
    """GET: every change one member of staff made (admin only)."""

    roles = ("admin",)
    route = "/api/v1/history/users/{username}"

    def builder(self, given, problems, *path):  # type: ignore[no-untyped-def]
        username = path[0]
        page, per_page = self.paging(given, problems)
        if not problems and (len(username) > 80 or (
                User.objects(username=username).only("id").first() is None
                and Event._get_collection().find_one({"actor": username}, {"_id": 1}) is None)):
            raise ApiError(404, f"no member of staff named {username[:80]!r}")
        return lambda: report_queries.user_history(username, page, per_page)
