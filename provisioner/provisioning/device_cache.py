"""What the provisioning pipeline keeps in memory between requests: each device's facts and its rendered files.

A boot storm must not cost database round trips per request. For each device asked about, this keeps
what authorising a request needs (vendor, model, lifecycle state, the site's address ranges) and the
files rendered for it with their revision. Devices not yet known are loaded in batches: the HTTP front
end waits, off the IOLoop, for one query that serves every request that came in meanwhile; TFTP and
tests load them one by one.

Each process has its own cache and learns of changes through the database: at most every CHECK_SECONDS
it asks its ChangeFeed (record_changes.py: the records' generation, then the event log) what changed, and
lets go of the devices a change reaches: a device's own record, its lines, its site, its customer. A
template override, a firmware image, a template file, or a change the feed cannot vouch for lets go of
everything. So what any process changes reaches every device within about CHECK_SECONDS, and an edit of
anything else (a user, a token, a contract) keeps every rendered file.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Collection

from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.lines import Line
from provisioner.provisioning.device_records import DEVICE_SECRETS, CachedDevice, networks_of, read_records, refs_of
from provisioner.provisioning.mac_index import MacIndex
from provisioner.provisioning.record_changes import ChangeFeed

__all__ = ["CHECK_SECONDS", "CachedDevice", "DeviceCache"]

log = logging.getLogger("provisioner.provisioning")

#: Seconds between two reads of the records' generation, in each process: the delay before a change shows.
CHECK_SECONDS = 1.0
#: Rendered files kept per process at most, in bytes; the devices asked about least recently go first.
MAX_BYTES = 64 * 1024 * 1024
#: Devices loaded by one query at most.
MAX_BATCH = 256
#: MACs remembered as absent from the inventory at most (a scan must not flush the devices out).
MAX_ABSENT = 10_000
#: Loaded records waiting for their first rendering at most.
MAX_RECORDS = 4096
#: Shared files (a vendor's or a model's, the same for every device) kept at most.
MAX_SHARED = 256
#: Changes remembered for the loads under way at most (a load that outlived more keeps nothing it read).
MAX_MARKS = 1024

class DeviceCache:
    """Devices by MAC with their rendered files, loaded in batches, each dropped when a change reaches it."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, check_seconds: float = CHECK_SECONDS,
                 max_bytes: int = MAX_BYTES, stale: Callable[[], bool] = lambda: False,
                 feed: ChangeFeed | None = None):
        self.clock, self.check_seconds, self.max_bytes, self.stale = clock, check_seconds, max_bytes, stale
        self.feed = feed if feed is not None else ChangeFeed()
        self._lock = threading.Lock()
        self._check_lock = threading.Lock()  # one check at a time (the loading thread, a preview)
        self._devices: OrderedDict[str, CachedDevice] = OrderedDict()
        self._absent: OrderedDict[str, None] = OrderedDict()
        self._macs = MacIndex()  # equipment ids by MAC: batches are read by _id
        self._records: OrderedDict[str, tuple[dict, list[dict], str]] = OrderedDict()  # read, not rendered yet
        self._site_raws: dict[str, dict] = {}  # sites and customers as read, by id
        self._customer_raws: dict[str, dict] = {}
        self._sites: dict[str, tuple[dict, Site]] = {}  # and made into documents, with the raw made from
        self._customers: dict[str, tuple[dict, Customer]] = {}
        self._shared: dict[Any, Any] = {}
        self._holders: dict[str, set[str]] = {}  # "lines:<id>", "sites:<id>", ... -> MACs of the devices kept
        self._bytes = 0
        self._epoch = 0  # moves with every clear: what was read before must not be stored after
        self._stamp = 0  # moves with every targeted drop, which _marks keeps for the loads under way
        self._marks: deque[tuple[int, frozenset[str]]] = deque(maxlen=MAX_MARKS)
        self._checked = float("-inf")
        self._executor: ThreadPoolExecutor | None = None
        self._queue: list[str] = []
        self._waiting: dict[str, asyncio.Future] = {}
        self._draining = False
        self._drainer: asyncio.Task | None = None
        #: Told, from any thread, which MACs a change reached (None: every device), after they were let go.
        self.reached: Callable[[frozenset[str] | None], None] = lambda macs: None

    @property
    def epoch(self) -> int:
        """Moves whenever the cache lets go of everything: what depends on the records must be read again."""
        return self._epoch

    # -- reading ---------------------------------------------------------------------------------

    def lookup(self, mac: str) -> CachedDevice | None:
        """The device with this MAC, loaded now if not known yet; None when the inventory has none."""
        self._check_if_due()
        with self._lock:
            device = self._devices.get(mac)
            if device is not None:
                self._devices.move_to_end(mac)
                return device
            if mac in self._absent:
                return None
        return self.load([mac]).get(mac)

    def ready(self, macs: Collection[str]) -> bool:
        """Whether looking these devices up reads nothing now: no check is due, and each is kept or known absent."""
        with self._lock:
            if self.clock() - self._checked >= self.check_seconds:
                return False
            return all(mac in self._devices or mac in self._absent for mac in macs)

    def peek(self, mac: str) -> CachedDevice | None:
        """The device with this MAC if kept now: nothing is read, checked or reordered."""
        with self._lock:
            return self._devices.get(mac)

    def room(self) -> int:
        """Bytes of files the cache may still keep before it lets go of the devices asked about least recently."""
        with self._lock:
            return self.max_bytes - self._bytes

    def keep_file(self, device: CachedDevice, key: Any, served: Any, size: int) -> None:
        """Remember a file rendered for `device` under `key`, unless the cache let go of the device meanwhile."""
        with self._lock:
            if self._devices.get(device.mac) is not device or key in device.files:
                return
            device.files[key] = served
            device.size += size
            self._bytes += size
            self._evict()

    def shared(self, key: Any) -> tuple[Any | None, int]:
        """A shared file kept under `key` (or None), and the epoch to hand back to keep_shared with a new one."""
        self._check_if_due()
        with self._lock:
            return self._shared.get(key), self._epoch

    def keep_shared(self, key: Any, served: Any, epoch: int) -> None:
        """Remember a shared file rendered since shared() gave `epoch`, unless the cache let go of everything since."""
        with self._lock:
            if epoch == self._epoch and len(self._shared) < MAX_SHARED:
                self._shared[key] = served

    # -- loading ---------------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Check for changes, off the IOLoop, if a check is due."""
        if self._claim_check():
            await asyncio.get_running_loop().run_in_executor(self._thread(), self.check)

    async def prefetch(self, macs: Collection[str]) -> None:
        """Have these devices loaded, off the IOLoop and in one query with those other requests asked for."""
        loop = asyncio.get_running_loop()
        await self.refresh()
        if not macs:
            return
        with self._lock:
            missing = [mac for mac in macs if mac not in self._devices and mac not in self._absent]
        if not missing:
            return
        futures = []
        for mac in missing:
            future = self._waiting.get(mac)
            if future is None:
                future = self._waiting[mac] = loop.create_future()
                self._queue.append(mac)
            futures.append(future)
        if not self._draining:
            self._draining = True
            self._drainer = loop.create_task(self._drain())  # held: the loop keeps only a weak reference
        await asyncio.gather(*futures)

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                started = time.monotonic()
                try:
                    await loop.run_in_executor(self._thread(), self.load, batch)
                    log.debug("loaded %d devices in %.0f ms", len(batch), 1000 * (time.monotonic() - started))
                except Exception as exc:  # noqa: BLE001 - the requests then load alone and fail alone
                    log.warning("loading %d devices failed: %s: %s", len(batch), type(exc).__name__, exc)
                for mac in batch:
                    future = self._waiting.pop(mac, None)
                    if future is not None and not future.done():
                        future.set_result(None)
        finally:
            self._draining = False

    def load(self, macs: list[str]) -> dict[str, CachedDevice | None]:
        """Read these devices from the database and keep them (and which are absent); thread-safe."""
        with self._lock:
            epoch, stamp = self._epoch, self._stamp
            sites, customers = dict(self._site_raws), dict(self._customer_raws)
        found: dict[str, CachedDevice | None] = dict.fromkeys(macs)
        records = self._read(macs, sites, customers)
        for mac, (equipment, _, problem) in records.items():
            site = sites.get(equipment.get("site") or "")
            networks = site.get("allowed_networks") or [] if site else []
            found[mac] = CachedDevice(mac=mac, equipment_id=str(equipment["_id"]), vendor=equipment.get("vendor", ""),
                                      model=equipment.get("model", ""), state=equipment.get("state", ""),
                                      restricted=bool(networks), networks=networks_of(tuple(networks)), problem=problem,
                                      secrets_enc={name: equipment[name] for name in DEVICE_SECRETS if equipment.get(name)},
                                      refs=refs_of(mac, equipment))
        with self._lock:
            if epoch != self._epoch:
                return found  # the cache was dropped while reading: what was read may be older than the change
            # What a change reached while reading may be older than the change: it is served, not kept.
            changed = self._changed_since(stamp)
            self._keep_raws(sites, customers, changed)
            for mac, device in found.items():
                if changed is None or (device.refs if device else {f"mac:{mac}"}) & changed:
                    continue
                if device is None:
                    self._absent[mac] = None
                    while len(self._absent) > MAX_ABSENT:
                        self._absent.popitem(last=False)
                elif mac in self._devices:
                    found[mac] = self._devices[mac]
                else:
                    self._remember(device, records[mac])
            while len(self._records) > MAX_RECORDS:
                self._records.popitem(last=False)
            self._evict()
        return found

    def records(self, device: CachedDevice) -> Equipment | None:
        """The device's records (equipment, site, customer, lines) to render a file: as loaded, or read again."""
        with self._lock:
            record = self._records.pop(device.mac, None)
            epoch, stamp = self._epoch, self._stamp
            if record is None:  # those known spare the read a query
                sites, customers = dict(self._site_raws), dict(self._customer_raws)
            else:  # as loaded with the record: a change reaching them since dropped the record too
                sites, customers = (_pick(kept, record[0].get(name)) for kept, name in
                                    ((self._site_raws, "site"), (self._customer_raws, "customer")))
        if record is None:
            record = self._read([device.mac], sites, customers).get(device.mac)
            with self._lock:
                if epoch == self._epoch:
                    self._keep_raws(sites, customers, self._changed_since(stamp))
            if record is None:
                return None
        equipment, lines, _ = record
        # Documents are made here, for the devices rendered only, rather than by the loading thread (the GIL).
        item = Equipment._from_son(equipment)
        site, customer = equipment.get("site"), equipment.get("customer")
        item.site = self._document(Site, sites, self._sites, self._site_raws, site) if site else None
        item.customer = self._document(Customer, customers, self._customers, self._customer_raws,
                                       customer) if customer else None
        item.lines = [Line._from_son(line) for line in lines]
        return item

    def _document(self, kind: type, raws: dict[str, dict], made: dict[str, tuple[dict, Any]],
                  kept: dict[str, dict], record_id: str) -> Any:
        """A site's or customer's document, made once from what was read and kept (None if it is gone)."""
        raw = raws.get(record_id)
        if raw is None:
            return None
        entry = made.get(record_id)
        if entry is not None and entry[0] is raw:
            return entry[1]
        document = kind._from_son(raw)
        with self._lock:
            if kept.get(record_id) is raw:  # still the cache's: not dropped by a change meanwhile
                made[record_id] = (raw, document)
        return document

    def _read(self, macs: list[str], sites: dict[str, dict], customers: dict[str, dict]) -> dict[str, tuple[dict, list[dict], str]]:
        """(equipment, its lines, what is wrong) by MAC, as stored (device_records.read_records)."""
        return read_records(self._macs, macs, sites, customers)

    def _thread(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="device-cache")
        return self._executor

    # -- freshness -------------------------------------------------------------------------------

    def check(self) -> None:
        """Drop the devices the changes since the last check reach, or everything (templates changed, the feed
        says so or cannot be read)."""
        with self._check_lock:
            try:
                changes = self.feed.poll()
            except Exception:
                self.clear()
                raise
            stale = self.stale()  # called every time: it keeps its own reference point
            if stale or changes.everything:
                log.debug("device cache dropped (%d devices): %s", len(self._devices),
                          "templates changed" if stale else changes.reason)
                self.clear()
            elif changes.keys:
                with self._lock:
                    reached = self._drop(changes.keys)
                log.debug("device cache reached %d devices on %d changes", len(reached), len(changes.keys))
                self.reached(reached)

    def clear(self) -> None:
        """Forget every device, file and record, and move the epoch."""
        with self._lock:
            self._epoch += 1
            self._devices.clear()
            self._absent.clear()
            self._records.clear()
            self._holders.clear()
            self._site_raws, self._customer_raws, self._sites, self._customers = {}, {}, {}, {}
            self._shared.clear()
            self._bytes = 0
        self.reached(None)

    def _drop(self, keys: Collection[str]) -> frozenset[str]:
        """Forget the devices (and sites, customers, absent MACs) these change keys reach (the lock is held);
        the MACs reached, kept or not."""
        self._stamp += 1
        self._marks.append((self._stamp, frozenset(keys)))
        macs: set[str] = set()
        for key in keys:
            kind, _, record_id = key.partition(":")
            macs |= self._holders.get(key, set())
            if kind == "mac":
                macs.add(record_id)
            elif kind == Site._get_collection_name():
                self._site_raws.pop(record_id, None)
                self._sites.pop(record_id, None)
            elif kind == Customer._get_collection_name():
                self._customer_raws.pop(record_id, None)
                self._customers.pop(record_id, None)
        for mac in macs:
            self._absent.pop(mac, None)
            self._forget(mac)
        return frozenset(macs)

    def _changed_since(self, stamp: int) -> frozenset[str] | None:
        """The keys dropped since `stamp` (lock held); None when too many changes came to tell."""
        if self._stamp == stamp:
            return frozenset()
        if not self._marks or self._marks[0][0] > stamp + 1:
            return None
        return frozenset().union(*(keys for at, keys in self._marks if at > stamp))

    def _keep_raws(self, sites: dict[str, dict], customers: dict[str, dict], changed: frozenset[str] | None) -> None:
        """Keep the sites and customers a read added, unless a change reached them meanwhile (lock held)."""
        if changed is None:
            return
        for kind, read, kept in ((Site, sites, self._site_raws), (Customer, customers, self._customer_raws)):
            name = kind._get_collection_name()
            for record_id, raw in read.items():
                if record_id not in kept and f"{name}:{record_id}" not in changed:
                    kept[record_id] = raw

    def _remember(self, device: CachedDevice, record: tuple[dict, list[dict], str]) -> None:
        """Keep a device just read, indexed by what it refers to (lock held)."""
        self._devices[device.mac] = device
        self._records[device.mac] = record
        self._bytes += device.size
        for ref in device.refs:
            self._holders.setdefault(ref, set()).add(device.mac)

    def _forget(self, mac: str) -> int:
        """Let go of one device, its files and its record (lock held); 1 if it was kept."""
        self._records.pop(mac, None)
        device = self._devices.pop(mac, None)
        if device is None:
            return 0
        self._bytes -= device.size
        for ref in device.refs:
            holders = self._holders.get(ref)
            if holders is not None:
                holders.discard(mac)
                if not holders:
                    del self._holders[ref]
        return 1

    def _claim_check(self) -> bool:
        """Whether a check is due, marking it done now so that one caller does it."""
        with self._lock:
            now = self.clock()
            if now - self._checked < self.check_seconds:
                return False
            self._checked = now
            return True

    def _check_if_due(self) -> None:
        if self._claim_check():
            self.check()

    def _evict(self) -> None:
        """Drop the least recently asked devices until the files fit (the lock is held)."""
        while self._bytes > self.max_bytes and self._devices:
            self._forget(next(iter(self._devices)))


def _pick(raws: dict[str, dict], record_id: str | None) -> dict[str, dict]:
    """The one raw record of `raws` with this id, as a dict (empty if none)."""
    raw = raws.get(record_id or "")
    return {record_id: raw} if raw is not None and record_id else {}
