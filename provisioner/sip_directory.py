"""The SIP core's Directory over the inventory: every line's account and the served devices carrying it, in memory.

Loaded in one pass at start (raw collections with projections, no documents made), then kept fresh: every
CHECK_SECONDS a ChangeFeed (provisioning/record_changes.py) says what changed; the lines and equipment it
reaches are read again in a thread (everything when the feed says everything), which builds a new view from
the current one; the event loop, where the core reads, only swaps the view. A change anywhere reaches the
core within about CHECK_SECONDS.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterable

from inventory.equipment import Equipment
from inventory.lines import Line
from inventory.references import records_by_id
from inventory.secret_box import SecretBox, SecretError
from provisioner.provisioning.pipeline import SERVED_STATES
from provisioner.provisioning.record_changes import ChangeFeed
from provisioner.vendors.base import Vendor
from sip_core.directory import Account, Agent, Device

log = logging.getLogger("provisioner.sip")

#: Seconds between two looks at what changed.
CHECK_SECONDS = 1.0
#: User-Agent strings whose meaning is remembered at most; longer strings than MAX_AGENT_CHARS are not kept.
MAX_AGENTS = 4096
MAX_AGENT_CHARS = 256
LINE_FIELDS = {"sip_username": 1, "sip_password_enc": 1, "customer": 1, "site": 1, "extension": 1, "number": 1,
               "display_name": 1}
EQUIPMENT_FIELDS = {"vendor": 1, "model": 1, "mac": 1, "state": 1, "lines": 1}


@dataclass
class View:
    """Everything the directory answers from; never changed once handed to the event loop, only replaced."""

    accounts: dict[str, Account] = field(default_factory=dict)  # by SIP user name
    by_line: dict[str, Account] = field(default_factory=dict)  # by line id
    extensions: dict[tuple[str, str], Account] = field(default_factory=dict)
    numbers: dict[str, Account] = field(default_factory=dict)
    equipment: dict[str, tuple[Device, tuple[str, ...]]] = field(default_factory=dict)  # id -> device, its line ids
    holders: dict[str, frozenset[str]] = field(default_factory=dict)  # line id -> ids of the equipment carrying it

    def copy(self) -> "View":
        return View(dict(self.accounts), dict(self.by_line), dict(self.extensions), dict(self.numbers),
                    dict(self.equipment), dict(self.holders))

    def add(self, account: Account) -> None:
        self.accounts[account.username] = account
        self.by_line[account.line_id] = account
        if account.extension:
            self.extensions[(account.customer_id, account.extension)] = account
        if account.number:
            self.numbers[account.number] = account

    def discard(self, line_id: str) -> None:
        """Forget a line's account, wherever the indexes still point to it."""
        account = self.by_line.pop(line_id, None)
        if account is None:
            return
        for index, key in ((self.accounts, account.username), (self.extensions, (account.customer_id, account.extension)),
                           (self.numbers, account.number)):
            if index.get(key) is account:
                del index[key]


