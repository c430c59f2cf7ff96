"""From a device's request to its file: identify, find the device, authorise, render, record.

Every refusal is a miss, answered exactly like a missing file by the front ends, logged in one
fail2ban-readable line, and counted against the source address unless it is a known device of a site
whose address ranges hold that source (so a site's phones behind one NAT address never block it).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from dataclasses import dataclass
from typing import Iterable

import jinja2

from inventory.equipment import Equipment
from inventory.provisioning_log import quarantine, record_fetch
from provisioner.provisioning.context import common_context, device_context
from provisioner.provisioning.identify import Identified, identify
from provisioner.provisioning.scan_guard import ScanGuard
from provisioner.provisioning.templates import RenderError, make_environment, render
from provisioner.services import Services
from provisioner.vendors.base import Vendor

misses = logging.getLogger("provisioner.misses")
log = logging.getLogger("provisioner.provisioning")

#: Lifecycle states in which a device gets its configuration: from staging (ready to ship) to service.
SERVED_STATES = frozenset({"staged", "shipped", "delivered", "installed", "in_service", "failed"})


@dataclass(frozen=True)
class DeviceRequest:
    """What a front end knows of a request."""

    path: str
    user_agent: str
    source: str
    transport: str  # http, https or tftp


@dataclass(frozen=True)
class Served:
    """A rendered file and its revision (a digest of its content, used as ETag)."""

    body: bytes
    content_type: str
    revision: str


class Miss(Exception):
    """The request gets the missing-file answer; `reason` is for the log only, never for the device."""

    def __init__(self, reason: str, excused: bool = False):
        super().__init__(reason)
        self.reason, self.excused = reason, excused


def revision_of(body: bytes) -> str:
    """The content revision of a file: the same bytes always give the same revision."""
    return hashlib.sha256(body).hexdigest()[:32]


def in_networks(source: str, networks: Iterable[str]) -> bool:
    """Whether an address lies in one of the ranges (an unparsable address lies in none)."""
    try:
        address = ipaddress.ip_address(source)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


class Provisioner:
    """Answers devices' requests for their configuration files."""

    def __init__(self, services: Services, vendors: Iterable[Vendor], guard: ScanGuard | None = None,
                 environment: jinja2.Environment | None = None):
        self.services = services
        self.vendors = list(vendors)
        self.guard = guard or ScanGuard()
        self.environment = environment or make_environment()

    def serve(self, request: DeviceRequest) -> Served | None:
        """The file for this request, or None for the missing-file answer."""
        if self.guard.blocked(request.source):
            self._log_miss(request, "source blocked")
            return None
        try:
            return self._serve(request)
        except Miss as miss:
            self._log_miss(request, miss.reason)
            if not miss.excused and self.guard.miss(request.source):
                misses.warning("provisioning source blocked: %s", request.source)
            return None

    def _serve(self, request: DeviceRequest) -> Served:
        readings = identify(request.path, request.user_agent, self.vendors)
        if not readings:
            raise Miss("unrecognised file or user agent")
        if readings[0].file.per_device:
            return self._device_file(request, readings)
        if len(readings) != 1:
            raise Miss("shared file of an unknown vendor")
        return self._shared_file(readings[0])

    def _device_file(self, request: DeviceRequest, readings: list[Identified]) -> Served:
        mac = readings[0].file.mac
        item = Equipment.objects(mac=mac).first()
        if item is None:
            agent = readings[0].user_agent
            if agent is not None or len(readings) == 1:
                quarantine(mac, readings[0].vendor.name, agent.model if agent else readings[0].file.model,
                           agent.firmware if agent else None, request.source, request.user_agent)
            raise Miss("unknown device")
        site = item.site
        excused = site is not None and in_networks(request.source, site.allowed_networks or [])
        reading = next((r for r in readings if r.vendor.name == item.vendor), None)
        if reading is None:
            raise Miss(f"device is a {item.vendor}, request is not", excused)
        agent = reading.user_agent
        if agent is None and request.transport != "tftp":
            # Over HTTP every supported device names itself; a browser or a script does not.
            raise Miss(f"no {item.vendor} user agent", excused)
        if agent is not None and agent.model and agent.model.lower() != item.model.lower():
            raise Miss(f"user agent model {agent.model} is not the device's {item.model}", excused)
        if item.state not in SERVED_STATES:
            raise Miss(f"device is {item.state}", excused)
        if site is not None and site.allowed_networks and not excused:
            raise Miss("source is outside the site's address ranges")
        context = device_context(item, self.services.box, self.services.settings)
        served = self._render(reading.vendor.name, reading.file.template, item.model, context, reading.file.content_type)
        record_fetch(mac, item, request.path.rsplit("/", 1)[-1], served.revision, request.source,
                     request.transport, request.user_agent, per_device=True)
        return served

    def preview(self, item: Equipment, name: str, masked: bool) -> Served:
        """The file `name` exactly as device `item` would receive it now (secrets masked if asked); Miss if not its file."""
        vendor = next((v for v in self.vendors if v.name == item.vendor), None)
        match = vendor.match_file(name) if vendor else None
        if match is None or (match.per_device and match.mac != item.mac):
            raise Miss(f"{name} is not a file of this device")
        if not match.per_device:
            context = common_context(item.vendor, match.model or item.model, self.services.settings)
        else:
            context = device_context(item, self.services.box, self.services.settings, masked)
        return self._render(item.vendor, match.template, match.model or item.model, context, match.content_type)

    def _shared_file(self, reading: Identified) -> Served:
        model = reading.file.model or (reading.user_agent.model if reading.user_agent else None)
        context = common_context(reading.vendor.name, model, self.services.settings)
        return self._render(reading.vendor.name, reading.file.template, model, context, reading.file.content_type)

    def _render(self, vendor: str, template: str, model: str | None, context: dict, content_type: str) -> Served:
        try:
            body = render(self.environment, vendor, template, model, context).encode("utf-8")
        except RenderError as exc:
            log.error("template failed, nothing served: %s", exc)
            raise Miss("template failed", excused=True) from None
        return Served(body, content_type, revision_of(body))

    def _log_miss(self, request: DeviceRequest, reason: str) -> None:
        # One line per miss, always the same shape, for fail2ban: "provisioning miss from <address>: ...".
        misses.info("provisioning miss from %s: %s (%s %s)", request.source, reason, request.transport,
                    request.path[:128].replace("\n", " "))
