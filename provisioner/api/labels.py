"""Staff endpoints for printable equipment labels: one label as PNG, or sticker sheets as PDF for many items."""

from __future__ import annotations

from collections.abc import Sequence

from bson import ObjectId

from inventory.customers import Site
from inventory.equipment import EQUIPMENT_STATES, Equipment
from provisioner.api.base import ApiError, BaseHandler, record_or_404
from provisioner.api.fields import bounded_int
from provisioner.equipment_labels import (
    DPI_RANGE,
    MAX_LABELS,
    RECORD_ID,
    item_label_png,
    items_by_ids,
    items_sheet_pdf,
    label_file_name,
)
from provisioner.labels import PAGES

__all__ = ["DPI_RANGE", "MAX_LABELS", "LabelHandler", "LabelSheetHandler"]


class LabelHandler(BaseHandler):
    """GET: the label of one equipment item, a PNG for a 62 x 29 mm thermal label (?dpi=, 300 by default)."""

    roles = ("warehouse",)
    route = "/api/v1/equipment/{id}/label.png"

    async def get(self, record_id: str) -> None:
        problems: dict[str, str] = {}
        dpi = bounded_int(self.get_query_argument("dpi", "300"), *DPI_RANGE, "dpi", problems)
        if problems:
            raise ApiError(400, "the query is not valid", problems)
        item = _equipment(record_id)
        png = await self.off_loop(item_label_png, item, dpi)
        self.set_header("Content-Type", "image/png")
        self.set_header("Content-Disposition", f'inline; filename="{label_file_name(item)}"')
        self.finish(png)


class LabelSheetHandler(BaseHandler):
    """GET: sticker sheets (PDF) for the items named by exactly one of ?ids=a,b,c, ?site=<id> or ?state=<state>."""

    roles = ("warehouse",)
    route = "/api/v1/labels.pdf"

    async def get(self) -> None:
        problems: dict[str, str] = {}
        page = self.get_query_argument("page", "A4")
        if page not in PAGES:
            problems["page"] = f"expected one of {', '.join(PAGES)}"
        columns = bounded_int(self.get_query_argument("columns", "3"), 1, 10, "columns", problems)
        rows = bounded_int(self.get_query_argument("rows", "8"), 1, 30, "rows", problems)
        given = [name for name in ("ids", "site", "state") if self.get_query_argument(name, None) is not None]
        if not given:
            problems["ids"] = "name the items to print with one of ids, site or state"
        if len(given) > 1:
            problems.update({name: "name the items to print with only one of ids, site or state" for name in given})
        if problems:
            raise ApiError(400, "the query is not valid", problems)
        items = self._items(given[0], self.get_query_argument(given[0]))
        try:
            pdf = await self.off_loop(items_sheet_pdf, items, page, columns, rows)
        except ValueError as exc:  # the page so divided gives labels too small for their QR code or text
            raise ApiError(400, "the query is not valid", {"columns": str(exc), "rows": str(exc)}) from None
        self.set_header("Content-Type", "application/pdf")
        self.set_header("Content-Disposition", 'inline; filename="labels.pdf"')
        self.finish(pdf)

    def _items(self, selector: str, value: str) -> Sequence[Equipment]:
        """The items to print, in the order given (ids) or by serial; 400 or 404 when that cannot be."""
        if selector == "ids":
            ids = list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
            bad = [i for i in ids if not RECORD_ID.match(i)]
            if not ids or bad:
                wrong = f"; not record ids: {', '.join(bad)[:200]}" if bad else ""
                raise ApiError(400, "the query is not valid", {"ids": f"expected record ids separated by commas{wrong}"})
            if len(ids) > MAX_LABELS:
                raise ApiError(400, "the query is not valid", {"ids": f"at most {MAX_LABELS} items a request"})
            found, missing = items_by_ids(ids)
            if missing:
                raise ApiError(404, f"no equipment record with id {', '.join(missing)[:300]}")
            return found
        if selector == "site":
            if not RECORD_ID.match(value) or Site.objects(pk=ObjectId(value)).first() is None:
                raise ApiError(404, f"no site record with id {value[:40]!r}")
            query = {"site": value}  # references are stored as text ids (inventory/references.py)
        else:
            if value not in EQUIPMENT_STATES:
                raise ApiError(400, "the query is not valid", {"state": f"expected one of {', '.join(EQUIPMENT_STATES)}"})
            query = {"state": value}
        items = list(Equipment.objects(__raw__=query).order_by("serial").limit(MAX_LABELS + 1))
        if len(items) > MAX_LABELS:
            raise ApiError(400, f"more than {MAX_LABELS} items match: print them in smaller batches with ?ids=",
                           {selector: f"matches more than {MAX_LABELS} items"})
        if not items:
            raise ApiError(404, f"no equipment matches {selector}={value[:40]}")
        return items


def _equipment(record_id: str) -> Equipment:
    return record_or_404(Equipment, record_id, "equipment record")
