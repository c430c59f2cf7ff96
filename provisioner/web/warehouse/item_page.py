"""One item's page (its record, its customer and site, its dates and deadlines, and its history as a timeline)
and its label as a PNG, with the API's label code (provisioner/equipment_labels.py)."""

from __future__ import annotations

from typing import Any

from inventory.customers import Customer, Site
from inventory.references import record_by_id, referenced_id
from provisioner.equipment_labels import item_label_png, label_file_name
from provisioner.web.messages import CATALOGUE
from provisioner.web.navigation import ITEM_ROLES, WAREHOUSE_ROLES
from provisioner.web.page_handler import PageHandler, page_count
from provisioner.web.warehouse import item_timeline
from provisioner.web.warehouse.item_list import item_or_404, shown_mac

#: The dates and deadlines an item's record carries, in the order of its life; shown when set.
DATES = ("staged_at", "shipped_at", "delivered_at", "installed_at", "in_service_at", "failure_noted_at",
         "replacement_due_at", "contract_ended_on", "return_due_on", "overdue_since", "returned_at",
         "warranty_end", "title_transferred_at")
#: Of those, the ones that are days (the others are moments).
DAYS = ("contract_ended_on", "return_due_on")


class ItemPage(PageHandler):
    """GET: one item and its history, newest first, 50 events a page (?page=)."""

    roles = ITEM_ROLES
    route = "/staff/items/{id}"

    def get(self, record_id: str) -> None:
        item = item_or_404(record_id)
        page = self.page_number()
        moments, total = item_timeline.timeline(str(item.pk), page)
        customer = record_by_id(Customer, referenced_id(item, "customer"))
        site = record_by_id(Site, referenced_id(item, "site"))
        dates = [(name, getattr(item, name)) for name in DATES if getattr(item, name, None)]
        self.render_page(
            "item.html", item=item, mac=shown_mac(item.mac), customer=customer, site=site, dates=dates, days=DAYS,
            moments=moments, total=total, page=page, pages=page_count(total, item_timeline.PER_PAGE),
            may_print=self.caller.may(WAREHOUSE_ROLES), state_name=self.state_name, money=self.money,
            charge_reason=self.t.charge, shown=self.shown, action_name=self.action_name)

    def action_name(self, moment: item_timeline.Moment) -> str:
        """What an event did, in words: its move, or create, update or delete (else as the log names it)."""
        key = f"timeline.move.{moment.move}" if moment.move else f"timeline.action.{moment.action}"
        return self.t(key) if key in CATALOGUE[self.t.language] else moment.action


    def shown(self, name: str, value: Any) -> str:
        """A notable input of a move as text: amounts in euros, lists joined, conditions in words."""
        if name in item_timeline.AMOUNTS and isinstance(value, int):
            return self.money(value)
        if isinstance(value, list):
            return ", ".join(str(part) for part in value)
        if name == "return_condition" and value in ("working", "damaged", "not_working"):
            return self.t(f"condition.{value}")
        return str(value)


class ItemLabelPage(PageHandler):
    """GET: the item's label, a PNG for a 62 x 29 mm thermal label at 300 dpi (warehouse, as the API's)."""

    roles = WAREHOUSE_ROLES
    route = "/staff/items/{id}/label.png"

    async def get(self, record_id: str) -> None:
        item = item_or_404(record_id)
        png = await self.off_loop(item_label_png, item, 300)
        self.set_header("Content-Type", "image/png")
        self.set_header("Content-Disposition", f'inline; filename="{label_file_name(item)}"')
        self.finish(png)
