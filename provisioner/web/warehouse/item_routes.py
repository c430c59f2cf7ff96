"""The URL table of the equipment pages: the CSV import, the equipment list, an item's page and the labels."""

from __future__ import annotations

from provisioner.services import Services
from provisioner.web.warehouse.item_list import ItemListPage, LabelSheetPage
from provisioner.web.warehouse.item_page import ItemLabelPage, ItemPage
from provisioner.web.warehouse.stock_import_page import StockImportPage, StockTemplatePage


def item_routes(services: Services) -> list[tuple]:
    """Paths and handlers of the equipment pages (before the staff pages' final 404)."""
    shared = {"services": services}
    return [
        (r"/staff/warehouse/import", StockImportPage, shared),
        (r"/staff/warehouse/import/template\.csv", StockTemplatePage, shared),
        (r"/staff/items", ItemListPage, shared),
        (r"/staff/items/([^/]+)", ItemPage, shared),
        (r"/staff/items/([^/]+)/label\.png", ItemLabelPage, shared),
        (r"/staff/labels\.pdf", LabelSheetPage, shared),
    ]
