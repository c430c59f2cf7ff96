"""Booking an installation (support and admin, as POST /api/v1/appointments): find the site, choose a duration
and a technician (or any), see the free slots from the same function as GET /api/v1/appointments/free-slots
(`site_free_slots`), then book the chosen one, or a time typed by hand, with the API's own `book`. A conflict
(taken meanwhile, or a time already taken) names the appointment it meets and keeps the form."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId

from inventory.appointment_booking import BookingRefused, book, site_free_slots
from inventory.appointment_rules import ZONE
from inventory.contracts import Contract
from inventory.customers import Site
from inventory.equipment import Equipment
from inventory.references import record_by_id
from provisioner.api.appointments import OFFICE
from provisioner.web.installations.appointment_access import picked_technician, technician_choices
from provisioner.web.installations.appointment_calendar import (
    local_start,
    parse_clock,
    parse_day,
    parse_slot_value,
    slots_by_day,
)
from provisioner.web.installations.appointment_page import REFUSALS, WAITING_STATES
from provisioner.web.installations.booking_refusals import refusal_text
from provisioner.web.page_handler import PageHandler

MAX_SITES = 20
MAX_SLOTS = 60
MAX_ITEMS = 64
ENDED = ("terminated", "ended")
_SKILL = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass
class Request:
    """What the booking form says, read and bounded; `problems` holds the catalogue keys of what is wrong."""

    query: str = ""
    site: Site | None = None
    duration: int = 60
    technician: str = ""
    first_day: dt.date | None = None
    days: int = 7
    skills: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)


class BookingPage(PageHandler):
    """GET: the site search, the slot search and the free slots. POST: book a chosen slot (action=slot) or a
    time of one's own (action=manual)."""

    roles = OFFICE
    route = "/staff/appointments/new"

    def argument(self, name: str, default: str = "") -> str:
        """One field, from the query (GET) or the form (POST), trimmed and bounded."""
        value = self.get_argument(name, default) or default
        return value.strip()[:200]

    def read(self) -> Request:
        """The search the page was asked for."""
        today = dt.datetime.now(dt.UTC).astimezone(ZONE).date()
        asked = Request(query=self.argument("q"))
        site_id = self.argument("site")
        if site_id:
            asked.site = record_by_id(Site, site_id)
            if asked.site is None:
                asked.problems["site"] = "appt.no_such_site"
        duration = self.argument("duration", "60")
        asked.duration = int(duration) if duration.isdigit() and len(duration) < 4 else 0
        if not 15 <= asked.duration <= 720:
            asked.problems["duration"] = "appt.bad_duration"
        technician = self.argument("technician")
        asked.technician = technician if picked_technician(technician) is not None else ""
        asked.first_day = parse_day(self.argument("from"), today)
        if asked.first_day is None:
            asked.problems["from"] = "appt.bad_from"
        days = self.argument("days", "7")
        asked.days = int(days) if days.isdigit() and 1 <= int(days) <= 31 else 7
        asked.skills = sorted({s.strip().lower() for s in self.argument("skills").split(",") if s.strip()})
        if not all(_SKILL.match(skill) for skill in asked.skills):
            asked.problems["skills"] = "appt.bad_skills"
        return asked

    def get(self) -> None:
        self.show(self.read())

    async def post(self) -> None:
        asked = self.read()
        form = {name: self.argument(name) for name in ("contract", "notes", "date", "time", "slot")}
        form["equipment"] = [i for i in self.get_body_arguments("equipment") if ObjectId.is_valid(i)][:MAX_ITEMS]
        action = self.argument("action", "slot")
        if action == "slot" and not form["slot"] and form["date"] and form["time"]:
            # Enter in the time field sends the form's first button (no JavaScript to choose another): with no
            # slot picked and a time typed, the time is what the user meant to book.
            action = "manual"
        if asked.site is None or asked.problems:
            self.show(asked, form, "appt.fix_search", status=422)
            return
        if action == "manual":
            day, clock = parse_day(form["date"], None), parse_clock(form["time"])  # type: ignore[arg-type]
            technician = picked_technician(asked.technician)
            if technician is None:
                self.show(asked, form, "appt.manual_needs_technician", status=422)
                return
            if day is None or clock is None:
                self.show(asked, form, "appt.bad_manual_time", status=422)
                return
            start = local_start(day, clock)
        else:
            chosen = parse_slot_value(form["slot"])
            technician = picked_technician(chosen[0]) if chosen else None
            if chosen is None or technician is None:
                self.show(asked, form, "appt.choose_slot", status=422)
                return
            start = chosen[1]
        contract = record_by_id(Contract, form["contract"])
        if contract is None:
            self.show(asked, form, "appt.choose_contract", status=422)
            return
        items = list(Equipment.objects(pk__in=[ObjectId(i) for i in form["equipment"]]))
        site, actor, duration, skills = asked.site, self.actor, asked.duration, asked.skills
        notes = form["notes"][:2000] or None
        try:
            booked = await self.off_loop(
                lambda: book(site, technician, contract, start, duration, actor, skills, items, notes))
        except REFUSALS as refused:
            self.show(asked, form, None, status=getattr(refused, "status", 409),
                      error=refusal_text(self.refusal_words("appointment"), refused, technician.name))
            return
        self.redirect(f"/staff/appointments/{booked.pk}?done=booked")

    def show(self, asked: Request, form: dict[str, Any] | None = None, problem: str | None = None,
             status: int = 200, error: str | None = None) -> None:
        """The page: the sites found, the chosen site's contracts, equipment and free slots, and the form kept."""
        form = form or {"contract": "", "notes": "", "date": "", "time": "", "slot": "", "equipment": []}
        sites: list[Site] = []
        if asked.query and asked.site is None:
            # A case-insensitive prefix by $regex: the embedded database refuses mongoengine's string lookups.
            pattern = {"$regex": "^" + re.escape(asked.query[:100]), "$options": "i"}
            sites = list(Site.objects(__raw__={"$or": [{"name": pattern}, {"city": pattern}]})
                         .only("name", "city", "postcode").order_by("name", "id").limit(MAX_SITES))
        contracts, items, days, slot_problem = [], [], [], None
        site = asked.site
        if site is not None:
            contracts = list(Contract.objects(customer=site.customer.pk, state__nin=ENDED)
                             .only("reference", "state").order_by("reference").limit(50))
            items = list(Equipment.objects(site=site.pk, state__in=WAITING_STATES).order_by("serial").limit(MAX_ITEMS))
            if not asked.problems:
                now = dt.datetime.now(dt.UTC)
                start = max(now, local_start(asked.first_day, dt.time(0)))  # type: ignore[arg-type]
                try:
                    days = slots_by_day(site_free_slots(site, asked.duration, start, asked.days, asked.skills,
                                                       MAX_SLOTS, asked.technician or None))
                except BookingRefused as refused:
                    slot_problem = self.t("appt.site_not_served",
                                          detail=self.refusal_words("appointment").refusal(refused))
        problems = {name: self.t(key) for name, key in asked.problems.items()}
        self.render_page("booking.html", status=status, asked=asked, sites=sites, site=site, contracts=contracts,
                         items=items, days=days, form=form, problems=problems, slot_problem=slot_problem,
                         error=error or (self.t(problem) if problem else None), choices=technician_choices(),
                         max_slots=MAX_SLOTS, first_day=(asked.first_day or dt.date.today()).isoformat())
