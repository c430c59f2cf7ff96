"""Reading equipment by MAC in batches without making NX-27017 scan the collection for each batch.

NX-27017 answers `{"mac": {"$in": [...]}}` by reading every equipment record, and `{"_id": {"$in": ...}}`
through its primary key (docs/storage.rst). So each process reads the equipment ids by MAC once, in a
thread of its own started by the first batch (reading them costs about 0.1 ms a record on NX-27017, too
long to make a storm wait: batches use `$in` until the map is there), then reads batches by `_id`. The
map is a hint, checked on every read: a record whose MAC is no longer the one asked for is not taken, and
a MAC the map does not know (a device recorded since, a MAC changed, a MAC not in the inventory) is looked
up by equality, which uses the MAC's index.
"""

from __future__ import annotations

import logging
import threading

from bson import ObjectId
from pymongo.collection import Collection

log = logging.getLogger("provisioner.provisioning")

#: MACs read one by one at most; more are read as a batch.
MAX_SINGLE_READS = 8


class MacIndex:
    """Equipment ids by MAC, read once per process and corrected as devices are read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: dict[str, ObjectId] | None = None
        self._loading = False

    def read(self, collection: Collection, macs: list[str]) -> list[dict]:
        """The stored equipment records with these MACs (those that exist)."""
        if len(macs) <= MAX_SINGLE_READS:
            return self._by_equality(collection, macs)
        ids = self._ids
        if ids is None:
            self._start_loading(collection)
            return list(collection.find({"mac": {"$in": macs}}))
        wanted = set(macs)
        hinted = [ids[mac] for mac in macs if mac in ids]
        raws = [raw for raw in collection.find({"_id": {"$in": hinted}}) if raw.get("mac") in wanted] if hinted else []
        missing = wanted - {raw["mac"] for raw in raws}
        return raws + self._by_equality(collection, [mac for mac in macs if mac in missing])

    def _by_equality(self, collection: Collection, macs: list[str]) -> list[dict]:
        raws = [raw for mac in macs for raw in collection.find({"mac": mac})]
        if raws and self._ids is not None:
            with self._lock:
                self._ids.update((raw["mac"], raw["_id"]) for raw in raws)
        return raws

    def _start_loading(self, collection: Collection) -> None:
        with self._lock:
            if self._loading:
                return
            self._loading = True
        threading.Thread(target=self._load, args=(collection,), name="mac-index", daemon=True).start()

    def _load(self, collection: Collection) -> None:
        try:
            ids = {raw["mac"]: raw["_id"] for raw in collection.find({}, {"mac": 1}) if raw.get("mac")}
        except Exception as exc:  # noqa: BLE001 - batches go on with $in; the next one tries again
            log.warning("equipment ids by MAC not read: %s: %s", type(exc).__name__, exc)
            with self._lock:
                self._loading = False
            return
        with self._lock:
            if self._ids is None:
                self._ids = ids
