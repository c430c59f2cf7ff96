"""The equipment list's filters and paging, as plain values: what the query string asks for, the database
filters that answer it (each through an index: docs/storage.rst), and where a page sits in the results.

Nothing here reads the database; provisioner/web/warehouse/item_list.py runs the filters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from inventory.catalogue import VENDORS
from inventory.equipment import EQUIPMENT_STATES
from inventory.mac import normalize_mac
from provisioner.labels import serial_from_payload

PER_PAGE = 50
MAX_PAGE = 1_000_000
MAX_SEARCH = 100
#: A filtered count reads the matching ids (NX-27017 counts by reading: inventory/counts.py, about 0.1 to 0.5 ms
#: an id when the index it picks does not narrow the filter); past this many the list says "more than"
#: instead, so that a broad filter among 100,000 items is counted within the page's 200 ms
#: (docs/benchmarks.rst, "Staff pages"). A label sheet may hold more (MAX_LABELS): printing a filter past
#: the count is offered, and refused with its reason when it goes past the sheet's limit.
COUNT_CAP = 200
#: The order of the list, ending on _id so that pages never overlap.
ORDER = [("serial", 1), ("_id", 1)]


@dataclass(frozen=True)
class ItemFilter:
    """What the list is asked for: a search text, a state, a vendor, a customer's reference and a page."""

    search: str = ""
    state: str = ""
    vendor: str = ""
    customer: str = ""
    page: int = 1

    @property
    def narrowed(self) -> bool:
        """Whether anything narrows the list (else every item, counted by estimate)."""
        return bool(self.search or self.state or self.vendor or self.customer)

    def query_string(self, page: int | None = None) -> str:
        """The query string of this filter (empty values left out), at `page` (this one by default)."""
        values = {"q": self.search, "state": self.state, "vendor": self.vendor, "customer": self.customer}
        shown = {name: value for name, value in values.items() if value}
        if (page or self.page) > 1:
            shown["page"] = str(page or self.page)
        return urlencode(shown)


def parse_filter(args: Mapping[str, str]) -> tuple[ItemFilter, dict[str, str]]:
    """The filter the query string `args` asks for, and field -> catalogue key of each value refused (left out
    of the filter)."""
    problems: dict[str, str] = {}
    search = args.get("q", "").strip()
    if len(search) > MAX_SEARCH:
        problems["q"], search = "items.bad_search", ""
    state = args.get("state", "")
    if state and state not in EQUIPMENT_STATES:
        problems["state"], state = "items.bad_state", ""
    vendor = args.get("vendor", "")
    if vendor and vendor not in VENDORS:
        problems["vendor"], vendor = "items.bad_vendor", ""
    customer = args.get("customer", "").strip().upper()[:40]
    page_text = args.get("page", "1")
    page = int(page_text) if page_text.isascii() and page_text.isdigit() and len(page_text) <= 7 else 0
    if not 1 <= page <= MAX_PAGE:
        problems["page"], page = "items.bad_page", 1
    return ItemFilter(search, state, vendor, customer, page), problems


def base_query(item_filter: ItemFilter, customer_id: str | None) -> dict[str, Any]:
    """The equality filters (state, vendor, customer id as stored: text) of `item_filter`."""
    query: dict[str, Any] = {}
    if item_filter.state:
        query["state"] = item_filter.state
    if item_filter.vendor:
        query["vendor"] = item_filter.vendor
    if customer_id:
        query["customer"] = customer_id
    return query


def search_queries(text: str) -> list[dict[str, Any]]:
    """The filters a search text may mean, to try in this order (the first that matches anything wins): our
    label's code (its serial, exactly); the start of a serial as typed; a MAC in any notation; the start of a
    serial in capitals. Each is an equality or a range on an indexed field: NX-27017 answers a case-insensitive
    regular expression by reading the whole collection."""
    text = text.strip()
    if not text:
        return [{}]
    labelled = serial_from_payload(text)
    if labelled is not None:
        return [{"serial": labelled}]
    found = [{"serial": prefix_range(text)}]
    try:
        found.append({"mac": normalize_mac(text)})
    except ValueError:
        pass
    if text.upper() != text:
        found.append({"serial": prefix_range(text.upper())})
    return found


def prefix_range(prefix: str) -> dict[str, str]:
    """A range that holds exactly the texts starting with `prefix` (non-empty)."""
    return {"$gte": prefix, "$lt": prefix[:-1] + chr(ord(prefix[-1]) + 1)}


@dataclass(frozen=True)
class Window:
    """Where one page sits: its number, its first row (1-based), whether pages follow, and the count (at most
    COUNT_CAP + 1 when capped)."""

    page: int
    first: int
    has_next: bool
    total: int
    capped: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def window(page: int, fetched: int, counted: int, per_page: int = PER_PAGE, cap: int | None = COUNT_CAP) -> Window:
    """The window of `page` given how many rows its read fetched (per_page + 1 at most: one more means a page
    follows) and how many were counted (`cap` + 1 means more than `cap`; None: an exact count)."""
    capped = cap is not None and counted > cap
    return Window(page, (page - 1) * per_page + 1, fetched > per_page, counted, capped)


def with_page(item_filter: ItemFilter, page: int) -> ItemFilter:
    """The same filter at another page."""
    return replace(item_filter, page=page)
