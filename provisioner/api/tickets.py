"""Staff endpoints of the failure tickets (contract clause 4): list, open, read, run a transition, the report of
tickets at risk of or past their restoration target, and the credits due for a month.

Handlers only read the request and answer: inventory/ticket_rules.py decides, inventory/ticket_moves.py writes.
Support (and admin) may do everything; a technician may read tickets and run ``restore``, which the table says.
A body that cannot be read (not JSON, not an object, a malformed If-Match) is answered 400; one that reads but
holds fields that are wrong or refused, 422 with one line per field, as the equipment moves are; nothing is written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from inventory import ticket_moves, ticket_rules
from inventory.counts import count
from inventory.credit_report import as_per
from inventory.references import record_by_id
from inventory.ticket_deadlines import AT_RISK, Calendar
from inventory.ticket_views import active_tickets, at_risk_report, view_of, views
from inventory.tickets import FailureTicket
from provisioner.api.base import ApiError, BaseHandler
from provisioner.api.fields import Field, FieldProblem, bounded_int
from provisioner.api.reports import ReportHandler
from provisioner.api.transition_inputs import parse_inputs
from provisioner.lifecycle_rules import rules_for
from provisioner.report_output import plain
from provisioner.ticket_calendar import ticket_calendar
from sip_core.fair_use import month_bounds

READERS = ("support", "technician")  # and admin
WRITERS = ("support",)
#: Targets a list can be filtered on: those of tickets not restored yet.
LIST_TARGETS = ("on_track", "at_risk", "breached")
LIST_ARGUMENTS = ("state", "customer", "site", "target", "page", "per_page")
_REF = Field("id", "ref")
_TIME = Field("time", "datetime")
#: The inputs read from JSON here, the times; the table (inventory/ticket_rules.py) judges the text ones.
_INPUT_KINDS = {name: "datetime" for name, spec in ticket_rules.INPUTS.items() if spec.kind == "datetime"}


def as_json(value: Any) -> Any:
    """A view as JSON values: times in UTC ISO 8601 with Z, nested mappings too."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    return plain(value)


def refusal(refused: ticket_moves.TicketRefused) -> ApiError:
    """The answer for a ticket not opened or not moved: its status, why, and its state and allowed moves."""
    details = {} if refused.state is None else {"state": refused.state, "allowed": list(refused.allowed)}
    return ApiError(refused.status, refused.message, refused.fields, details)


def _parsed(name: str, value: Any, field: Field, problems: dict[str, str]) -> Any:
    try:
        return field.parse(value)
    except FieldProblem as exc:
        problems[name] = str(exc)
        return None


def opening_values(body: dict[str, Any]) -> dict[str, Any]:
    """The values a ticket is opened with, from JSON: ids as text, the time parsed; 422 for a malformed one."""
    given, problems = dict(body), {}
    for name in ("customer", "site", "equipment"):
        if body.get(name) is not None:
            given[name] = str(_parsed(name, body[name], _REF, problems))
    if body.get("notified_at") is not None:
        given["notified_at"] = _parsed("notified_at", body["notified_at"], _TIME, problems)
    if problems:
        raise ApiError(422, "the ticket cannot be opened: some fields are not valid", problems)
    return given


class TicketHandlerBase(BaseHandler):
    """What the ticket handlers share: the calendar of the settings, now, and a ticket as JSON."""

    roles = READERS

    @property
    def calendar(self) -> Calendar:
        return ticket_calendar(self.services.settings)

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def send_ticket(self, ticket: FailureTicket, status: int = 200) -> None:
        view = view_of(ticket, self.now(), self.calendar)
        view["allowed"] = list(ticket_rules.allowed_moves(ticket.facts(), self.caller.roles, self.now()))
        self.set_header("ETag", f'"{ticket.version}"')
        self.send(as_json(view), status)


