"""What the server keeps between two reports: the items that may be late back, the failed items and those
replacing them, every item's state, site, customer and ownership, and the names of customers and sites, brought
up to date from the event log before each report.

Among 100,000 items, reading the thousand or so that are due back or late takes NX-27017 about 130 ms (each
item carries its last move's event), and their customers' and sites' names about 60 ms more: over the
100 ms the overdue-returns report is allowed; every item's state for the items-by-state report, some
11 s. A ChangeFeed (provisioner/provisioning/record_changes.py, the
one the device cache follows) says which records changed since the last report: only those are read again,
by `_id`, a slice at a time. When it cannot tell (first report, too many changes, an event missing), everything is read afresh.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bson import ObjectId

from inventory import report_queries, reports
from inventory.credit_report import credits_due
from inventory.equipment import Equipment
from inventory.record_names import RecordNames
from inventory.references import records_by_id
from provisioner.provisioning.record_changes import ChangeFeed

#: The collections the credits due are counted from.
CREDIT_SOURCES = frozenset({"failure_tickets", "contracts", "customers", "sites"})
#: Changed items read again in one `{"_id": {"$in": [...]}}` at most: NX-27017 answers it through the primary key
#: (docs/storage.rst), so 2,000 changed items take 4 queries instead of 2,000 `find_one`.
REREAD_SLICE = 500
#: What is read again of a changed item: what any of the kept reports keeps of it.
REREAD_FIELDS = {**report_queries.OVERDUE_FIELDS, **report_queries.PLACEMENT_FIELDS,
                 **report_queries.REPLACEMENT_FIELDS, **report_queries.REPLACING_FIELDS}


class ReportCache:
    """Per process: what the reports keep (see the module's docstring) and the names they show; thread-safe."""

    def __init__(self, feed: ChangeFeed | None = None) -> None:
        self._feed = feed or ChangeFeed()
        self._lock = threading.Lock()
        self._names = RecordNames()
        self._candidates: dict[str, dict[str, Any]] | None = None
        #: Every item's (state, site, customer, ownership), the texts interned: about 20 MB for 100,000 items.
        self._placements: dict[str, tuple[str, str | None, str | None, str]] | None = None
        #: The placements as the reports read them, kept until one changes (building them takes some 30 ms).
        self._placed_rows: list[dict[str, Any]] | None = None
        #: The credits due per ticket of each month asked for (and the calendar they were counted with), kept until
        #: a ticket, contract, customer or site changes: a month's tickets take NX-27017 some 150 ms to read.
        self._credits: dict[str, tuple[Any, reports.Report]] = {}
        #: The failed items, and the items replacing one (their `replaces` and state), for the replacements report.
        self._failed: dict[str, dict[str, Any]] | None = None
        self._replacing: dict[str, dict[str, Any]] | None = None

    @contextmanager
    def caught_up(self) -> Iterator[KeptReports]:
        """Several reports from one catch-up: the change feed is polled once and the lock held until the block
        ends (the warehouse dashboard's four reports; each method below is one report with its own catch-up)."""
        with self._lock:
            self._refresh()
            kept = KeptReports(self)
            try:
                yield kept
            finally:
                kept.close()

    def overdue_returns(self, today: Any) -> reports.Report:
        """The overdue-returns report on `today`, from the kept candidates brought up to date."""
        with self.caught_up() as kept:
            return kept.overdue_returns(today)

    def states(self, by: str) -> reports.Report:
        """The items-by-state report, from every item's kept state, site and customer brought up to date."""
        with self.caught_up() as kept:
            return kept.states(by)

    def state_totals(self) -> dict[str, int]:
        """How many items are in each state, over the whole fleet, from the kept placements."""
        with self.caught_up() as kept:
            return kept.state_totals()

    def insurance(self, today: Any, within_days: int) -> reports.Report:
        """The insurance report, from every item's kept placement (certificates and customers read now)."""
        with self.caught_up() as kept:
            return kept.insurance(today, within_days)

    def replacements(self, now: Any, at_risk_hours: float) -> reports.Report:
        """The replacements report, from the kept failed items and the items replacing them."""
        with self.caught_up() as kept:
            return kept.replacements(now, at_risk_hours)

    def credits(self, month: str, first: Any, after: Any, calendar: Any) -> reports.Report:
        """The credits due per ticket for `month` (from `first` to before `after`), counted with `calendar`."""
        with self.caught_up() as kept:
            return kept.credits(month, first, after, calendar)

    def run(self, build: Any, *args: Any) -> reports.Report:
        """Another report, `build(*args, names)` with the kept names brought up to date."""
        with self.caught_up() as kept:
            return kept.run(build, *args)

    def _overdue_candidates(self) -> list[dict[str, Any]]:
        """The kept items that may be late back (read first when not kept yet)."""
        if self._candidates is None:
            self._candidates = {str(i["_id"]): i for i in report_queries.overdue_candidates()}
        return list(self._candidates.values())

    def _failed_items(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The kept failed items and the items replacing them (read first when not kept yet)."""
        if self._failed is None or self._replacing is None:
            self._failed = {str(i["_id"]): i for i in report_queries.failed_items()}
            self._replacing = {str(i["_id"]): i for i in report_queries.replacing_items(list(self._failed))}
        return list(self._failed.values()), list(self._replacing.values())

    def _kept_placements(self) -> dict[str, tuple[str, str | None, str | None, str]]:
        """Every item's kept placement by id (read first when not kept yet)."""
        if self._placements is None:
            self._placements = {str(i["_id"]): _placement(i) for i in report_queries.placements()}
            self._placed_rows = None
        return self._placements

    def _placed(self) -> list[dict[str, Any]]:
        """Every item's kept placement, as the reports read an item."""
        placements = self._kept_placements()
        if self._placed_rows is None:
            self._placed_rows = [{"state": state, "site": site, "customer": customer, "ownership": ownership}
                                 for state, site, customer, ownership in placements.values()]
        return self._placed_rows

    def _refresh(self) -> None:
        changes = self._feed.poll()
        if changes.everything:
            self._candidates = self._placements = self._failed = self._replacing = None
            self._credits.clear()
            self._names.forget()
            return
        if changes.collections & CREDIT_SOURCES:
            self._credits.clear()
        changed: dict[str, list[str]] = {"equipment": [], "customers": [], "sites": []}
        for key in changes.keys:
            collection, _, record_id = key.partition(":")
            if collection in changed:
                changed[collection].append(record_id)
        self._names.forget("customers", changed["customers"])
        self._names.forget("sites", changed["sites"])
        if any(kept is not None for kept in (self._candidates, self._placements, self._failed)):
            self._reread(changed["equipment"])

    def _reread(self, item_ids: list[str]) -> None:
        """Bring the changed items up to date, read REREAD_SLICE at a time by `_id` (one query per slice, not per
        item); an id not found is an item deleted since."""
        known = list(dict.fromkeys(item_id for item_id in item_ids if ObjectId.is_valid(item_id)))  # others name no item
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(known), REREAD_SLICE):
            found.update(records_by_id(Equipment, known[start:start + REREAD_SLICE], REREAD_FIELDS))
        failed_again = [item_id for item_id in known if self._update(item_id, found.get(item_id))]
        if failed_again and self._replacing is not None:  # an older replacement of an item failed again counts too
            self._replacing.update({str(r["_id"]): r for r in report_queries.replacing_items(failed_again)})

    def _update(self, item_id: str, found: dict[str, Any] | None) -> bool:
        """Bring one changed item up to date from `found` (None: deleted): a candidate if it is (still, or now) in
        an overdue state, a failed item or one replacing another if it is, its placement unless it was deleted.
        True when it failed again (failed now, not kept as failed before)."""
        state = found.get("state") if found is not None else None
        failed_again = False
        if self._candidates is not None:
            _keep(self._candidates, item_id, found if state in reports.OVERDUE_STATES else None)
        if self._failed is not None and self._replacing is not None:
            failed_again = state == "failed" and item_id not in self._failed
            _keep(self._failed, item_id, found if state == "failed" else None)
            _keep(self._replacing, item_id, found if found is not None and found.get("replaces") else None)
        if self._placements is not None:
            if found is None:
                self._placements.pop(item_id, None)
            else:
                self._placements[item_id] = _placement(found)
            self._placed_rows = None
        return failed_again


class KeptReports:
    """The reports from what a ReportCache keeps, as one catch-up left it: only inside `ReportCache.caught_up()`,
    whose lock it relies on."""

    def __init__(self, cache: ReportCache) -> None:
        self._open_cache: ReportCache | None = cache

    def close(self) -> None:
        """End its use: the cache's lock is let go."""
        self._open_cache = None

    @property
    def _cache(self) -> ReportCache:
        if self._open_cache is None:
            raise RuntimeError("kept reports are read inside ReportCache.caught_up() only")
        return self._open_cache

    def overdue_returns(self, today: Any) -> reports.Report:
        """The overdue-returns report on `today`, from the kept candidates."""
        cache = self._cache
        return report_queries.overdue_returns(today, cache._names, cache._overdue_candidates())

    def states(self, by: str) -> reports.Report:
        """The items-by-state report, from every item's kept state, site and customer."""
        cache = self._cache
        return report_queries.states(by, cache._names, cache._placed())

    def state_totals(self) -> dict[str, int]:
        """How many items are in each state, over the whole fleet, from the kept placements."""
        return dict(Counter(state for state, _, _, _ in self._cache._kept_placements().values()))

    def insurance(self, today: Any, within_days: int) -> reports.Report:
        """The insurance report, from every item's kept placement (certificates and customers read now)."""
        cache = self._cache
        return report_queries.insurance(today, within_days, cache._names, cache._placed())

    def replacements(self, now: Any, at_risk_hours: float) -> reports.Report:
        """The replacements report, from the kept failed items and the items replacing them."""
        cache = self._cache
        failed, replacing = cache._failed_items()
        return report_queries.replacements(now, at_risk_hours, cache._names, failed, replacing)

    def credits(self, month: str, first: Any, after: Any, calendar: Any) -> reports.Report:
        """The credits due per ticket for `month` (from `first` to before `after`), counted with `calendar`."""
        kept_credits = self._cache._credits
        kept = kept_credits.get(month)
        if kept is None or kept[0] != calendar:
            kept = kept_credits[month] = (calendar, credits_due(first, after, calendar, "ticket"))
        return kept[1]

    def run(self, build: Any, *args: Any) -> reports.Report:
        """Another report, `build(*args, names)` with the kept names."""
        return build(*args, self._cache._names)

def _keep(kept: dict[str, dict[str, Any]], item_id: str, found: dict[str, Any] | None) -> None:
    """Keep `found` under `item_id`, or forget the item when it is None."""
    if found is None:
        kept.pop(item_id, None)
    else:
        kept[item_id] = found


def _placement(item: dict[str, Any]) -> tuple[str, str | None, str | None, str]:
    """An item's (state, site, customer, ownership), sharing one copy of each text among the items."""
    site, customer = item.get("site"), item.get("customer")
    return (sys.intern(item.get("state") or ""), sys.intern(site) if site else None,
            sys.intern(customer) if customer else None, sys.intern(item.get("ownership") or ""))
