"""From a device's request to its file: identify, find the device, authorise, render, record.

Every refusal is a miss, answered exactly like a missing file by the front ends, logged in one
fail2ban-readable line, and counted against the source address unless it is a known device of a site
whose address ranges hold that source (so a site's phones behind one NAT address never block it).
Devices and rendered files come from the process's DeviceCache (a change to any record shows within
about a second), and fetches are written in bulk every FLUSH_SECONDS: a request waits on the database
only for a device not seen since the last change.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
from dataclasses import dataclass
from typing import Iterable, Sequence

import jinja2
import tornado.ioloop
from pymongo.errors import PyMongoError

from inventory.equipment import Equipment
from inventory.firmware import PinnedFirmware, all_pinned
from inventory.provisioning_log import FetchLog, quarantine
from provisioner.provisioning.answers import Challenge, DeviceRequest, Miss, Served, revision_of
from provisioner.provisioning.client_certs import VendorAuthorities
from provisioner.provisioning.context import common_context, device_context
from provisioner.provisioning.device_cache import CachedDevice, DeviceCache
from provisioner.provisioning.identify import Identified, identify
from provisioner.provisioning.overrides import OverrideEnvironments
from provisioner.provisioning.proofs import DeviceProofs
from provisioner.provisioning.scan_guard import ScanGuard
from provisioner.provisioning.templates import RenderError, forget_templates, make_environment, render
from provisioner.services import Services
from provisioner.vendors.base import FileMatch, Vendor

__all__ = ["Challenge", "DeviceRequest", "Miss", "Pending", "Provisioner", "Served", "revision_of", "SERVED_STATES"]

misses = logging.getLogger("provisioner.misses")
log = logging.getLogger("provisioner.provisioning")

#: Lifecycle states in which a device gets its configuration: from staging (ready to ship) to service.
SERVED_STATES = frozenset({"staged", "shipped", "delivered", "installed", "in_service", "failed"})
#: Seconds between two writes of the fetches noted meanwhile.
FLUSH_SECONDS = 1.0
#: A device's latest fetch is rewritten at once when its file or where it went changed, else at most this
#: often (per process): its revision, source and transport are always right, its time at most this old (the
#: fetch log has every fetch's time).
LATEST_REFRESH_SECONDS = 60.0
#: Readings of (path, User-Agent) kept per process, the least recently used going first: a fleet's worth.
IDENTIFIED_KEPT = 32_768
#: The longest path and User-Agent whose readings are kept (a device's are far shorter).
MAX_KEPT_PATH, MAX_KEPT_AGENT = 256, 512


def template_files(loader: jinja2.BaseLoader | None) -> frozenset[tuple[str, int, int]]:
    """(path, modification time, size) of every file the loader's folders hold: what tells that templates changed."""
    if isinstance(loader, jinja2.ChoiceLoader):
        return frozenset().union(*(template_files(each) for each in loader.loaders))
    if not isinstance(loader, jinja2.FileSystemLoader):
        return frozenset()
    found = set()
    for folder in loader.searchpath:
        for directory, _, names in os.walk(folder):
            for name in names:
                path = os.path.join(directory, name)
                try:
                    stat = os.stat(path)
                except OSError:
                    continue  # removed meanwhile: the next call sees it gone
                found.add((path, stat.st_mtime_ns, stat.st_size))
    return frozenset(found)


@dataclass(frozen=True)
class Pending:
    """A request whose answer needs devices read first: what identify() read, and the MACs to load."""

    readings: Sequence[Identified] | None
    macs: set[str]


