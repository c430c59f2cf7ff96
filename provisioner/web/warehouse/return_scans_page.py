"""The warehouse's scan-to-return page: scan + Enter adds an item to the batch, the page shows what each would
give (what was shipped, what came back, the condition, the charges), and "Submit the batch" checks them in.

The scan-batch flow (hidden fields, lookups off the event loop, one submit) is provisioner/web/warehouse/scan_batch.py's;
the check-in's rows are provisioner/web/warehouse/return_batch.py's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from inventory import lifecycle_inputs
from inventory.events import Actor
from provisioner.api.lifecycle import MAX_SCAN_LENGTH, MAX_SCANS
from provisioner.lifecycle_rules import rules_for
from provisioner.web.warehouse import return_batch
from provisioner.web.warehouse.scan_batch import ScanBatchPage


class ReturnScansPage(ScanBatchPage):
    """GET: an empty batch. POST: add a scan (action scan, what Enter in the scan field sends), look the batch up
    again (review), or check the batch in (submit)."""

    prefix = "returns"
    route = "/staff/warehouse/returns"

    def entry_of(self, scan: str) -> return_batch.Entry:
        return return_batch.Entry(scan)

    def entries(self) -> list[return_batch.Entry]:
        """The batch the form sent back: its scans, and the choices made on the rows it showed."""
        scans = self.get_body_arguments("scans")[:MAX_SCANS]
        return return_batch.entries_from(
            scans, {n: self.get_body_arguments(f"returned-{n}") for n in range(len(scans))},
            {n: self.get_body_argument(f"condition-{n}", lifecycle_inputs.CONDITIONS[0]) for n in range(len(scans))},
            [int(n) for n in self.get_body_arguments("shown") if n.isdigit() and len(n) < 4])

    def review(self, key: str, entries: list[Any]) -> tuple[list[Any], list[str]]:
        return return_batch.review(key, entries, self.caller.roles, rules_for(self.services.settings),
                                   dt.datetime.now(dt.timezone.utc))

    def submit(self, key: str, rows: list[Any], actor: Actor) -> list[Any]:
        return return_batch.submit(key, rows, actor, self.caller.roles, rules_for(self.services.settings))

    def show(self, key: str, rows: list[return_batch.Row], note: str | None, last: str | None = None,
             submitted: bool = False) -> None:
        """The page with the batch: its rows, and what became of the last scan."""
        self.render_page("returns.html", key=key, rows=rows, note=note, last=last, submitted=submitted,
                         conditions=lifecycle_inputs.CONDITIONS, money=self.money, reason=self.reason,
                         charge_reason=self.t.charge, total_cents=sum(row.charged_cents for row in rows),
                         done=sum(1 for row in rows if row.status in ("done", "repeated")),
                         **self.batch_values(rows, note, last))


    def reason(self, row: return_batch.Row) -> str:
        """Why a row is not checked in, in the user's language when the lifecycle's refusal is a wrong state."""
        if row.status == "unknown":
            return self.t("returns.unknown", scan=row.scan.strip()[:MAX_SCAN_LENGTH])
        return self.wrong_state(row, return_batch.MOVE) or self.t("returns.refused", reason=self.refusal_text(row))
