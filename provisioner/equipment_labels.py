"""The labels of equipment records: what the API's label endpoints and the staff pages both print.

provisioner/labels.py draws labels from plain values; this module makes them from stored items (one PNG, or
sticker sheets as a PDF) and finds the items a sheet names, without any request handling.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bson import ObjectId

from inventory.equipment import Equipment
from provisioner.labels import LABEL_MM, Label, label_png, label_sheet_pdf

#: The most items one sheet prints: 21 A4 pages of 24, rendered in about two seconds (off the event loop).
MAX_LABELS = 500
#: Printers of thermal labels work at 203 or 300 dpi, a few at 600.
DPI_RANGE = (150, 600)
RECORD_ID = re.compile(r"^[0-9a-f]{24}$")


def label_of(item: Equipment) -> Label:
    """The label of an equipment record."""
    return Label.of(item.serial, item.mac, item.vendor, item.model, item.ownership)


def item_label_png(item: Equipment, dpi: int = 300) -> bytes:
    """One item's label, a PNG for a 62 x 29 mm thermal label; slow enough to call off the event loop."""
    return label_png(label_of(item), dpi, LABEL_MM)


def items_sheet_pdf(items: Sequence[Equipment], page: str = "A4", columns: int = 3, rows: int = 8) -> bytes:
    """The items' labels on sticker sheets, as a PDF; ValueError when the page so divided is too small for them."""
    return label_sheet_pdf([label_of(item) for item in items], page, columns, rows)


def items_by_ids(ids: Sequence[str]) -> tuple[list[Equipment], list[str]]:
    """The items of `ids` (record ids as text, checked by the caller) in the order given, and the ids of none."""
    found = {str(item.pk): item for item in Equipment.objects(pk__in=[ObjectId(i) for i in ids])}
    return [found[i] for i in ids if i in found], [i for i in ids if i not in found]


def label_file_name(item: Equipment) -> str:
    """The file name a label is offered under: serials may hold '/', which a file name may not."""
    return f"label-{re.sub(r'[^A-Za-z0-9._-]', '_', item.serial)}.png"
