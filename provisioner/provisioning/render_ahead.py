"""Rendering each device's own file before it asks, so that a boot storm finds every file ready.

A device met for the first time costs a process a database read, a rendering and an encryption: about
three times what serving a kept file costs, and what kept the storm from cold at half the target
(docs/benchmarks.rst, "Boot storm"). So each server process renders ahead, in the background:

* at start, every device in a served state (its file for a plain transport, the form most devices ask
  for; a device fetching over HTTPS gets its clear file rendered at its first request);
* then, within about a check of the device cache (CHECK_SECONDS), every device a change reached: the cache
  tells which (DeviceCache.reached), after it let go of their files. A change the cache cannot narrow down
  (templates, overrides, firmware) starts over from the listing.

The work goes in slices of SLICE_SECONDS on the IOLoop, between which requests are served; the records are
read off the IOLoop, MAX_BATCH devices a query, through the cache's own loading. Rendering ahead stops
when the cache is full (its MAX_BYTES): the devices asked about then come first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable, Collection

from inventory.equipment import Equipment
from inventory.sliced_reads import read_all
from provisioner.metrics import FILES_RENDERED_AHEAD, RENDER_AHEAD_WAITING
from provisioner.provisioning.device_cache import MAX_BATCH
from provisioner.provisioning.pipeline import SERVED_STATES, Provisioner

__all__ = ["RenderAhead", "SLICE_SECONDS", "served_macs"]

log = logging.getLogger("provisioner.provisioning")

#: Longest stretch of rendering ahead between two looks at the requests waiting.
SLICE_SECONDS = 0.005
#: Bytes the cache keeps free for the devices asked about: rendering ahead stops short of them.
HEADROOM_BYTES = 1024 * 1024


def served_macs() -> list[str]:
    """The MACs of the devices in a served state, as stored (off the IOLoop). Every item is read, in slices: a
    `$in` on the states scans the collection in one query anyway on NX-27017, holding it for seconds on a
    large fleet (inventory/sliced_reads.py)."""
    found = read_all(Equipment._get_collection(), {"mac": 1, "state": 1})
    return [raw["mac"] for raw in found if raw.get("mac") and raw.get("state") in SERVED_STATES]


class RenderAhead:
    """Renders ahead in one process: `start()` within its IOLoop, `stop()` when the server stops."""

    def __init__(self, provisioner: Provisioner, listing: Callable[[], list[str]] = served_macs,
                 slice_seconds: float = SLICE_SECONDS):
        self.provisioner, self.listing, self.slice_seconds = provisioner, listing, slice_seconds
        self._everything = True  # the first round lists every device
        self._reached: dict[str, None] = {}  # in the order the changes came
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._busy = False  # a round is under way
        self.rounds = 0  # rounds finished, and files rendered in all: for the log and the tests
        self.rendered = 0

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.provisioner.devices.reached = self._reached_from_any_thread
        self._wake.set()
        self._task = self._loop.create_task(self._run())

    async def stop(self) -> None:
        self.provisioner.devices.reached = lambda macs: None
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def idle(self, timeout: float) -> bool:
        """Wait until nothing is left to render ahead (True), or `timeout` seconds (False)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            await asyncio.sleep(0)  # what other threads told meanwhile (call_soon_threadsafe) first
            if not (self._wake.is_set() or self._everything or self._reached or self._busy):
                return True
            await asyncio.sleep(0.02)
        return False

    def _reached_from_any_thread(self, macs: frozenset[str] | None) -> None:
        # The cache checks for changes from the IOLoop, its loading thread and the TFTP thread.
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._note, macs)

    def _note(self, macs: frozenset[str] | None) -> None:
        if macs is None:
            self._everything = True
            self._reached.clear()
        else:
            self._reached.update(dict.fromkeys(sorted(macs)))
        self._wake.set()

    async def _run(self) -> None:
        loop, devices = asyncio.get_running_loop(), self.provisioner.devices
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), devices.check_seconds)
            except asyncio.TimeoutError:
                try:
                    await devices.refresh()  # changes show even when no device asks: the cache tells what they reach
                except Exception as exc:  # noqa: BLE001 - the next request or the next look tries again
                    log.debug("no look at the changes: %s: %s", type(exc).__name__, exc)
                continue
            self._wake.clear()
            self._busy = True
            try:
                if self._everything:
                    self._everything = False
                    macs = await loop.run_in_executor(None, self.listing)
                else:
                    macs, self._reached = list(self._reached), {}
                started, rendered = time.monotonic(), await self._render(macs)
                self.rounds += 1
                self.rendered += rendered
                if rendered:
                    log.info("rendered ahead %d of %d devices' files in %.1f s", rendered, len(macs),
                             time.monotonic() - started)
            except Exception as exc:  # noqa: BLE001 - requests still render what they ask; retried at the next change
                log.warning("rendering ahead stopped: %s: %s", type(exc).__name__, exc)
            finally:
                self._busy = False
                RENDER_AHEAD_WAITING.set(0)

    async def _render(self, macs: Collection[str]) -> int:
        """Render the files of these devices, MAX_BATCH read at a time; how many were rendered."""
        devices, rendered, failed = self.provisioner.devices, 0, 0
        macs = list(macs)
        for start in range(0, len(macs), MAX_BATCH):
            if self._everything:
                return rendered  # a change reached everything meanwhile: the next round starts over
            batch = macs[start:start + MAX_BATCH]
            RENDER_AHEAD_WAITING.set(len(macs) - start)
            await devices.prefetch(batch)  # and a look at the changes, when due
            slice_started = time.monotonic()
            for mac in batch:
                if devices.room() < HEADROOM_BYTES:
                    log.info("rendering ahead stopped at %d devices: the device cache is full", rendered)
                    return rendered
                device = devices.peek(mac)
                try:
                    if device is not None and self.provisioner.render_ahead(device):
                        rendered += 1
                        FILES_RENDERED_AHEAD.inc()
                except Exception as exc:  # noqa: BLE001 - one device's failure must not hold the others back
                    failed += 1
                    if failed == 1:
                        log.warning("rendering ahead failed for %s (its request will say why): %s: %s",
                                    mac, type(exc).__name__, exc)
                if time.monotonic() - slice_started >= self.slice_seconds:
                    await asyncio.sleep(0)  # the requests waiting go first
                    slice_started = time.monotonic()
        return rendered