class Provisioner:
    """Answers devices' requests for their configuration files.

    One per process, shared by the front ends (the IOLoop's HTTP, the TFTP thread): it keeps each device's
    facts and rendered files in its DeviceCache, and notes fetches in its FetchLog, written from a thread
    every FLUSH_SECONDS as the IOLoop times it; close() writes what is left when the server stops.
    """

    def __init__(self, services: Services, vendors: Iterable[Vendor], guard: ScanGuard | None = None,
                 environment: jinja2.Environment | None = None, devices: DeviceCache | None = None):
        self.services = services
        self.vendors = list(vendors)
        self._vendors = {vendor.name: vendor for vendor in self.vendors}
        self.guard = guard or ScanGuard()
        self.devices = devices if devices is not None else DeviceCache()
        self.devices.stale = self._templates_changed
        self.fetches = FetchLog()
        self._environment = environment or make_environment()
        self.overrides = OverrideEnvironments(lambda: self._environment, lambda: self.devices.epoch)
        self._pins: tuple[int, dict] | None = None  # (cache epoch, pinned images) read once per epoch
        self.proofs = DeviceProofs(services)
        self._identified = functools.lru_cache(maxsize=IDENTIFIED_KEPT)(self._identify)
        self._templates: frozenset | None = None  # the template files' (path, mtime, size) at the last check
        self._flusher: tornado.ioloop.PeriodicCallback | None = None
        self._flusher_loop: asyncio.AbstractEventLoop | None = None
        self._flushing: asyncio.Future | None = None
        try:
            self._start_flushing()  # the server makes it within its IOLoop: TFTP's fetches get written too
        except RuntimeError:
            pass  # no loop running: answer() starts it, or whoever uses this calls flush()

    def identify(self, path: str, user_agent: str) -> tuple[Identified, ...]:
        """identify()'s readings, remembered for a short path and User-Agent: a device asks with the same ones each
        time, and reading them (the vendors' patterns) cost a twentieth of a boot storm's request. Long ones are
        read afresh, so that nobody can fill the memory with them (IDENTIFIED_KEPT entries of at most a few
        hundred bytes)."""
        if len(path) > MAX_KEPT_PATH or len(user_agent) > MAX_KEPT_AGENT:
            return self._identify(path, user_agent)
        return self._identified(path, user_agent)

    def _identify(self, path: str, user_agent: str) -> tuple[Identified, ...]:
        return tuple(identify(path, user_agent, self.vendors))  # shared by every request alike: not to be changed

    @property
    def nonce_key(self) -> bytes:
        """The key device download nonces are signed with (proofs.py)."""
        return self.proofs.nonce_key

    @property
    def authorities(self) -> VendorAuthorities:
        """The vendors' factory CAs, for the HTTPS front end to read a client certificate with."""
        return self.proofs.authorities

    @property
    def environment(self) -> jinja2.Environment:
        """The templates' environment; replacing it lets go of every file rendered with the previous one."""
        return self._environment

    @environment.setter
    def environment(self, environment: jinja2.Environment) -> None:
        self._environment = environment
        self.devices.clear()

    async def answer(self, request: DeviceRequest) -> Served | Challenge | None:
        """As serve(), but a device not seen yet is read off the IOLoop, in one query with other requests' (HTTP)."""
        now = self.answer_now(request)
        if not isinstance(now, Pending):
            return now
        await self.devices.prefetch(now.macs)
        return self.serve(request, now.readings)

    def answer_now(self, request: DeviceRequest) -> Served | Challenge | None | Pending:
        """As answer() when that reads nothing (the devices asked for are kept or known absent, and no check of
        the cache is due): the front ends then answer without a task. Else a Pending, which answer() awaits."""
        self._start_flushing()
        readings = None
        if not self.guard.blocked(request.source):
            readings = self.identify(request.path, request.user_agent)
        macs = {r.file.mac for r in readings or () if r.file.mac}
        if self.devices.ready(macs):
            return self.serve(request, readings)
        return Pending(readings, macs)

    def serve(self, request: DeviceRequest, readings: Sequence[Identified] | None = None) -> Served | Challenge | None:
        """The file for this request, a Challenge for credentials, or None for the missing-file answer.

        `readings` are identify()'s, when the caller has them already.
        """
        if self.guard.blocked(request.source):
            self._log_miss(request, "source blocked")
            return None
        try:
            return self._serve(request, self.identify(request.path, request.user_agent)
                               if readings is None else readings)
        except Miss as miss:
            self._log_miss(request, miss.reason)
            if not miss.excused and self.guard.miss(request.source):
                misses.warning("provisioning source blocked: %s", request.source)
            return None

    def _serve(self, request: DeviceRequest, readings: Sequence[Identified]) -> Served | Challenge:
        if not readings:
            raise Miss("unrecognised file or user agent")
        if readings[0].file.per_device:
            if self.proofs.asks_credentials(request):
                return self.proofs.challenge()
            return self._device_file(request, readings)
        if len(readings) != 1:
            raise Miss("shared file of an unknown vendor")
        return self._shared_file(readings[0])

    def _device_file(self, request: DeviceRequest, readings: Sequence[Identified]) -> Served | Challenge:
        mac = readings[0].file.mac
        device = self.devices.lookup(mac)
        if device is None:
            agent = readings[0].user_agent
            if agent is not None or len(readings) == 1:
                quarantine(mac, readings[0].vendor.name, agent.model if agent else readings[0].file.model,
                           agent.firmware if agent else None, request.source, request.user_agent)
            raise Miss("unknown device")
        excused = device.admits(request.source)
        reading = next((r for r in readings if r.vendor.name == device.vendor), None)
        if reading is None:
            raise Miss(f"device is a {device.vendor}, request is not", excused)
        agent = reading.user_agent
        if agent is None and request.transport != "tftp":
            # Over HTTP every supported device names itself; a browser or a script does not.
            raise Miss(f"no {device.vendor} user agent", excused)
        if agent is not None and agent.model and agent.model.lower() != device.model.lower():
            raise Miss(f"user agent model {agent.model} is not the device's {device.model}", excused)
        if device.problem:
            raise Miss(device.problem, excused=True)
        if device.state not in SERVED_STATES:
            raise Miss(f"device is {device.state}", excused)
        if device.restricted and not excused:
            raise Miss("source is outside the site's address ranges")
        self.proofs.check_certificate(request, device, excused)
        if self.proofs.credentials_stale(request, device, excused):
            return self.proofs.challenge(stale=True)
        served = self._own_file(device, reading.file, self.proofs.encrypts(request), request.transport)
        # The latest fetch is rewritten when the file, its revision or where it went changed, else at most
        # every LATEST_REFRESH_SECONDS; every fetch goes to the log.
        now, key = time.monotonic(), (reading.file, served.revision, request.source, request.transport)
        latest = device.latest != key or now - device.latest_at >= LATEST_REFRESH_SECONDS
        if latest:
            device.latest, device.latest_at = key, now
        self._note_fetch(mac, device.equipment_id, request, served.revision, latest)
        return served

    def _own_file(self, device: CachedDevice, file: FileMatch, encrypt: bool, transport: str) -> Served:
        """The device's own file as sent: kept, or rendered now (and encrypted when `encrypt`) and kept.

        A plain transport gets the file encrypted (unless configured otherwise), HTTPS in clear: only the form
        sent is kept, so a device asking over one transport costs the cache one copy.
        """
        key = (file, "encrypted") if encrypt else file
        served = device.files.get(key)
        if served is not None:
            return served
        scheme = self.proofs.scheme(device, transport) if encrypt else None
        item = self.devices.records(device)
        if item is None:
            raise Miss("unknown device")  # deleted since it was looked up
        context = device_context(item, self.services.box, self.services.settings, pinned=self._pinned)
        served = self._render(device.vendor, file.template, item.model, context, file.content_type,
                              self._environment_of(item))
        if scheme is not None:
            body = scheme.encrypt(served.body, self.proofs.secret(device, "config_key_enc"))
            served = Served(body, "application/octet-stream", served.revision)  # the clear file's revision
        self.devices.keep_file(device, key, served, len(served.body))
        return served

    def render_ahead(self, device: CachedDevice) -> bool:
        """Render the device's own file before it asks, in the form it will most likely get; whether it was rendered.

        That is the form of the plain transports (encrypted unless configured otherwise), or the clear one of
        HTTPS for a device that cannot get its file encrypted (a vendor without a scheme, no file key yet): it can
        only be served over HTTPS. Devices that would not be served, and files kept already, cost nothing
        (render_ahead.py drives this).
        """
        vendor = self._vendors.get(device.vendor)
        if vendor is None or device.problem or device.state not in SERVED_STATES:
            return False
        file = vendor.match_file(vendor.device_files(device.mac, device.model)[-1])
        encrypt = self.proofs.encrypts_plain() and self.proofs.can_encrypt(device)
        if file is None or not file.per_device or ((file, "encrypted") if encrypt else file) in device.files:
            return False
        try:
            self._own_file(device, file, encrypt, "http")
        except Miss as miss:
            log.debug("not rendered ahead for %s: %s", device.mac, miss.reason)
            return False
        return True

    def preview(self, item: Equipment, name: str, masked: bool) -> Served:
        """The file `name` exactly as device `item` would receive it now (secrets masked if asked); Miss if not its file."""
        vendor = next((v for v in self.vendors if v.name == item.vendor), None)
        match = vendor.match_file(name) if vendor else None
        if match is None or (match.per_device and match.mac != item.mac):
            raise Miss(f"{name} is not a file of this device")
        self.devices.check()  # overrides and pinned firmware as they are now, whatever devices asked lately
        if not match.per_device:
            context = common_context(item.vendor, match.model or item.model, self.services.settings, self._pinned)
            return self._render(item.vendor, match.template, match.model or item.model, context, match.content_type)
        context = device_context(item, self.services.box, self.services.settings, masked, self._pinned)
        return self._render(item.vendor, match.template, match.model or item.model, context, match.content_type,
                            self._environment_of(item))

    def _pinned(self, vendor: str, model: str) -> PinnedFirmware | None:
        """The firmware pinned for a model: all pins are read once per cache epoch (a firmware change starts one)."""
        epoch, pins = self.devices.epoch, self._pins
        if pins is None or pins[0] != epoch:
            pins = self._pins = (epoch, all_pinned())
        return pins[1].get((vendor, model.lower()))

    def _environment_of(self, item: Equipment) -> jinja2.Environment:
        """Where a device's own files render: with its site's and its customer's template overrides."""
        return self.overrides.for_device(item.customer.pk if item.customer else None,
                                         item.site.pk if item.site else None)

    def _shared_file(self, reading: Identified) -> Served:
        model = reading.file.model or (reading.user_agent.model if reading.user_agent else None)
        served, epoch = self.devices.shared((reading.file, model))
        if served is None:
            context = common_context(reading.vendor.name, model, self.services.settings, self._pinned)
            served = self._render(reading.vendor.name, reading.file.template, model, context, reading.file.content_type)
            self.devices.keep_shared((reading.file, model), served, epoch)
        return served

    def _render(self, vendor: str, template: str, model: str | None, context: dict, content_type: str,
                environment: jinja2.Environment | None = None) -> Served:
        try:
            body = render(environment or self.environment, vendor, template, model, context).encode("utf-8")
        except RenderError as exc:
            log.error("template failed, nothing served: %s", exc)
            raise Miss("template failed", excused=True) from None
        return Served(body, content_type, revision_of(body))

    def _templates_changed(self) -> bool:
        """Whether a template file changed, appeared or went since the last call (rendered files must then go)."""
        seen, self._templates = self._templates, template_files(self._environment.loader)
        changed = seen is not None and seen != self._templates
        if changed:
            forget_templates(self._environment)
        return changed

    # -- fetch records -----------------------------------------------------------------------------

    def _note_fetch(self, mac: str, equipment_id: str, request: DeviceRequest, revision: str, latest: bool) -> None:
        self.fetches.note(mac, equipment_id, request.path.rsplit("/", 1)[-1], revision, request.source,
                          request.transport, request.user_agent, latest)

    def _start_flushing(self) -> None:
        """Write the noted fetches every FLUSH_SECONDS, timed by the running IOLoop (once per loop), from a thread."""
        loop = asyncio.get_running_loop()
        if self._flusher_loop is not loop:
            self._flusher_loop = loop
            self._flusher = tornado.ioloop.PeriodicCallback(self._flush_in_thread, FLUSH_SECONDS * 1000)
            self._flusher.start()

    def _flush_in_thread(self) -> None:
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().run_in_executor(None, self.flush)

    def flush(self, everything: bool = False) -> int:
        """Write the fetches noted so far; returns how many. If the database fails they wait for the next flush.

        The devices' latest fetches are written a few hundred at a time unless `everything` (FetchLog.flush).
        """
        try:
            return self.fetches.flush(everything)
        except PyMongoError as exc:
            log.warning("fetch records not written yet (%d waiting): %s", self.fetches.pending(), exc)
            return 0

    def close(self) -> None:
        """Stop the timed writing and write what is left; when the server stops, from the IOLoop's thread."""
        if self._flusher is not None:
            self._flusher.stop()
            self._flusher = self._flusher_loop = None
        self.flush(everything=True)

    def _log_miss(self, request: DeviceRequest, reason: str) -> None:
        # One line per miss, always the same shape, for fail2ban: "provisioning miss from <address>: ...".
        misses.info("provisioning miss from %s: %s (%s %s)", request.source, reason, request.transport,
                    request.path[:128].replace("\n", " "))
