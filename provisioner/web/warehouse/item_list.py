"""The equipment list (search, filters, 50 a page, read page by page from the database) and the label sheets
printed from it: the items ticked, or every item of the filter, with the API's label code
(provisioner/equipment_labels.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bson import ObjectId

from inventory.catalogue import VENDORS
from inventory.counts import count_up_to
from inventory.customers import Customer
from inventory.equipment import EQUIPMENT_STATES, Equipment
from inventory.mac import format_mac
from inventory.record_names import RecordNames
from provisioner.equipment_labels import MAX_LABELS, RECORD_ID, items_by_ids, items_sheet_pdf
from provisioner.labels import PAGES
from provisioner.web.navigation import ITEM_ROLES, WAREHOUSE_ROLES
from provisioner.web.page_handler import PageError, PageHandler
from provisioner.web.warehouse import item_filters
from provisioner.web.warehouse.item_filters import ORDER, PER_PAGE, ItemFilter

#: What a row of the list shows.
ROW_FIELDS = {"serial": 1, "mac": 1, "vendor": 1, "model": 1, "ownership": 1, "state": 1, "customer": 1, "site": 1}


@dataclass(frozen=True)
class Found:
    """One page of the list: its rows (with their customer's and site's names), where it sits, and the
    database filter it answers (None when a filter value is unknown: nothing can match)."""

    rows: list[dict[str, Any]]
    window: item_filters.Window
    query: dict[str, Any] | None


def matching_query(item_filter: ItemFilter) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The database filter of `item_filter`: its equalities and the first reading of its search that matches
    anything; None (and the refusal) when its customer reference names no customer."""
    customer_id = None
    if item_filter.customer:
        customer = Customer._get_collection().find_one({"reference": item_filter.customer}, {"_id": 1})
        if customer is None:
            return None, {"customer": "items.bad_customer"}
        customer_id = str(customer["_id"])
    base = item_filters.base_query(item_filter, customer_id)
    collection = Equipment._get_collection()
    candidates = [{**base, **search} for search in item_filters.search_queries(item_filter.search)]
    for query in candidates[:-1]:
        if collection.find_one(query, {"_id": 1}) is not None:
            return query, {}
    return candidates[-1], {}


def find_items(item_filter: ItemFilter) -> tuple[Found, dict[str, str]]:
    """One page of the items `item_filter` asks for, and the refusals of its values."""
    query, problems = matching_query(item_filter)
    if query is None:
        return Found([], item_filters.window(1, 0, 0), None), problems
    collection = Equipment._get_collection()
    rows = list(collection.find(query, ROW_FIELDS).sort(ORDER)
                .skip((item_filter.page - 1) * PER_PAGE).limit(PER_PAGE + 1))
    if item_filter.page == 1 and len(rows) <= PER_PAGE:
        counted = len(rows)  # the first page holds them all: counting again would read them again
    else:
        counted = count_up_to(collection, query, item_filters.COUNT_CAP)
    window = item_filters.window(item_filter.page, len(rows), counted,
                                 cap=item_filters.COUNT_CAP if query else None)
    rows = rows[:PER_PAGE]
    names = RecordNames()
    customers = names.customers(row.get("customer") for row in rows)
    sites = names.sites(row.get("site") for row in rows)
    for row in rows:
        row["id"], row["mac_shown"] = str(row["_id"]), shown_mac(row.get("mac"))
        row["customer_name"], row["site_name"] = customers.get(row.get("customer"), ""), sites.get(row.get("site"), "")
    return Found(rows, window, query), problems


def shown_mac(mac: object) -> str:
    """A stored MAC as people read it (aa:bb:...), or as stored when it is not one the rules accept now."""
    try:
        return format_mac(mac)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(mac or "")


class ItemListPage(PageHandler):
    """GET: the equipment, by serial, 50 a page: ?q= (serial, MAC or label), ?state=, ?vendor=, ?customer=
    (a customer's reference), ?page=."""

    roles = ITEM_ROLES
    route = "/staff/items"

    def get(self) -> None:
        args = {name: self.get_query_argument(name) for name in ("q", "state", "vendor", "customer", "page")
                if self.get_query_argument(name, None) is not None}
        item_filter, problems = item_filters.parse_filter(args)
        self.show(item_filter, problems)

    def show(self, item_filter: ItemFilter, problems: dict[str, str], note: str | None = None,
             status: int = 200) -> None:
        """The list page of `item_filter`, with the refusals of its values and a note on the label sheet."""
        found, refused = find_items(item_filter)
        problems = {**problems, **refused}
        self.render_page(
            "items.html", status=status if not problems else 400, filter=item_filter, found=found,
            problems=problems, note=note, states=EQUIPMENT_STATES, vendors=sorted(VENDORS), papers=list(PAGES),
            may_print=self.caller.may(WAREHOUSE_ROLES), max_labels=MAX_LABELS,
            count_cap=item_filters.COUNT_CAP, page_link=lambda page: self.page_link(item_filter, page))

    @staticmethod
    def page_link(item_filter: ItemFilter, page: int) -> str:
        query = item_filter.query_string(page)
        return "/staff/items" + (f"?{query}" if query else "")


class LabelSheetPage(ItemListPage):
    """POST: the label sheet (PDF) of the items ticked on the list (action=ticked, ids=...) or of every item of
    its filter (action=filter, the filter's fields), at most MAX_LABELS, as the API's sheet endpoint allows."""

    roles = WAREHOUSE_ROLES
    route = "/staff/labels.pdf"

    async def post(self) -> None:
        args = {name: self.get_body_argument(name) for name in ("q", "state", "vendor", "customer")
                if self.get_body_argument(name, None) is not None}
        item_filter, problems = item_filters.parse_filter(args)
        paper = self.get_body_argument("paper", "A4")
        paper = paper if paper in PAGES else "A4"
        if self.get_body_argument("action", "ticked") == "filter":
            items, note = await self.off_loop(self._filtered, item_filter)
        else:
            items, note = self._ticked(self.get_body_arguments("ids"))
        if note or problems:
            self.show(item_filter, problems, note or "labels.nothing", status=400)
            return
        pdf = await self.off_loop(items_sheet_pdf, items, paper)
        self.set_header("Content-Type", "application/pdf")
        self.set_header("Content-Disposition", 'attachment; filename="labels.pdf"')
        self.finish(pdf)

    @staticmethod
    def _ticked(ids: list[str]) -> tuple[list[Equipment], str | None]:
        ids = list(dict.fromkeys(i for i in ids if RECORD_ID.match(i)))
        if not ids:
            return [], "labels.none_ticked"
        if len(ids) > MAX_LABELS:
            return [], "labels.too_many"
        found, _ = items_by_ids(ids)
        return found, None if found else "labels.nothing"

    @staticmethod
    def _filtered(item_filter: ItemFilter) -> tuple[list[Equipment], str | None]:
        query, _ = matching_query(item_filter)
        if query is None:
            return [], "labels.nothing"
        raws = list(Equipment._get_collection().find(query).sort(ORDER).limit(MAX_LABELS + 1))
        if len(raws) > MAX_LABELS:
            return [], "labels.too_many"
        return [Equipment._from_son(raw) for raw in raws], None if raws else "labels.nothing"


def item_or_404(record_id: str) -> Equipment:
    """The item of a page's path, or the 404 page (malformed ids too)."""
    item = Equipment.objects(pk=ObjectId(record_id)).first() if RECORD_ID.match(record_id) else None
    if item is None:
        raise PageError(404, "error.404")
    return item
