"""Reading what the reports need: thin queries that hand plain records to inventory/reports.py.

They keep to what NX-27017 answers fast (docs/storage.rst): equality on an indexed field, one state at a
time (``$in`` over states scans the whole collection), only the fields a report shows, ``$in`` on ``_id``
for names, and every comparison of dates or times made in Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from inventory import reports
from inventory.charges import ChargeLine
from inventory.contracts import Contract
from inventory.counts import count
from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Event
from inventory.insurance import InsuranceCertificate
from inventory.lifecycle import AT_CUSTOMER
from inventory.lines import Line
from inventory.record_names import RecordNames
from inventory.reports import Report
from inventory.sliced_reads import read_all

#: Below this many values, equalities one by one beat one `$in`, which scans the collection (docs/storage.rst).
EQUALITIES_BEFORE_IN = 32
#: Up to this many customers without valid insurance, their items are read customer by customer (indexed).
CUSTOMERS_ONE_BY_ONE = 300
_ITEM_FIELDS = {"serial": 1, "mac": 1, "state": 1, "customer": 1, "site": 1}


def _items(states: Iterable[str], fields: dict[str, int]) -> Iterator[dict[str, Any]]:
    """The equipment in each of `states`, one indexed equality per state, with only `fields`."""
    collection = Equipment._get_collection()
    for state in states:
        yield from collection.find({"state": state}, {**_ITEM_FIELDS, **fields})


def _named(records: list[dict[str, Any]], names: RecordNames | None) -> dict[str, dict[str, str]]:
    """The names of the customers and sites of `records` (read now unless a `names` cache is given)."""
    names = names or RecordNames()
    return {"customers": names.customers(r.get("customer") for r in records),
            "sites": names.sites(r.get("site") for r in records)}


#: What the overdue-returns report reads of an item.
OVERDUE_FIELDS = {**_ITEM_FIELDS, "return_due_on": 1, "overdue_since": 1}


def overdue_candidates() -> list[dict[str, Any]]:
    """The items in a state that may be late back (due, overdue, in repossession), with OVERDUE_FIELDS."""
    return list(_items(reports.OVERDUE_STATES, OVERDUE_FIELDS))


def overdue_returns(today: dt.date, names: RecordNames | None = None,
                    candidates: list[dict[str, Any]] | None = None) -> Report:
    """Lent items late back on `today`, among `candidates` (overdue_candidates() when not given)."""
    items = overdue_candidates() if candidates is None else candidates
    late = [i for i in items if reports.is_overdue(i["state"], reports.as_date(i.get("return_due_on")), today)]
    return reports.overdue_returns(late, today, **_named(late, names))


#: What the replacements report reads of a failed item, and of an item that may replace one.
REPLACEMENT_FIELDS = {**_ITEM_FIELDS, "replacement": 1, "replacement_due_at": 1, "failure_noted_at": 1}
REPLACING_FIELDS = {"replaces": 1, "state": 1}


def failed_items() -> list[dict[str, Any]]:
    """The failed items, with REPLACEMENT_FIELDS (the replacements report's candidates)."""
    return list(_items(("failed",), REPLACEMENT_FIELDS))


def replacing_items(failed_ids: list[str]) -> list[dict[str, Any]]:
    """The items replacing any of `failed_ids`, with REPLACING_FIELDS."""
    collection = Equipment._get_collection()
    if len(failed_ids) < EQUALITIES_BEFORE_IN:
        return [r for i in failed_ids for r in collection.find({"replaces": i}, REPLACING_FIELDS)]
    return list(collection.find({"replaces": {"$in": failed_ids}}, REPLACING_FIELDS))


def replacements(now: dt.datetime, at_risk_hours: float = reports.AT_RISK_HOURS,
                 names: RecordNames | None = None, failed: list[dict[str, Any]] | None = None,
                 replacing: list[dict[str, Any]] | None = None) -> Report:
    """Failed items whose replacement is at risk of missing, or has missed, its deadline (among `failed` and
    `replacing` when given: the report cache's kept items)."""
    failed = [i for i in (failed_items() if failed is None else failed) if i.get("replacement") == "due"]
    if replacing is None:
        replacing = replacing_items([str(i["_id"]) for i in failed])
    listed = {row["item"] for row in reports.replacements(failed, replacing, now, at_risk_hours).rows}
    named = _named([i for i in failed if str(i["_id"]) in listed], names)
    return reports.replacements(failed, replacing, now, at_risk_hours, **named)


def warranties(now: dt.datetime, within_days: int = reports.WITHIN_DAYS, names: RecordNames | None = None) -> Report:
    """Sold items whose warranty ends within `within_days` days."""
    fields = {"ownership": 1, "warranty_end": 1, "delivered_at": 1}
    items = [i for i in Equipment._get_collection().find({"ownership": "sold"}, {**_ITEM_FIELDS, **fields})]
    ending = reports.warranties_ending(items, now, within_days).rows
    kept = {row["item"] for row in ending}
    chosen = [i for i in items if str(i["_id"]) in kept]
    return reports.warranties_ending(chosen, now, within_days, **_named(chosen, names))


#: What the items-by-state and insurance reports read of an item.
PLACEMENT_FIELDS = {"state": 1, "site": 1, "customer": 1, "ownership": 1}


def placements() -> list[dict[str, Any]]:
    """Every item's state, site and customer (the whole fleet: seconds among 100,000 items on NX-27017, read in
    slices so that the database answers other requests meanwhile)."""
    return read_all(Equipment._get_collection(), PLACEMENT_FIELDS)


def states(by: str = "site", names: RecordNames | None = None, items: list[dict[str, Any]] | None = None) -> Report:
    """How many items are in each state, per site or per customer (among `items`, else every item)."""
    items = placements() if items is None else items
    return reports.items_by_state(items, by, **_named(items, names))


def insurance(today: dt.date, within_days: int = reports.WITHIN_DAYS, names: RecordNames | None = None,
              items: list[dict[str, Any]] | None = None) -> Report:
    """Sites holding lent equipment whose customer's insurance is missing, expired, not started or ending soon.

    Among `items` when given (the report cache's kept placements); else only the items of customers without a
    valid cover are read: by customer when they are few, else state by state over the fleet at the customers'.
    """
    certificates = list(InsuranceCertificate._get_collection().find(
        {}, {"customer": 1, "insurer": 1, "policy_number": 1, "starts_on": 1, "expires_on": 1}))
    by_customer: dict[str, list[dict[str, Any]]] = {}
    for certificate in certificates:
        by_customer.setdefault(certificate.get("customer") or "", []).append(certificate)
    insured = {customer for customer, held in by_customer.items()
               if reports.insurance_status(held, today, within_days)[0] == "valid"}
    found: Iterable[dict[str, Any]]
    if items is not None:
        found = (i for i in items if i.get("customer") and i["customer"] not in insured)
    else:
        candidates = [str(c["_id"]) for c in Customer._get_collection().find({}, {"_id": 1})
                      if str(c["_id"]) not in insured]
        fields = {"customer": 1, "site": 1, "state": 1, "ownership": 1}
        if len(candidates) <= CUSTOMERS_ONE_BY_ONE:
            collection = Equipment._get_collection()
            found = (i for c in candidates for i in collection.find({"customer": c}, fields))
        else:
            found = _items(sorted(AT_CUSTOMER), {"ownership": 1})
    held = [i for i in found if i.get("ownership") == "lent" and i.get("state") in AT_CUSTOMER]
    report = reports.insurance_alerts(held, certificates, today, within_days)
    return reports.insurance_alerts(held, certificates, today, within_days, **_named(report.rows, names))


# -- histories --------------------------------------------------------------------------------------


def _page(query: dict[str, Any], subject: str, page: int, per_page: int, newest_first: bool = False) -> Report:
    collection = Event._get_collection()
    order = -1 if newest_first else 1
    found = collection.find(query).sort([("at", order), ("_id", order)]).skip((page - 1) * per_page).limit(per_page)
    report = reports.history(list(found), subject, page, per_page, total=count(collection, query))
    if newest_first:  # reports.history sorts the page oldest first
        report.rows.reverse()
    return report


def equipment_history(item_id: str, page: int = 1, per_page: int = 50, newest_first: bool = False) -> Report:
    """Every event of one equipment item, oldest first (the API's order) or newest first (the item page's)."""
    return _page({"collection": "equipment", "object_id": item_id}, f"equipment {item_id}", page, per_page,
                 newest_first)


def user_history(username: str, page: int = 1, per_page: int = 50) -> Report:
    """Every change one member of staff made, oldest first."""
    return _page({"actor": username}, f"user {username}", page, per_page)


def customer_records(customer_id: str) -> dict[str, list[str]]:
    """Ids (text) of the records of one customer, by collection: itself, its sites, contracts, lines, insurance
    certificates, the equipment at its sites now and the equipment it was charged for (returned since)."""
    records = {"customers": [customer_id]}
    for document in (Site, Contract, Line, InsuranceCertificate, Equipment):
        found = document._get_collection().find({"customer": customer_id}, {"_id": 1})
        records[document._get_collection_name()] = [str(r["_id"]) for r in found]
    charged = ChargeLine._get_collection().find({"customer": customer_id}, {"item": 1})
    records["equipment"] = sorted(set(records["equipment"]) | {str(c["item"]) for c in charged if c.get("item")})
    return records


def customer_history(customer_id: str, page: int = 1, per_page: int = 50) -> Report:
    """Every event of one customer's records (see customer_records), oldest first."""
    collection = Event._get_collection()
    events = [event for name, ids in customer_records(customer_id).items() for object_id in ids
              for event in collection.find({"collection": name, "object_id": object_id})]
    return reports.history(events, f"customer {customer_id}", page, per_page)
