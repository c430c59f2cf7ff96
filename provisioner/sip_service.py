"""The SIP core inside the server: its directory, bindings store and recorder, started and stopped together.

One process of the server runs it (worker 0, or the only process): UDP has no accept() to share, and the
transactions and TCP connections of a registration live in one process. Bindings are in MongoDB, so another
process or a restart finds them.
"""

from __future__ import annotations

import asyncio
import logging
import socket

from inventory.secret_box import SecretBox
from provisioner.provisioning.pipeline import Provisioner
from provisioner.resync_poller import ResyncPoller
from provisioner.resync_targets import resolver
from provisioner.settings import Settings
from provisioner.sip_call_log import SipCallLog
from provisioner.sip_directory import InventoryDirectory
from provisioner.sip_recorder import SipRecorder
from provisioner.sip_settings import SipSettings, core_config, tls_context
from provisioner.sip_store import MongoBindingStore
from provisioner.vendors import VENDORS
from sip_core.core import SipCore

log = logging.getLogger("provisioner.sip")


def check_ports(sip: SipSettings) -> None:
    """Raise OSError, naming the listener, when a SIP port cannot be bound now (start-up then fails early)."""
    family = socket.AF_INET6 if ":" in sip.address else socket.AF_INET
    probes = [(socket.SOCK_DGRAM, sip.udp_port, "udp"), (socket.SOCK_STREAM, sip.tcp_port, "tcp")]
    if sip.tls_enabled:
        probes.append((socket.SOCK_STREAM, sip.tls_port, "tls"))
    for kind, port, name in probes:
        try:
            with socket.socket(family, kind) as probe:
                if kind == socket.SOCK_STREAM:  # as the listener will: a connection in TIME_WAIT must not count
                    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind((sip.address, port))
        except OSError as exc:
            raise OSError(exc.errno, f"{exc.strerror or exc}: sip {sip.address}:{port}/{name} "
                                     "(set sip.udp_port/tcp_port, or sip.enabled: false)") from None


class SipService:
    """The SIP core of this process over the inventory; `await start()`, then `await stop()`."""

    def __init__(self, settings: Settings, box: SecretBox, provisioner: Provisioner | None = None):
        self.settings, self.box = settings, box
        self.provisioner = provisioner  # renders files for the re-sync of devices out of date
        self.resync: ResyncPoller | None = None
        self.directory = InventoryDirectory(box, VENDORS.values())
        self.store = MongoBindingStore()
        self.recorder = SipRecorder(self.directory)
        self.call_log = SipCallLog()
        self.core: SipCore | None = None
        self.addresses: dict[str, tuple[str, int]] = {}

    async def start(self) -> dict[str, tuple[str, int]]:
        """Load the directory and the bindings, open the ports; the addresses listened on by transport."""
        sip = self.settings.sip
        await self.directory.start()
        self.store.start()
        self.recorder.start()
        self.call_log.start()
        config = core_config(self.settings, self.box)
        loop = asyncio.get_running_loop()
        # The core reads every live binding from the store as it is made: off the event loop.
        self.core = await loop.run_in_executor(
            None, lambda: SipCore(config, self.directory, self.store, self.recorder, call_log=self.call_log))
        # This month's distinct numbers per line, read back: a restart must not reset the fair-use count.
        await loop.run_in_executor(None, self.call_log.restore, self.core.calls.fair_use)
        context = tls_context(sip)
        self.addresses = await self.core.start(sip.address, sip.udp_port, sip.tcp_port,
                                               sip.tls_port if context else None, context)
        self.resync = ResyncPoller(self.core, resolver(self.provisioner))
        self.resync.start()
        log.info("sip core ready: realm %s, %d accounts, %d lines registered, listening on %s", config.realm,
                 len(self.directory.view.accounts), len(self.core.location),
                 ", ".join(f"{name} {host}:{port}" for name, (host, port) in sorted(self.addresses.items())))
        return self.addresses

    async def stop(self) -> None:
        """Close the ports, stop following changes, and write the bindings and signs still queued."""
        if self.resync is not None:
            await self.resync.stop()
        if self.core is not None:
            self.core.stop()
        self.directory.stop()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.store.close)
        await loop.run_in_executor(None, self.recorder.close)
        await loop.run_in_executor(None, self.call_log.close)