class InventoryDirectory:
    """Accounts, devices and User-Agents answered from memory; `start()` loads, then follows the changes."""

    def __init__(self, box: SecretBox, vendors: Iterable[Vendor], feed: ChangeFeed | None = None,
                 check_seconds: float = CHECK_SECONDS):
        self.box, self.check_seconds = box, check_seconds
        self.vendors = tuple(vendors)
        self._resync = {vendor.name: vendor.resync_event for vendor in self.vendors}
        self.feed = feed if feed is not None else ChangeFeed()
        self.view = View()
        self.loaded_at = 0.0  # time.monotonic() of the latest refresh that changed the view
        self._agents: OrderedDict[str, Agent | None] = OrderedDict()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sip-directory")
        self._follower: asyncio.Task | None = None

    # -- the Directory the core asks -------------------------------------------------------------

    def account(self, username: str) -> Account | None:
        return self.view.accounts.get(username)

    def by_extension(self, customer_id: str, extension: str) -> Account | None:
        return self.view.extensions.get((customer_id, extension))

    def by_number(self, number: str) -> Account | None:
        return self.view.numbers.get(number)

    def identify(self, user_agent: str) -> Agent | None:
        """Who the vendor modules say a User-Agent is; remembered for the MAX_AGENTS strings seen last."""
        try:
            agent = self._agents[user_agent]
        except KeyError:
            pass
        else:
            self._agents.move_to_end(user_agent)
            return agent
        agent = None
        for vendor in self.vendors:
            found = vendor.parse_user_agent(user_agent)
            if found is not None:
                agent = Agent(found.vendor, found.model, found.mac)
                break
        if len(user_agent) <= MAX_AGENT_CHARS:
            self._agents[user_agent] = agent
            while len(self._agents) > MAX_AGENTS:
                self._agents.popitem(last=False)
        return agent

    # -- loading and following -------------------------------------------------------------------

    async def start(self) -> None:
        """Load every line (the feed's first answer is "everything"), then follow the changes."""
        await self.refresh()
        self._follower = asyncio.get_running_loop().create_task(self._follow())

    def stop(self) -> None:
        if self._follower is not None:
            self._follower.cancel()
            self._follower = None
        self._thread.shutdown(wait=False, cancel_futures=True)

    async def refresh(self) -> bool:
        """Read what changed since the last look, off the event loop, and swap the view in; whether it changed."""
        view = await asyncio.get_running_loop().run_in_executor(self._thread, self.read_changes)
        if view is None:
            return False
        self.view = view
        self.loaded_at = time.monotonic()
        return True

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(self.check_seconds)
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database may be away a moment: the feed starts afresh
                log.warning("sip directory not refreshed: %s: %s", type(exc).__name__, exc)

    def read_changes(self) -> View | None:
        """In the directory's thread: the view after the changes the feed reports, or None when none reach it."""
        changes = self.feed.poll()
        if changes.everything:
            started = time.monotonic()
            view = self.read_all()
            log.info("sip directory loaded: %d accounts, %d devices in %.0f ms (%s)", len(view.accounts),
                     len(view.equipment), 1000 * (time.monotonic() - started), changes.reason)
            return view
        lines, equipment = set(), set()
        for key in changes.keys:
            kind, _, record_id = key.partition(":")
            if kind == "lines":
                lines.add(record_id)
            elif kind == "equipment":
                equipment.add(record_id)
        if not lines and not equipment:
            return None
        return self.read_some(self.view, lines, equipment)

    def read_all(self) -> View:
        """Every line and every served device carrying one, read in one pass."""
        view = View()
        # NX-27017 spends most of a full load answering (about 60 µs a record): both collections at once.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sip-directory-lines") as reader:
            lines = reader.submit(lambda: list(Line._get_collection().find({}, LINE_FIELDS)))
            equipment = list(Equipment._get_collection().find({}, EQUIPMENT_FIELDS))
            raw_lines = lines.result()
        for raw in equipment:
            entry = self._device(raw)
            if entry is not None:
                view.equipment[str(raw["_id"])] = entry
        holders: dict[str, set[str]] = {}
        for equipment_id, (_, line_ids) in view.equipment.items():
            for line_id in line_ids:
                holders.setdefault(line_id, set()).add(equipment_id)
        view.holders = {line_id: frozenset(ids) for line_id, ids in holders.items()}
        unreadable = 0
        for raw in raw_lines:
            account = self._account(raw, view)
            if account is None:
                unreadable += 1
            else:
                view.add(account)
        if unreadable:
            log.warning("sip directory: %d line(s) left out, their SIP password cannot be decrypted", unreadable)
        return view

    def read_some(self, current: View, line_ids: set[str], equipment_ids: set[str]) -> View:
        """`current` with these lines and equipment read again (and the lines an equipment change reaches)."""
        view = current.copy()
        read = records_by_id(Equipment, equipment_ids, EQUIPMENT_FIELDS)
        lines = set(line_ids)
        for equipment_id in equipment_ids:
            before = view.equipment.pop(equipment_id, None)
            after = self._device(read.get(equipment_id))
            if after is not None:
                view.equipment[equipment_id] = after
            for line_id in before[1] if before else ():
                view.holders[line_id] = view.holders.get(line_id, frozenset()) - {equipment_id}
            for line_id in after[1] if after else ():
                view.holders[line_id] = view.holders.get(line_id, frozenset()) | {equipment_id}
            lines |= set(before[1] if before else ()) | set(after[1] if after else ())
        for line_id in lines:
            if not view.holders.get(line_id, True):
                del view.holders[line_id]
            view.discard(line_id)
        for raw in records_by_id(Line, lines, LINE_FIELDS).values():
            account = self._account(raw, view)
            if account is None:
                log.warning("sip directory: line %s left out, its SIP password cannot be decrypted", raw["_id"])
            else:
                view.add(account)
        return view

    def _device(self, raw: dict | None) -> tuple[Device, tuple[str, ...]] | None:
        """A served device carrying lines, with their ids; None for anything else."""
        if raw is None or raw.get("state") not in SERVED_STATES or not raw.get("lines"):
            return None
        vendor = raw.get("vendor") or ""
        device = Device(vendor, raw.get("model") or "", raw.get("mac"), self._resync.get(vendor, ""))
        return device, tuple(str(line_id) for line_id in raw["lines"])

    def _account(self, raw: dict, view: View) -> Account | None:
        """A line's account, carried by the devices `view` knows; None when its password cannot be decrypted."""
        line_id = str(raw["_id"])
        try:
            password = self.box.decrypt(raw.get("sip_password_enc") or "")
        except SecretError:
            return None
        holders = sorted(view.holders.get(line_id, ()))
        return Account(username=raw.get("sip_username") or "", password=password, line_id=line_id,
                       customer_id=str(raw.get("customer") or ""), site_id=str(raw.get("site") or ""),
                       extension=raw.get("extension") or "", number=raw.get("number") or None,
                       display_name=raw.get("display_name") or "",
                       devices=tuple(view.equipment[i][0] for i in holders))
