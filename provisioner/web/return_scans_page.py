"""The warehouse's scan-to-return page: scan + Enter adds an item to the batch, the page shows what each would
give (what was shipped, what came back, the condition, the charges), and "Submit the batch" checks them in.

No JavaScript: every scan posts the form, and the batch travels in hidden fields, looked up again on every post
(provisioner/web/return_batch.py). Lookups and moves run off the event loop, as the API's scan batches do.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import tornado.ioloop

from inventory import lifecycle
from inventory.equipment import EQUIPMENT_STATES
from provisioner.api.lifecycle import MAX_SCAN_LENGTH, MAX_SCANS
from provisioner.lifecycle_rules import rules_for
from provisioner.web import return_batch
from provisioner.web.navigation import WAREHOUSE_ROLES
from provisioner.web.page_handler import PageHandler

ACTIONS = ("scan", "review", "submit")


class ReturnScansPage(PageHandler):
    """GET: an empty batch. POST: add a scan (action scan, what Enter in the scan field sends), look the batch up
    again (review), or check the batch in (submit)."""

    roles = WAREHOUSE_ROLES
    route = "/staff/warehouse/returns"

    def get(self) -> None:
        self.show(return_batch.batch_key(None), [], None)

    async def post(self) -> None:
        action = self.get_body_argument("action", "scan")
        action = action if action in ACTIONS else "scan"
        key = return_batch.batch_key(self.get_body_argument("batch_key", None))
        entries = self.entries()
        scanned = self.get_body_argument("scan", "").strip() if action == "scan" else ""
        note = None
        if scanned:
            entries, note = return_batch.add_scan(entries, scanned)
        rules, roles, now = rules_for(self.services.settings), self.caller.roles, dt.datetime.now(dt.timezone.utc)
        loop = tornado.ioloop.IOLoop.current()
        rows, repeats = await loop.run_in_executor(None, return_batch.review, key, entries, roles, rules, now)
        if scanned and note is None:
            note = "returns.duplicate" if scanned in repeats else None
        if action == "submit" and not rows:
            note = "returns.nothing_to_submit"
        elif action == "submit":
            actor = dataclasses.replace(self.actor, source=f"return page {key} from {self.request.remote_ip or '-'}")
            rows = await loop.run_in_executor(None, return_batch.submit, key, rows, actor, roles, rules)
            self.show(key, rows, None, submitted=True)
            return
        self.show(key, rows, note, last=scanned or None)

    def entries(self) -> list[return_batch.Entry]:
        """The batch the form sent back: its scans, and the choices made on the rows it showed."""
        scans = self.get_body_arguments("scans")[:MAX_SCANS]
        return return_batch.entries_from(
            scans, {n: self.get_body_arguments(f"returned-{n}") for n in range(len(scans))},
            {n: self.get_body_argument(f"condition-{n}", lifecycle.CONDITIONS[0]) for n in range(len(scans))},
            [int(n) for n in self.get_body_arguments("shown") if n.isdigit() and len(n) < 4])

    def show(self, key: str, rows: list[return_batch.Row], note: str | None, last: str | None = None,
             submitted: bool = False) -> None:
        """The page with the batch: its rows, and what became of the last scan."""
        last_row = next((row for row in rows if row.scan == last), None) if last and note is None else None
        self.render_page("returns.html", key=key, rows=rows, note=note, last=last, last_row=last_row,
                         submitted=submitted, conditions=lifecycle.CONDITIONS, max_scans=MAX_SCANS,
                         max_length=MAX_SCAN_LENGTH, money=self.money, state_name=self.state_name,
                         reason=self.reason, charge_reason=self.t.charge,
                         total_cents=sum(row.charged_cents for row in rows),
                         done=sum(1 for row in rows if row.status in ("done", "repeated")))

    def money(self, cents: int) -> str:
        """An amount in euros, written the language's way."""
        return self.t("money", euros=f"{cents // 100:,}".replace(",", "\u202f"), cents=f"{cents % 100:02d}")

    def state_name(self, state: Any) -> str:
        return self.t(f"state.{state}") if state in EQUIPMENT_STATES else str(state or "")

    def reason(self, row: return_batch.Row) -> str:
        """Why a row is not checked in, in the user's language when the lifecycle's refusal is a wrong state."""
        if row.status == "unknown":
            return self.t("returns.unknown", scan=row.scan.strip()[:MAX_SCAN_LENGTH])
        if row.state is not None and row.state not in return_batch.RETURNABLE_STATES:
            return self.t("returns.wrong_state", state=self.state_name(row.state),
                          states=", ".join(self.state_name(state) for state in return_batch.RETURNABLE_STATES))
        return self.t("returns.refused", reason=row.refusal or "")
