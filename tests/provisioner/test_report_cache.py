"""The report cache on the real database: a catch-up reads the changed items a slice at a time by `_id`, deleted
items leave the reports, the kept reports equal a fresh cache's, and several reports share one catch-up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor
from provisioner import report_cache
from provisioner.provisioning.device_secrets import issue_secrets
from provisioner.provisioning.record_changes import ChangeFeed
from provisioner.report_cache import ReportCache

ACTOR = Actor.system("tests")
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
TODAY = NOW.date()
#: Changed items read again in one query at most, here: the 30 changed items take 4 slices.
SLICE = 8


class CountedCollection:
    """A collection whose reads are recorded as (method, filter), everything else passed through."""

    READS = ("find", "find_one", "count_documents", "aggregate", "distinct")

    def __init__(self, collection: Any) -> None:
        self._collection = collection
        self.reads: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if name not in self.READS:
            return attribute

        def read(*args: Any, **kwargs: Any) -> Any:
            self.reads.append((name, args[0] if args else kwargs.get("filter")))
            return attribute(*args, **kwargs)

        return read


@contextmanager
def equipment_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[CountedCollection]:
    """The reads of the equipment collection made inside the block."""
    counted = CountedCollection(Equipment._get_collection())
    with monkeypatch.context() as patch:
        patch.setattr(Equipment, "_get_collection", staticmethod(lambda: counted))
        yield counted


class CountedFeed(ChangeFeed):
    """A change feed that counts its polls."""

    polls = 0

    def poll(self) -> Any:
        self.polls += 1
        return super().poll()


def change(item_id: str, **changes: Any) -> None:
    """Change one item through its record (the write and its event), `replaces` given as the replaced item's id."""
    if "replaces" in changes:
        changes["replaces"] = Equipment.objects.get(pk=changes["replaces"])
    Equipment.objects.get(pk=item_id).update(ACTOR, changes)


def due_back(site: Site, days_ago: int) -> dict[str, Any]:
    return {"state": "return_due", "site": site, "return_due_on": TODAY - dt.timedelta(days=days_ago)}


def failed(site: Site, hours_ago: float) -> dict[str, Any]:
    noted = NOW - dt.timedelta(hours=hours_ago)
    return {"state": "failed", "site": site, "failure_noted_at": noted, "replacement": "due",
            "replacement_due_at": noted + dt.timedelta(hours=72)}


@pytest.fixture
def fleet(services) -> dict[str, Any]:
    """40 items at two customers' sites: 0-9 in service, 10-14 due back (late), 15-17 failed, 18 replacing 15,
    19 in service but the replacement of 19 sent when it failed before (20), the rest in stock."""
    sites = []
    for number in (1, 2):
        customer = Customer(reference=f"C-{number}", name=f"Client {number}").insert(ACTOR)
        sites.append(Site(customer=customer, name=f"Site {number}", address="1 rue de la Paix", postcode="75002",
                          city="Paris").insert(ACTOR))
    ids = []
    for number in range(40):
        item = Equipment(serial=f"RC-{number:04d}", mac=f"805ec2{number:06x}", vendor="yealink", model="T46U")
        issue_secrets(item, services.box)
        ids.append(str(item.insert(ACTOR).pk))
    site = sites[0]
    for number in range(10):
        change(ids[number], state="in_service", site=sites[number % 2])
    for number in range(10, 15):
        change(ids[number], **due_back(site, days_ago=number))
    for number in range(15, 18):
        change(ids[number], **failed(site, hours_ago=10 * number))
    change(ids[18], state="shipped", site=site, replaces=ids[15])
    change(ids[19], state="in_service", site=site)
    change(ids[20], state="shipped", site=site, replaces=ids[19])
    return {"ids": ids, "sites": sites}


def warmed(feed: ChangeFeed | None = None) -> ReportCache:
    """A cache keeping every report's items (the first catch-up reads everything)."""
    cache = ReportCache(feed)
    with cache.caught_up() as kept:
        kept.state_totals(), kept.overdue_returns(TODAY), kept.replacements(NOW, 12.0), kept.insurance(TODAY, 30)
    return cache


