"""What the server keeps between two reports: the items that may be late back, every item's state, site and
customer, and the names of customers and sites, brought up to date from the event log before each report.

Among 100,000 items, reading the thousand or so that are due back or late takes NX-27017 about 130 ms (each
item carries its last move's event), and their customers' and sites' names about 60 ms more: over the
100 ms the overdue-returns report is allowed; every item's state for the items-by-state report, some
11 s. A ChangeFeed (provisioner/provisioning/record_changes.py, the
one the device cache follows) says which records changed since the last report: only those are read again,
by `_id`. When it cannot tell (first report, too many changes, an event missing), everything is read afresh.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from inventory import report_queries, reports
from inventory.equipment import Equipment
from inventory.record_names import RecordNames
from provisioner.provisioning.record_changes import ChangeFeed


class ReportCache:
    """Per process: the overdue-returns report's candidates and the names reports show; thread-safe."""

    def __init__(self, feed: ChangeFeed | None = None) -> None:
        self._feed = feed or ChangeFeed()
        self._lock = threading.Lock()
        self._names = RecordNames()
        self._candidates: dict[str, dict[str, Any]] | None = None
        #: Every item's (state, site, customer), the texts interned: about 18 MB for 100,000 items.
        self._placements: dict[str, tuple[str, str | None, str | None]] | None = None

    def overdue_returns(self, today: Any) -> reports.Report:
        """The overdue-returns report on `today`, from the kept candidates brought up to date."""
        with self._lock:
            self._refresh()
            if self._candidates is None:
                self._candidates = {str(i["_id"]): i for i in report_queries.overdue_candidates()}
            return report_queries.overdue_returns(today, self._names, list(self._candidates.values()))

    def states(self, by: str) -> reports.Report:
        """The items-by-state report, from every item's kept state, site and customer brought up to date."""
        with self._lock:
            self._refresh()
            if self._placements is None:
                self._placements = {str(i["_id"]): _placement(i) for i in report_queries.placements()}
            items = [{"state": state, "site": site, "customer": customer}
                     for state, site, customer in self._placements.values()]
            return report_queries.states(by, self._names, items)

    def run(self, build: Any, *args: Any) -> reports.Report:
        """Another report, `build(*args, names)` with the kept names brought up to date."""
        with self._lock:
            self._refresh()
            return build(*args, self._names)

    def _refresh(self) -> None:
        changes = self._feed.poll()
        if changes.everything:
            self._candidates = self._placements = None
            self._names.forget()
            return
        changed: dict[str, list[str]] = {"equipment": [], "customers": [], "sites": []}
        for key in changes.keys:
            collection, _, record_id = key.partition(":")
            if collection in changed:
                changed[collection].append(record_id)
        self._names.forget("customers", changed["customers"])
        self._names.forget("sites", changed["sites"])
        if self._candidates is not None or self._placements is not None:
            for item_id in changed["equipment"]:
                self._reread(item_id)

    def _reread(self, item_id: str) -> None:
        """Bring one changed item up to date: a candidate if it is (still, or now) in an overdue state, its
        placement unless it was deleted."""
        fields = {**report_queries.OVERDUE_FIELDS, **report_queries.PLACEMENT_FIELDS}
        try:
            found = Equipment._get_collection().find_one({"_id": ObjectId(item_id)}, fields)
        except (InvalidId, TypeError):
            return
        if self._candidates is not None:
            if found is not None and found.get("state") in reports.OVERDUE_STATES:
                self._candidates[item_id] = found
            else:
                self._candidates.pop(item_id, None)
        if self._placements is not None:
            if found is None:
                self._placements.pop(item_id, None)
            else:
                self._placements[item_id] = _placement(found)


def _placement(item: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """An item's (state, site, customer), sharing one copy of each text among the items."""
    site, customer = item.get("site"), item.get("customer")
    return (sys.intern(item.get("state") or ""), sys.intern(site) if site else None,
            sys.intern(customer) if customer else None)
