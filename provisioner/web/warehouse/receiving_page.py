"""The warehouse's receiving page: goods-in of new equipment from the supplier. The clerk chooses the vendor and
model (from the catalogue) and the ownership once for the batch, then scans each box's two barcodes, serial
then MAC; each row is checked as a row of the CSV stock import, and "Submit the batch" creates the new items
once (provisioner/web/warehouse/receiving_batch.py).
"""

from __future__ import annotations

import re
from typing import Any

from inventory.catalogue import VENDORS
from inventory.equipment import OWNERSHIPS
from inventory.events import Actor
from provisioner.api.lifecycle import MAX_SCANS
from provisioner.provisioning.device_secrets import issue_secrets
from provisioner.web.warehouse import receiving_batch
from provisioner.web.warehouse.scan_batch import ScanBatchPage

#: French for the stock import's problems (inventory/stock_import.py, the Equipment rules say them in English):
#: a pattern of the English text and the catalogue key it becomes, given the pattern's named groups.
PROBLEMS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("", re.compile(r"^.* is also on line (?P<line>\d+)$"), "receiving.problem.twice"),
    ("", re.compile(r"^already stored for another item \((?P<detail>.*)\)$"), "receiving.problem.stored_other"),
    ("", re.compile(r"^this item is already stored as (?P<detail>.*)$"), "receiving.problem.stored_as"),
    ("mac", re.compile(r"^MAC address (?P<value>.*) is not valid: .*$"), "receiving.problem.mac"),
    ("mac", re.compile(r"^MAC address (?P<value>.*) is (all zeros|a multicast).*$"), "receiving.problem.mac"),
    ("model", re.compile(r"^unknown (?P<vendor>\S+) model (?P<value>.*): expected one of (?P<models>.*)$"),
     "receiving.problem.model"),
    ("vendor", re.compile(r"^unknown vendor (?P<value>.*): expected one of (?P<vendors>.*)$"),
     "receiving.problem.vendor"),
    ("serial", re.compile(r"^expected 3 to 64 .*$"), "receiving.problem.serial"),
    ("", re.compile(r"^empty: a value is required$"), "receiving.problem.empty"),
)


def problem_text(name: str, why: str) -> tuple[str, dict[str, str]]:
    """The catalogue key and values saying the stock import's problem `why` of field `name` (the generic
    "receiving.problem.other", which shows `why` as it is, when it is none of the known ones)."""
    for field_name, pattern, key in PROBLEMS:
        found = pattern.match(why)
        if found and field_name in ("", name):
            return key, {k: v for k, v in found.groupdict().items() if v is not None}
    return "receiving.problem.other", {"why": why}


class ReceivingPage(ScanBatchPage):
    """GET: an empty batch. POST: add a scanned item (serial, then MAC), look the batch up again, or create the
    batch's new items (submit)."""

    prefix = "receiving"
    route = "/staff/warehouse/receiving"

    def prepare(self) -> None:
        super().prepare()
        post = self.request.method == "POST"
        model = self.get_body_argument("model", "") if post else ""
        vendor, _, name = model.partition(":")
        ownership = self.get_body_argument("ownership", "") if post else ""
        self.choice = receiving_batch.Choice(vendor[:40], name[:40], ownership[:10])
        self.pending, self.refusal = "", None

    def scanned(self) -> tuple[str, Any]:
        entry, self.pending = receiving_batch.split_scan(self.get_body_argument("serial", "")[:200],
                                                         self.get_body_argument("mac", "")[:200])
        if (entry or self.pending) and not (self.choice.model and self.choice.ownership):
            self.pending, self.refusal = "", "receiving.choose_first"
            return "", None
        return (entry.scan, entry) if entry else ("", None)

    def entries(self) -> list[receiving_batch.Entry]:
        return receiving_batch.entries_from(self.get_body_arguments("serials")[:MAX_SCANS],
                                            self.get_body_arguments("macs")[:MAX_SCANS])

    def review(self, key: str, entries: list[Any]) -> tuple[list[Any], list[str]]:
        return receiving_batch.review(key, entries, self.choice), []

    def refuse_submit(self, rows: list[Any]) -> str | None:
        return None if self.choice.model and self.choice.ownership else "receiving.choose_first"

    def submit(self, key: str, rows: list[Any], actor: Actor) -> list[Any]:
        box = self.services.box
        return receiving_batch.submit(key, [row.entry for row in rows], self.choice, actor,
                                      lambda item: issue_secrets(item, box))

    def show(self, key: str, rows: list[receiving_batch.Row], note: str | None, last: str | None = None,
             submitted: bool = False) -> None:
        """The page with the batch's choices, its rows, and what became of the last scan."""
        note = note or self.refusal
        count = {status: sum(1 for row in rows if row.status == status) for status in ("done", "repeated", "ready")}
        self.render_page("receiving.html", key=key, rows=rows, note=note, last=last, submitted=submitted,
                         vendors=VENDORS, ownerships=OWNERSHIPS, choice=self.choice, pending=self.pending,
                         reason=self.reason, problem=self.problem, done=count["done"], repeated=count["repeated"],
                         ready=count["ready"], **self.batch_values(rows, note, last))

    def problem(self, name: str, why: str) -> str:
        """One problem of a row in the user's language, naming its field."""
        key, values = problem_text(name, why)
        return self.t("receiving.problem", field=self.t(f"receiving.field.{name}") if name in FIELDS else name,
                      why=self.t(key, **values))

    def reason(self, row: receiving_batch.Row) -> str:
        """Why a row is not created, in the user's language."""
        if row.status == "in_stock":
            return self.t("receiving.in_stock")
        return " ".join(self.problem(name, why) for name, why in row.problems)


#: The fields a stock import's problem may name.
FIELDS = ("serial", "mac", "vendor", "model", "ownership", "columns")
