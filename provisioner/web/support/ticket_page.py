"""One failure ticket on the support pages: its deadlines, history, device and customer, and the transitions the
caller may run now, each a form posted to ticket_moves.run, the code POST /api/v1/tickets/{id}/transitions/{name}
runs; a refusal (role, state, inputs, a change meanwhile) is shown on the page and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from inventory import ticket_moves, ticket_rules
from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Event
from inventory.references import record_by_id
from inventory.ticket_views import view_of
from inventory.tickets import FailureTicket
from provisioner.web.page_handler import PageError
from provisioner.web.support import ticket_deadline_rows
from provisioner.web.support.support_page import TICKET_READERS, SupportPage

#: Events shown in a ticket's history, oldest first.
HISTORY_LIMIT = 200


def read_ticket(ticket_id: str, now: dt.datetime, calendar: Any, roles: tuple[str, ...]) -> dict[str, Any] | None:
    """The ticket's view with its deadlines, records, history and the moves `roles` may run now; None if none."""
    ticket = record_by_id(FailureTicket, ticket_id)
    if ticket is None:
        return None
    view = view_of(ticket, now, calendar)
    return {"ticket": view, "restoration": ticket_deadline_rows.restoration(view),
            "replacement": ticket_deadline_rows.replacement(view, now),
            "customer": record_by_id(Customer, view["customer"]), "site": record_by_id(Site, view["site"]),
            "device": record_by_id(Equipment, view["equipment"]) if view["equipment"] else None,
            "allowed": ticket_rules.allowed_moves(ticket.facts(), roles, now),
            "history": list(Event.objects(collection=FailureTicket._get_collection_name(), object_id=str(ticket.pk))
                            .order_by("at").limit(HISTORY_LIMIT))}


def move_of(name: str) -> ticket_rules.Move | None:
    """The transition or record named `name` in the table."""
    return ticket_rules.MOVES.get(name) or ticket_rules.RECORDS.get(name)


class TicketPage(SupportPage):
    """GET: one ticket. POST .../transitions/{name}: run that transition with the form's inputs."""

    roles = TICKET_READERS
    route = "/staff/support/tickets/{id}"

    async def get(self, ticket_id: str, name: str | None = None) -> None:
        await self.show(ticket_id)

    async def show(self, ticket_id: str, status: int = 200, refusal: str | None = None,
                   fields: dict[str, str] | None = None, tried: str | None = None,
                   given: dict[str, str] | None = None) -> None:
        read = await self.off_loop(read_ticket, ticket_id, self.now(), self.calendar, self.caller.roles)
        if read is None:
            raise PageError(404, "support.no_ticket")
        done = self.get_query_argument("done", "")
        self.render_page("support_ticket.html", status=status, **read, refusal=refusal, fields=fields or {},
                         tried=tried, given=given or {}, done=done if done == "opened" or move_of(done) else None, move_of=move_of,
                         inputs=ticket_rules.INPUTS, left_text=self.left_text, state_name=self.state_name,
                         excuses=ticket_rules.EXCUSES, may_preview=self.caller.may(TICKET_READERS),
                         field_name=self.refusal_words("ticket").field)

    async def post(self, ticket_id: str, name: str | None = None) -> None:
        move = move_of(name or "")
        if move is None:
            raise PageError(404, "support.no_move")
        form = {key: self.get_body_argument(key, "").strip() for key in (*move.requires, *move.optional)}
        given: dict[str, Any] = {key: value for key, value in form.items() if value}
        fields: dict[str, str] = {}
        if "restored_at" in given:
            moment = self.local_time(given["restored_at"])
            if moment is None:
                fields["restored_at"] = self.t("support.bad_time")
            given["restored_at"] = moment
        version = self.get_body_argument("version", "")
        if fields:
            await self.show(ticket_id, 422, self.t("support.refused.422", detail=fields["restored_at"]), fields, name,
                            form)
            return
        try:
            await self.off_loop(lambda: ticket_moves.run(
                ticket_id, name, given, self.actor, self.caller.roles, self.now(), self.calendar,
                expected_version=int(version) if version.isdigit() else None))
        except ticket_moves.TicketRefused as refused:
            await self.show(ticket_id, refused.status, self.refusal_text(refused),
                            self.refusal_words("ticket").problems(refused.problems), name, form)
            return
        self.redirect(f"/staff/support/tickets/{ticket_id}?done={name}")

    def refusal_text(self, refused: ticket_moves.TicketRefused) -> str:
        """Why a transition was refused, in the user's language (provisioner/web/refusals.py)."""
        key = f"support.refused.{refused.status}" if refused.status in (403, 404, 409, 422) else "support.refused.other"
        allowed = ", ".join(self.t(f"support.move.{name}") for name in refused.allowed) or self.t("support.none")
        return self.t(key, detail=self.refusal_words("ticket").refusal(refused), allowed=allowed)
