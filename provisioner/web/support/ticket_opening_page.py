"""Opening a failure ticket from the support pages: the failed device picked by its serial, MAC or label code
(the scan pages' `find_scanned`), its customer and site taken from it, the rest of what POST /api/v1/tickets takes
filled in; opened by `ticket_moves.open_ticket_once`, the API's code, which notes the device's failure through
the lifecycle. The form carries a key of its own (`form_key`), so that a form sent twice (a double click, a
reload) opens one ticket. A refusal names the field and what is expected; nothing is written then.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from inventory import ticket_moves, ticket_rules
from inventory.equipment import Equipment
from inventory.references import referenced_id
from inventory.refusals import Reason
from provisioner.lifecycle_rules import rules_for
from provisioner.scan_moves import find_scanned
from provisioner.web.support.support_page import TICKET_WRITERS, SupportPage

FORM_FIELDS = ("code", "service", "channel", "notified_at", "description", "form_key")
MAX_CODE = 64
FORM_KEY = re.compile(r"[0-9a-f]{32}")


class TicketOpeningPage(SupportPage):
    """GET: the form. POST: open the ticket, then show its page (its number and deadlines)."""

    roles = TICKET_WRITERS
    route = "/staff/support/tickets/new"

    def get(self) -> None:
        now = self.now().astimezone(self.zone).strftime("%Y-%m-%dT%H:%M")
        self.show({"service": "equipment", "channel": "phone", "notified_at": now, "form_key": uuid.uuid4().hex}, {})

    def show(self, form: dict[str, str], errors: dict[str, str], status: int = 200) -> None:
        self.render_page("support_ticket_new.html", status=status, form=form, errors=errors,
                         services=ticket_rules.SERVICES, channels=ticket_rules.CHANNELS, max_code=MAX_CODE,
                         text_limit=ticket_rules.TEXT_LIMIT)

    async def post(self) -> None:
        form = {name: self.get_body_argument(name, "").strip() for name in FORM_FIELDS}
        now = self.now()
        given: dict[str, Any] = {"service": form["service"], "channel": form["channel"],
                                 "description": form["description"],
                                 "notified_at": self.local_time(form["notified_at"]) if form["notified_at"] else now}
        errors: dict[str, str] = {}
        if given["notified_at"] is None:
            errors["notified_at"] = self.t("support.bad_time")
        item = await self.off_loop(find_scanned, form["code"][:MAX_CODE]) if form["code"] else None
        if not form["code"]:
            errors["code"] = self.t("support.required")
        elif item is None:
            errors["code"] = self.t("support.unknown_code", code=form["code"][:MAX_CODE])
        elif item.state != "failed" and item.state not in ticket_moves.NOTE_FAILURE_FROM:
            errors["code"] = self.cannot_fail(item)
        if errors:
            # The rest of the form checked by the rules too, so every mistake is said at once.
            placeholders = {"customer": "-", "site": "-", "equipment": "-"}
            checked = {k: v for k, v in given.items() if v is not None}
            problems = ticket_rules.opening_problems({**placeholders, **checked}, now)
            errors.update({k: self.problem(k, v) for k, v in problems.items() if k not in errors})
            self.show(form, errors, 422)
            return
        given.update(customer=referenced_id(item, "customer"), site=referenced_id(item, "site"),
                     equipment=str(item.pk))
        if not FORM_KEY.fullmatch(form["form_key"]):
            form["form_key"] = uuid.uuid4().hex  # a form of another kind, or tampered with: a key of its own
        try:
            ticket, _ = await self.off_loop(lambda: ticket_moves.open_ticket_once(
                given, f"page:{form['form_key']}", self.actor, self.caller.roles, self.now(), self.calendar,
                rules_for(self.services.settings)))
        except ticket_moves.TicketRefused as refused:
            # The device's fields, and this form's key (already used with other values), are said at the code.
            fields = {("code" if k in ("customer", "site", "equipment", "idempotency_key") else k): self.problem(k, v)
                      for k, v in refused.problems.items()}
            self.show(form, fields or {"code": self.refusal_words("ticket").refusal(refused)}, refused.status)
            return
        self.redirect(f"/staff/support/tickets/{ticket.pk}?done=opened")

    def cannot_fail(self, item: Equipment) -> str:
        """Why no failure can be noted on `item`, and the states in which one can."""
        states = [state for state in ticket_moves.NOTE_FAILURE_FROM] + ["failed"]
        return self.t("support.cannot_fail", serial=item.serial, state=self.state_name(item.state),
                      states=", ".join(self.state_name(s) for s in sorted(states)))

    def problem(self, name: str, why: Reason | str) -> str:
        """A field's problem, named, in the user's language (provisioner/web/refusals.py)."""
        words = self.refusal_words("ticket")
        label = self.t(f"support.field.{name}") if self.t.has(f"support.field.{name}") else words.field(name)
        return self.t("support.field_problem", field=label, problem=words.problem(name, why))