def change_thirty(fleet: dict[str, Any]) -> dict[str, list[str]]:
    """30 items changed (2 of them deleted) in every way the kept reports notice; returns who went where."""
    ids, (site, other) = fleet["ids"], fleet["sites"]
    for number in range(0, 4):  # in service -> due back, late
        change(ids[number], **due_back(site, days_ago=3))
    for number in range(4, 6):  # in service -> failed
        change(ids[number], **failed(site, hours_ago=70))
    change(ids[19], **failed(site, hours_ago=65))  # failed again, at risk: the replacement sent earlier (20) counts
    for number in range(10, 13):  # due back -> returned
        change(ids[number], state="returned", site=None)
    change(ids[13], state="overdue", overdue_since=NOW)
    change(ids[16], state="in_service")  # failed -> repaired
    change(ids[21], state="shipped", site=site, replaces=ids[15])  # a second replacement
    for number in range(22, 37):  # in stock -> staged at the other site
        change(ids[number], state="staged", site=other)
    deleted = [ids[14], ids[17]]  # one due back, one failed
    for item_id in deleted:
        Equipment.objects.get(pk=item_id).remove(ACTOR)
    return {"deleted": deleted, "failed_again": [ids[4], ids[5], ids[19]]}


def reports_of(cache: ReportCache) -> dict[str, Any]:
    with cache.caught_up() as kept:
        return {"totals": kept.state_totals(), "overdue": kept.overdue_returns(TODAY).rows,
                "by site": kept.states("site").rows, "by customer": kept.states("customer").rows,
                "replacements": kept.replacements(NOW, 12.0).rows, "insurance": kept.insurance(TODAY, 30).rows}


def test_a_catch_up_reads_the_changed_items_a_slice_at_a_time_by_id(fleet, monkeypatch) -> None:
    cache = warmed()
    changed = change_thirty(fleet)
    monkeypatch.setattr(report_cache, "REREAD_SLICE", SLICE)
    with equipment_reads(monkeypatch) as reads:
        cache.state_totals()
    by_id = [filter_ for name, filter_ in reads.reads if name == "find" and "_id" in filter_]
    assert [len(filter_["_id"]["$in"]) for filter_ in by_id] == [8, 8, 8, 6]  # 30 changed, none one by one
    # Besides, only the items replacing one failed anew: one equality on `replaces` each (fewer than 32).
    others = [(name, filter_) for name, filter_ in reads.reads if not (name == "find" and "_id" in filter_)]
    assert {name for name, _ in others} == {"find"}
    assert sorted(filter_["replaces"] for _, filter_ in others) == sorted(changed["failed_again"])


def test_the_number_of_reads_does_not_grow_with_the_changes(fleet, monkeypatch) -> None:
    cache = warmed()
    ids, site = fleet["ids"], fleet["sites"][1]
    with equipment_reads(monkeypatch) as reads:
        cache.state_totals()
    assert reads.reads == []  # nothing changed: nothing read
    for item_id in ids[21:40]:
        change(item_id, state="staged", site=site)
    with equipment_reads(monkeypatch) as reads:
        totals = cache.state_totals()
    assert [name for name, _ in reads.reads] == ["find"]  # 19 changed items (of REREAD_SLICE at most): one query
    assert totals["staged"] == 19 and "in_stock" not in totals


def test_deleted_items_leave_the_reports(fleet) -> None:
    cache = warmed()
    before = reports_of(cache)
    assert fleet["ids"][14] in {row["item"] for row in before["overdue"]}
    assert fleet["ids"][17] in {row["item"] for row in before["replacements"]}  # its deadline is past
    deleted = change_thirty(fleet)["deleted"]
    after = reports_of(cache)
    assert not set(deleted) & {row["item"] for row in after["overdue"] + after["replacements"]}
    assert sum(after["totals"].values()) == 38 and sum(row["total"] for row in after["by site"]) == 38


def test_the_kept_reports_equal_a_fresh_cache_after_changes(fleet, monkeypatch) -> None:
    monkeypatch.setattr(report_cache, "REREAD_SLICE", SLICE)
    cache = warmed()
    change_thirty(fleet)
    kept, fresh = reports_of(cache), reports_of(ReportCache())
    assert kept == fresh
    ids = fleet["ids"]
    assert {row["item"] for row in kept["overdue"]} == {ids[n] for n in (0, 1, 2, 3, 13)}
    assert {row["item"] for row in kept["replacements"]} == {ids[4], ids[5]}  # 19's earlier replacement left


def test_several_reports_share_one_catch_up(fleet) -> None:
    feed = CountedFeed()
    cache = warmed(feed)
    assert feed.polls == 1
    change(fleet["ids"][0], **due_back(fleet["sites"][0], days_ago=2))
    with cache.caught_up() as kept:
        overdue, totals = kept.overdue_returns(TODAY), kept.state_totals()
        kept.replacements(NOW, 12.0), kept.insurance(TODAY, 30), kept.states("site")
    assert feed.polls == 2
    assert fleet["ids"][0] in {row["item"] for row in overdue.rows} and totals["return_due"] == 6
    assert cache.overdue_returns(TODAY).rows == overdue.rows and feed.polls == 3  # one report, one catch-up
    with pytest.raises(RuntimeError, match="inside ReportCache.caught_up"):
        kept.state_totals()  # the lock is let go: what is kept may move on
