"""In the process running the SIP core: takes the queued re-sync requests and sends their NOTIFYs.

Every POLL_SECONDS it claims what is queued (inventory/resync_requests.py: a request is never handled by two
processes), resolves each target into devices and lines (resync_targets.py), and has the Resyncer tell every
line, at most CONCURRENCY lines at a time across requests, so "every device out of date" on 10,000 devices
does not flood the network nor the phones' answers. Results are written every PROGRESS_SECONDS, which also
stamps the request as alive, and once more when done. Every database call runs in the poller's thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from inventory.resync_requests import Claimed, ResyncResult, claim_next, heartbeat, record
from provisioner.resync_targets import DeviceLines, Target
from sip_core.core import SipCore
from sip_core.notify import Resyncer

log = logging.getLogger("provisioner.sip.resync")

POLL_SECONDS = 1.0
#: Lines told at once, across every request in hand.
CONCURRENCY = 50
#: Requests in hand at once: a small one is not kept waiting behind "every device out of date".
MAX_REQUESTS = 4
#: Seconds between two writes of a request's results (well under resync_requests.STALE_SECONDS).
PROGRESS_SECONDS = 2.0
#: The status the transaction layer makes up when a phone never answers (Timer F).
TIMEOUT_STATUS = 408


class ResyncPoller:
    """Claims re-sync requests and sends their NOTIFYs through a started core; `start()`, then `await stop()`."""

    def __init__(self, core: SipCore, resolve: Callable[[Target], list[DeviceLines]], worker: str | None = None,
                 poll_seconds: float = POLL_SECONDS, concurrency: int = CONCURRENCY,
                 progress_seconds: float = PROGRESS_SECONDS, max_requests: int = MAX_REQUESTS):
        self.core, self.resolve = core, resolve
        self.worker = worker or f"{socket.gethostname()} pid {os.getpid()}"
        self.poll_seconds, self.progress_seconds, self.max_requests = poll_seconds, progress_seconds, max_requests
        self.resyncer = Resyncer(core)
        self._lines = asyncio.Semaphore(concurrency)
        # Database calls, and resolutions (which render files): a stamp must not wait behind a resolution.
        self._threads = ThreadPoolExecutor(max_workers=max_requests + 1, thread_name_prefix="sip-resync")
        self._loop_task: asyncio.Task | None = None
        self._handling: set[asyncio.Task] = set()

    def start(self) -> None:
        self._loop_task = asyncio.get_running_loop().create_task(self._poll())

    async def stop(self) -> None:
        """Stop claiming and abandon the requests in hand: another process takes them again once they go stale."""
        tasks = [task for task in (self._loop_task, *self._handling) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop_task = None
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def _poll(self) -> None:
        while True:
            try:
                await self.claim_more()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database may be away a moment: the next poll tries again
                log.warning("re-sync requests not polled: %s: %s", type(exc).__name__, exc)
            await asyncio.sleep(self.poll_seconds)

    async def claim_more(self) -> list[asyncio.Task]:
        """Claim queued (or abandoned) requests while fewer than max_requests are in hand; their handling tasks."""
        started = []
        while len(self._handling) < self.max_requests:
            claimed = await self._in_thread(claim_next, self.worker)
            if claimed is None:
                break
            task = asyncio.get_running_loop().create_task(self._handle_logged(claimed))
            self._handling.add(task)
            task.add_done_callback(self._handling.discard)
            started.append(task)
        return started

    async def _handle_logged(self, claimed: Claimed) -> None:
        try:
            await self.handle(claimed)
        except asyncio.CancelledError:
            raise
        except Exception:  # the request stays taken: taken again once stale (resync_requests.STALE_SECONDS)
            log.exception("re-sync request %s stopped", claimed.request.pk)

    async def handle(self, claimed: Claimed) -> None:
        """Resolve the request's target, tell every line, and write the results as they come and when done."""
        request = claimed.request
        target = Target(request.target_kind, request.target)
        log.info("re-sync request %s: %s, asked by %s", request.pk, target.describe(), request.requested_by)
        resolving = asyncio.ensure_future(self._in_thread(self.resolve, target))
        try:
            while not resolving.done():  # rendering every file of "out of date" takes a while: stay alive meanwhile
                await asyncio.wait([resolving], timeout=self.progress_seconds)
                if not resolving.done() and not await self._in_thread(heartbeat, claimed):
                    return self._lost(claimed)
            devices = resolving.result()
        except Exception as exc:
            log.exception("re-sync request %s: %s not resolved", request.pk, target.describe())
            await self._in_thread(record, claimed, 0, [], True,
                                  f"the target could not be resolved: {type(exc).__name__}: {exc}")
            return None
        finally:
            resolving.cancel()
        usernames = sorted({line for device in devices for line in device.lines})
        told: dict[str, list[tuple[str, str, int, str]]] = {}
        tasks = [asyncio.get_running_loop().create_task(self._tell(username, told)) for username in usernames]
        try:
            while not all(task.done() for task in tasks):
                await asyncio.wait(tasks, timeout=self.progress_seconds)
                if not await self._in_thread(record, claimed, len(devices), _results(devices, told), False):
                    return self._lost(claimed)
            if not await self._in_thread(record, claimed, len(devices), _results(devices, told), True):
                return self._lost(claimed)
        finally:
            for task in tasks:
                task.cancel()
        answered = sum(1 for answers in told.values() if any(outcome == "answered" for _, outcome, _, _ in answers))
        log.info("re-sync request %s done: %d devices, %d of %d lines answered", request.pk, len(devices), answered,
                 len(usernames))
        return None

    @staticmethod
    def _lost(claimed: Claimed) -> None:
        log.warning("re-sync request %s is no longer this process's (taken over or given up); stopped here",
                    claimed.request.pk)

    async def _tell(self, username: str, told: dict[str, list[tuple[str, str, int, str]]]) -> None:
        """NOTIFY every binding of a line (CONCURRENCY lines at a time); (contact, outcome, status, reason) each."""
        async with self._lines:
            told[username] = await self._answers(username)

    async def _answers(self, username: str) -> list[tuple[str, str, int, str]]:
        account = self.core.directory.account(username)
        if account is None:
            return [("", "failed", 0, "the line is not in the SIP directory (its password cannot be read?)")]
        if not any(device.resync_event for device in account.devices):
            return [("", "failed", 0, "no device carrying the line can be told to re-sync by NOTIFY")]
        if not self.core.location.bindings(username, self.core.clock()):
            return [("", "not_registered", 0, "")]
        try:
            answered = await self.resyncer.resync(username)
        except Exception as exc:
            log.exception("re-sync of line %s failed", username)
            return [("", "failed", 0, f"{type(exc).__name__}: {exc}")]
        if not answered:  # the bindings expired meanwhile
            return [("", "not_registered", 0, "")]
        return [(each.contact, "timeout" if each.status == TIMEOUT_STATUS else "answered", each.status, each.reason)
                for each in answered]

    async def _in_thread(self, function, *args):  # type: ignore[no-untyped-def]
        return await asyncio.get_running_loop().run_in_executor(self._threads, function, *args)


def _results(devices: list[DeviceLines], told: dict[str, list[tuple[str, str, int, str]]]) -> list[ResyncResult]:
    """One result per device and binding told (or per device and line not told, saying why), in device order;
    lines not told yet are left out."""
    results = []
    for device in devices:
        if not device.lines:
            results.append(ResyncResult(device.mac, "", "", "failed", 0, "the device carries no line"))
        for line in device.lines:
            results.extend(ResyncResult(device.mac, line, contact, outcome, status, reason)
                           for contact, outcome, status, reason in told.get(line, ()))
    return results
