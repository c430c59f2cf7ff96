"""The warehouse's shipping and delivery scan pages: the batch's inputs entered once (carrier, tracking number
and accessories; or the proof of delivery), then scan + Enter per item; each row says whether its item may
move, and "Submit the batch" moves the ready ones once (provisioner/web/warehouse/shipping_batch.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from inventory import lifecycle, lifecycle_inputs
from inventory.events import Actor
from inventory.refusals import Reason
from provisioner.api.lifecycle import MAX_SCAN_LENGTH, MAX_SCANS
from provisioner.lifecycle_rules import rules_for
from provisioner.web.warehouse import shipping_batch
from provisioner.web.warehouse.scan_batch import ScanBatchPage, entries_of


class ShippingScansPage(ScanBatchPage):
    """GET: an empty batch. POST: add a scan, look the batch up again (review), or run the move (submit)."""

    prefix = "shipping"
    move = "ship"
    route = "/staff/warehouse/shipping"

    def prepare(self) -> None:
        super().prepare()
        self.inputs_text = {name: self.get_body_argument(name, "")[:2000] if self.request.method == "POST" else ""
                            for name in shipping_batch.batch_inputs(self.move)}
        self.given, self.unreadable = shipping_batch.form_inputs(self.move, self.inputs_text, self.zone)

    def entry_of(self, scan: str) -> shipping_batch.Entry:
        return shipping_batch.Entry(scan)

    def entries(self) -> list[shipping_batch.Entry]:
        return entries_of(self.get_body_arguments("scans")[:MAX_SCANS], shipping_batch.Entry)

    def review(self, key: str, entries: list[Any]) -> tuple[list[Any], list[str]]:
        return shipping_batch.review(self.move, key, entries, self.given, self.caller.roles,
                                     rules_for(self.services.settings), dt.datetime.now(dt.timezone.utc))

    def refuse_submit(self, rows: list[Any]) -> str | None:
        return f"{self.prefix}.inputs_refused" if shipping_batch.input_problems(rows, self.unreadable) else None

    def submit(self, key: str, rows: list[Any], actor: Actor) -> list[Any]:
        return shipping_batch.submit(self.move, key, rows, actor, self.caller.roles, rules_for(self.services.settings))

    def show(self, key: str, rows: list[shipping_batch.Row], note: str | None, last: str | None = None,
             submitted: bool = False) -> None:
        """The page with the batch's inputs, its rows, and what became of the last scan."""
        posted = self.request.method == "POST" and self.get_body_argument("action", "scan") != "scan"
        problems = shipping_batch.input_problems(rows, self.unreadable) if posted else {}
        names = shipping_batch.batch_inputs(self.move)
        spec = lifecycle.MOVES[self.move]
        first_empty = next((name for name in spec.requires if name in names and not self.inputs_text[name].strip()),
                           None)
        self.render_page("shipping.html", key=key, rows=rows, note=note, last=last, submitted=submitted,
                         inputs=[(name, lifecycle_inputs.INPUTS[name], name in spec.requires) for name in names],
                         values=self.inputs_text, problems=problems, reason=self.reason,
                         focus=None if rows or last else first_empty, problem_text=self.problem_text,
                         done=sum(1 for row in rows if row.status in ("done", "repeated")),
                         ready=sum(1 for row in rows if row.status in ("ready", "already")),
                         **self.batch_values(rows, note, last))

    def reason(self, row: shipping_batch.Row) -> str:
        """Why a row does not move, in the user's language when the refusal is the item's state."""
        if row.status == "unknown":
            return self.t(f"{self.prefix}.unknown", scan=row.scan.strip()[:MAX_SCAN_LENGTH])
        return self.wrong_state(row, self.move) or self.t(f"{self.prefix}.refused", reason=self.refusal_text(row))

    def problem_text(self, name: str, why: Reason | str) -> str:
        """An input's problem in the user's language (the form's own words when it is missing); a problem of
        the form's text as the API reading it says it."""
        if isinstance(why, Reason) and why.code == "required":
            return self.t("shipping.input_required")
        return self.refusal_words("equipment").problem(name, why)


class DeliveryScansPage(ShippingScansPage):
    """The same page for the proof of delivery: the "deliver" move on every scanned item."""

    prefix = "shipping.deliver"
    move = "deliver"
    route = "/staff/warehouse/delivery"
