"""Staff endpoints of technicians (admin writes, support reads, a technician reads their own record), their
calendar feed's secret URL, and the feed itself.

Calendar clients cannot send our bearer token, so the feed is public at a URL holding a per-technician secret
token: random, kept only as its SHA-256, replaced or revoked at will. A wrong token and an unknown technician get
the same 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from inventory.appointment_rules import ZONE
from inventory.appointments import Appointment
from inventory.counts import count
from inventory.errors import StillReferenced
from inventory.events import Actor
from inventory.staff import User
from inventory.technicians import Technician
from provisioner.api.appointments import load, parse_field, unknown_fields
from provisioner.api.authentication import Caller
from provisioner.api.base import ApiError, BaseHandler, record_or_404
from provisioner.api.fields import Field, bounded_int
from provisioner.calendar_feed import feed_appointments, render_feed

_TIME = Field("moment", "datetime").render
#: Fields a body may hold, with how each reads from JSON ("map" and "int_map": objects of strings, integers).
FIELDS = {"user": "ref", "name": "string", "working_hours": "map", "zones": "string_list", "skills": "string_list",
          "travel_minutes": "int_map", "default_travel_minutes": "integer", "active": "boolean"}


def render_technician(technician: Technician) -> dict[str, Any]:
    """A technician as JSON; the feed token itself is never shown again, only whether there is one and its hint."""
    return {"id": str(technician.pk), "version": technician.version, "user": technician.to_mongo().get("user"),
            "name": technician.name, "working_hours": dict(technician.working_hours or {}),
            "zones": list(technician.zones or []), "skills": list(technician.skills or []),
            "travel_minutes": dict(technician.travel_minutes or {}),
            "default_travel_minutes": technician.default_travel_minutes, "active": bool(technician.active),
            "feed": {"active": bool(technician.feed_token_hash), "hint": technician.feed_token_hint or None},
            "created_at": _TIME(technician.created_at), "updated_at": _TIME(technician.updated_at)}


def _parse_map(name: str, value: Any, integers: bool, problems: dict[str, str]) -> dict[str, Any] | None:
    if not isinstance(value, dict) or len(value) > 120:
        problems[name] = "expected an object of at most 120 entries"
        return None
    wanted = int if integers else str
    if not all(isinstance(v, wanted) and not isinstance(v, bool) and len(k) <= 3 for k, v in value.items()):
        problems[name] = ("expected département codes to minutes, such as {\"75\": 30}" if integers
                          else "expected week days to hours, such as {\"mon\": \"08:00-17:00\"}")
        return None
    return dict(value)


def parse_technician(body: dict[str, Any], creating: bool) -> dict[str, Any]:
    """The changes a body asks for; a 422 names every field unknown, of the wrong shape, missing, or naming no user
    (the record's own rules, such as the zones, are checked on write: 422 too)."""
    problems = unknown_fields(body, tuple(FIELDS))
    changes: dict[str, Any] = {}
    for name, kind in FIELDS.items():
        if name not in body:
            if creating and name in ("user", "working_hours", "zones"):
                problems[name] = "required"
            continue
        if kind in ("map", "int_map"):
            changes[name] = _parse_map(name, body[name], kind == "int_map", problems)
        else:
            changes[name] = parse_field(body, name, kind, problems, required=name in ("user", "name", "zones"))
    user = load(User, changes.get("user"), "user", problems)
    if problems:
        raise ApiError(422, "the technician is not valid", problems)
    if user is not None:
        changes["user"] = user
        changes.setdefault("name", user.display_name or user.username)
    return changes


class TechniciansHandler(BaseHandler):
    """GET: every technician by name (paged: ?page=, ?per_page=). POST: record one (admin), linked to a staff
    user with the technician role."""

    roles = ("support",)
    route = "/api/v1/technicians"

    def get(self) -> None:
        given = {name: self.get_query_argument(name) for name in self.request.query_arguments}
        problems = {name: "unknown argument: expected page or per_page" for name in given
                    if name not in ("page", "per_page")}
        page = bounded_int(given.get("page", "1"), 1, 1_000_000, "page", problems)
        per_page = bounded_int(given.get("per_page", "50"), 1, 500, "per_page", problems)
        if problems:
            raise ApiError(400, "the query is not valid", problems)
        found = Technician.objects.order_by("name", "id").skip((page - 1) * per_page).limit(per_page)
        self.send({"items": [render_technician(t) for t in found], "page": page, "per_page": per_page,
                   "total": count(Technician._get_collection())})

    def post(self) -> None:
        if not self.caller.may(("admin",)):
            raise ApiError(403, "this needs the role: admin")
        technician = Technician(**parse_technician(self.json_body(), creating=True)).insert(self.actor)
        self.set_header("Location", f"/api/v1/technicians/{technician.pk}")
        self.send(render_technician(technician), status=201)


class TechnicianHandler(BaseHandler):
    """GET: one technician (support, admin, or the technician themself). PATCH, DELETE: admin, with If-Match."""

    roles = ("support", "technician")
    route = "/api/v1/technicians/{id}"

    def _mine_or_office(self, record_id: str) -> Technician:
        technician = record_or_404(Technician, record_id, "technician")
        if not self.caller.may(("support",)) and technician.to_mongo().get("user") != self.caller.user_id:
            raise ApiError(404, f"no technician with id {record_id[:40]!r}")
        return technician

    def get(self, record_id: str) -> None:
        technician = self._mine_or_office(record_id)
        self.set_header("ETag", f'"{technician.version}"')
        self.send(render_technician(technician))

    def patch(self, record_id: str) -> None:
        if not self.caller.may(("admin",)):
            raise ApiError(403, "this needs the role: admin")
        technician = record_or_404(Technician, record_id, "technician")
        # All that must be readable (If-Match, the body) is read before any field is judged: 400 comes before 422.
        expected, body = self.expected_version(), self.json_body()
        technician.update(self.actor, parse_technician(body, creating=False), expected)
        self.set_header("ETag", f'"{technician.version}"')
        self.send(render_technician(technician))

    def delete(self, record_id: str) -> None:
        if not self.caller.may(("admin",)):
            raise ApiError(403, "this needs the role: admin")
        technician = record_or_404(Technician, record_id, "technician")
        expected = self.expected_version()  # a malformed If-Match is 400 before any conflict
        used = count(Appointment._get_collection(), {"technician": str(technician.pk)})
        if used:
            raise StillReferenced("technicians", {"appointments": used})
        technician.remove(self.actor, expected)
        self.set_status(204)
        self.finish()


def feed_technician(caller: Caller, record_id: str) -> Technician:
    """The technician whose feed `caller` may manage (themself, or anyone for an admin); 404 otherwise."""
    technician = record_or_404(Technician, record_id, "technician")
    if not caller.may(("admin",)) and technician.to_mongo().get("user") != caller.user_id:
        raise ApiError(404, f"no technician with id {record_id[:40]!r}")
    return technician


def issue_feed_token(technician: Technician, actor: Actor, base: str) -> str:
    """Give the technician a new feed token (the previous URL stops working); the whole feed URL, under `base`
    ("https://host"), answered once. Shared with the staff pages."""
    token, changes = technician.new_feed_token()
    technician.update(actor, changes)
    return f"{base}/api/v1/technicians/{technician.pk}/calendar.ics?token={token}"


def revoke_feed_token(technician: Technician, actor: Actor) -> None:
    """Revoke the technician's feed token: its URL stops working."""
    technician.update(actor, {"feed_token_hash": None, "feed_token_hint": None})


class FeedTokenHandler(BaseHandler):
    """POST: a new secret feed URL for the technician (the previous one stops working); DELETE: revoke it.
    For the technician themself or an admin."""

    roles = ("technician",)
    route = "/api/v1/technicians/{id}/feed-token"

    def post(self, record_id: str) -> None:
        technician = feed_technician(self.caller, record_id)
        url = issue_feed_token(technician, self.actor, f"{self.request.protocol}://{self.request.host}")
        self.send({"technician": str(technician.pk), "url": url, "hint": technician.feed_token_hint}, status=201)

    def delete(self, record_id: str) -> None:
        revoke_feed_token(feed_technician(self.caller, record_id), self.actor)
        self.set_status(204)
        self.finish()


class CalendarFeedHandler(BaseHandler):
    """GET: the technician's appointments as iCalendar, for calendar clients; ?token= is the feed's secret."""

    roles = None  # the token in the URL is the credential
    route = "/api/v1/technicians/{id}/calendar.ics"

    def get(self, record_id: str) -> None:
        token = self.get_query_argument("token", "")
        try:
            technician = record_or_404(Technician, record_id, "technician")
        except ApiError:
            technician = None
        if technician is None or not technician.feed_token_matches(token):
            raise ApiError(404, "no calendar feed at this address: ask for a new feed URL")
        today = dt.datetime.now(dt.UTC).astimezone(ZONE).date()
        body = render_feed(technician, feed_appointments(technician, today),
                           self.services.settings.installation.calendar_domain)
        self.set_header("Content-Type", "text/calendar; charset=utf-8")
        self.set_header("Content-Disposition", f'inline; filename="technician-{technician.pk}.ics"')
        self.finish(body)