class TicketsHandler(TicketHandlerBase):
    """GET: tickets, newest notification first, by state, customer, site or target; paged. POST: open one."""

    route = "/api/v1/tickets"

    def get(self) -> None:
        given = {name: self.get_query_argument(name) for name in self.request.query_arguments}
        problems = {name: f"unknown argument: expected one of {', '.join(LIST_ARGUMENTS)}"
                    for name in given if name not in LIST_ARGUMENTS}
        query: dict[str, Any] = {}
        if "state" in given:
            if given["state"] not in ticket_rules.STATES:
                problems["state"] = f"expected one of {', '.join(ticket_rules.STATES)}"
            query["state"] = given["state"]
        for name in ("customer", "site"):
            if name in given:
                try:
                    query[name] = str(_REF.parse_query(given[name]))
                except FieldProblem as exc:
                    problems[name] = str(exc)
        target = given.get("target")
        if target is not None and target not in LIST_TARGETS:
            problems["target"] = f"expected one of {', '.join(LIST_TARGETS)} (tickets not restored yet)"
        settings = self.services.settings.api
        page = bounded_int(given.get("page", "1"), 1, 1_000_000, "page", problems)
        per_page = bounded_int(given.get("per_page", str(settings.page_size)), 1, settings.max_page_size, "per_page",
                               problems)
        if problems:
            raise ApiError(400, "the query is not valid", problems)
        now, skip = self.now(), (page - 1) * per_page
        if target is None:
            collection = FailureTicket._get_collection()
            total = count(collection, query)
            found = list(collection.find(query).sort([("notified_at", -1), ("_id", -1)]).skip(skip).limit(per_page))
            items = views(found, now, self.calendar)
        else:
            active = [] if query.get("state", "open") not in ticket_rules.ACTIVE else active_tickets(query)
            matching = [view for view in views(active, now, self.calendar) if view["target"] == target]
            total, items = len(matching), matching[skip:skip + per_page]
        self.send({"items": [as_json(item) for item in items], "total": total, "page": page, "per_page": per_page})

    def post(self) -> None:
        if not self.caller.may(WRITERS):
            raise ApiError(403, f"opening a ticket needs one of the roles: {', '.join(WRITERS)}")
        key = self.idempotency_key()
        given = opening_values(self.json_body())
        rules, repeated = rules_for(self.services.settings), False
        try:
            if key is None:
                ticket = ticket_moves.open_ticket(given, self.actor, self.caller.roles, self.now(), self.calendar, rules)
            else:
                ticket, repeated = ticket_moves.open_ticket_once(given, key, self.actor, self.caller.roles, self.now(),
                                                                 self.calendar, rules)
        except ticket_moves.TicketRefused as refused:
            raise refusal(refused) from None
        self.set_header("Location", f"/api/v1/tickets/{ticket.pk}")
        self.send_ticket(ticket, 200 if repeated else 201)


class TicketHandler(TicketHandlerBase):
    """GET: one ticket, where it stands against its target, its device's replacement and the moves allowed."""

    route = "/api/v1/tickets/{id}"

    def get(self, ticket_id: str) -> None:
        ticket = record_by_id(FailureTicket, ticket_id)
        if ticket is None:
            raise ApiError(404, f"no failure ticket with id {ticket_id[:40]!r}")
        self.send_ticket(ticket)


class TicketTransitionHandler(TicketHandlerBase):
    """POST: run one transition on one ticket, inputs as the JSON body; If-Match: the version read (else 409)."""

    route = "/api/v1/tickets/{id}/transitions/{name}"

    def post(self, ticket_id: str, name: str) -> None:
        if name not in ticket_rules.MOVES and name not in ticket_rules.RECORDS:
            # Before the inputs are judged, as an equipment move's name is: no such transition is a 404 whatever sent.
            names = ", ".join([*ticket_rules.MOVES, *ticket_rules.RECORDS])
            raise ApiError(404, f"no ticket transition named {name[:40]!r}: expected one of {names}")
        # All that must be readable (headers, body) is read before any field is judged: 400 comes before 422.
        expected, body = self.expected_version(), self.json_body()
        given = parse_inputs(body, _INPUT_KINDS)
        try:
            ticket = ticket_moves.run(ticket_id, name, given, self.actor, self.caller.roles, self.now(),
                                      self.calendar, expected_version=expected)
        except ticket_moves.TicketRefused as refused:
            raise refusal(refused) from None
        self.send_ticket(ticket)


class TicketsAtRiskHandler(ReportHandler):
    """GET: tickets not restored with less than ?at_risk_minutes= (60) left before their target, or past it."""

    roles = READERS
    route = "/api/v1/reports/tickets-at-risk"
    arguments = ("at_risk_minutes",)

    def builder(self, given, problems, *path):  # type: ignore[no-untyped-def]
        default = str(int(AT_RISK.total_seconds() // 60))
        minutes = bounded_int(given.get("at_risk_minutes", default), 1, 1440, "at_risk_minutes", problems)
        now, calendar = self.now(), ticket_calendar(self.services.settings)
        return lambda: at_risk_report(now, calendar, dt.timedelta(minutes=minutes))


class CreditsDueHandler(ReportHandler):
    """GET: the service credits due for ?month= (this month by default), per customer or ?per=ticket
    (inventory/credit_report.py: the restoration counted as the target is, the 30-day cap)."""

    roles = ("support",)  # and admin: amounts owed to customers are not a technician's business
    route = "/api/v1/reports/credits-due"
    arguments = ("month", "per")

    def builder(self, given, problems, *path):  # type: ignore[no-untyped-def]
        month = given.get("month") or self.today().strftime("%Y-%m")
        per = given.get("per", "customer")
        if per not in ("customer", "ticket"):
            problems["per"] = "expected customer or ticket"
        bounds = None
        try:
            bounds = month_bounds(month)
        except ValueError as error:
            problems["month"] = str(error)
        calendar = ticket_calendar(self.services.settings)
        return lambda: as_per(self.services.reports.credits(month, *bounds, calendar), per)
