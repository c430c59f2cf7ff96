"""`provisioner serve`: open storage, create the first admin, bind the listeners, serve in one or more processes."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import ssl
import time
from dataclasses import dataclass

import tornado.httpserver
import tornado.netutil
import tornado.web

from inventory.appointment_booking import deliver_pending_charges
from inventory.secret_box import SecretBox
from inventory.transitions import flush_outboxes
from provisioner.app import MAX_BODY_BYTES, make_app
from provisioner.bootstrap import ENV_ADMIN_PASSWORD, create_first_admin
from provisioner.garbage_collector import tune_garbage_collector
from provisioner.keys import cookie_secret, load_secret_box
from provisioner.metrics import START_SECONDS, forget_worker
from provisioner.provisioning.render_ahead import RenderAhead
from provisioner.provisioning.tftp_files import TftpFront, check_port
from provisioner.services import Services
from provisioner.settings import Settings
from provisioner.sip_service import SipService, check_ports
from provisioner.storage import Storage
from provisioner.ticket_calendar import ticket_calendar
from provisioner.ticket_closer import TicketCloser
from provisioner.workers import supervise

log = logging.getLogger("provisioner.server")
CLOSE_CONNECTIONS_SECONDS = 5
#: A boot storm opens hundreds of connections at once; with Tornado's default (128) the kernel drops some
#: and each dropped phone waits a second or more before retrying (docs/benchmarks.rst, "Boot storm").
LISTEN_BACKLOG = 1024
#: Connections a worker accepts at most each time the shared listening socket is readable (Tornado takes up to
#: 128): in a boot storm one worker grabbing a hundred connections at once leaves them waiting behind each other
#: while the other worker idles. 8 at a time took the storm's p99 from 104.8 to 78.4 ms warm and from 143.1 to
#: 100.3 ms for the first fetches, in one run each (docs/benchmarks.rst, "Boot storm", fourth round).
ACCEPT_BATCH = 8


@dataclass
class Listeners:
    """Sockets bound once by the parent, so every worker accepts on the same ports."""

    http: list[socket.socket]
    https: list[socket.socket]

    def close(self) -> None:
        for sock in self.http + self.https:
            sock.close()


def _tls_context(settings: Settings) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(settings.https.certificate, settings.https.private_key)
    # Phones' client certificates are asked for, not required: staff and the API share the port, and the
    # pipeline decides per file (https.require_client_certificate) what a missing certificate means.
    authorities = [settings.https.client_ca] if settings.https.client_ca else []
    authorities += [item.split("=", 1)[1] for item in settings.https.vendor_cas]
    for bundle in authorities:
        context.load_verify_locations(bundle)
    if authorities:
        context.verify_mode = ssl.CERT_OPTIONAL
    return context


def share_connections_fairly() -> None:
    """Have this process accept ACCEPT_BATCH connections at a time from the listening sockets it shares.

    Tornado's accept loop reads the batch size from ``tornado.netutil._DEFAULT_BACKLOG`` at each call (it has no
    public setting); tests/provisioner/test_server_process.py checks that the installed Tornado still does.
    """
    tornado.netutil._DEFAULT_BACKLOG = ACCEPT_BATCH


def announce_first_admin(password: str) -> None:
    """Print the one-time administrator password once, on the terminal, never in the log."""
    print(
        "\n  First start: created the administrator account 'admin'.\n"
        f"  One-time password: {password}\n"
        "  It must be changed at first sign-in (POST /api/v1/me/password),\n"
        "  or now with: provisioner admin set-password admin\n"
        f"  (set {ENV_ADMIN_PASSWORD} before the first start to choose it instead)\n",
        flush=True,
    )


def _bind(settings: Settings) -> Listeners:
    http = tornado.netutil.bind_sockets(settings.http.port, settings.http.address, backlog=LISTEN_BACKLOG)
    log.info("listening: http on %s:%d", settings.http.address, settings.http.port)
    https: list[socket.socket] = []
    if settings.https.enabled:
        https = tornado.netutil.bind_sockets(settings.https.port, settings.https.address, backlog=LISTEN_BACKLOG)
        log.info("listening: https on %s:%d", settings.https.address, settings.https.port)
    # tftpy binds its own UDP socket when TFTP starts (maybe in worker 0): a taken port must stop start-up here.
    check_port(settings.tftp.address, settings.tftp.port)
    if settings.sip.enabled:  # the SIP core opens its own sockets in worker 0: a taken port stops start-up here
        check_ports(settings.sip)
    return Listeners(http, https)


def run(settings: Settings, demo: bool = False) -> int:
    """Run the server until SIGINT or SIGTERM; returns the exit status."""
    started = time.monotonic()
    settings.data_path.mkdir(parents=True, exist_ok=True)
    box = load_secret_box(settings.secret_key_path)
    storage = Storage(settings)
    log.info("storage: %s", storage.open())
    listeners: Listeners | None = None
    try:
        password = create_first_admin()
        if password:
            announce_first_admin(password)
        delivered = flush_outboxes()
        if delivered:
            log.warning("lifecycle: %d event(s) a crash left in items' outboxes delivered", delivered)
        charged = deliver_pending_charges()
        if charged:
            log.warning("installations: %d late-cancellation charge(s) a crash left owed written", charged)
        if demo:
            from provisioner.demo import load_demo

            log.info("demo data: %s", load_demo(box))
        listeners = _bind(settings)
        count = settings.worker_count
        if count == 1:
            tune_garbage_collector()
            return asyncio.run(_serve(settings, box, listeners, started))
        storage.disconnect()
        log.info("ready in %.2f s (pid %d) with %d workers", time.monotonic() - started, os.getpid(), count)

        def worker(index: int) -> int:
            storage.reconnect()
            share_connections_fairly()
            tune_garbage_collector()
            return asyncio.run(_serve(settings, box, listeners, started, index))

        status = supervise(count, worker, on_exit=forget_worker)
        log.info("stopped")
        return status
    finally:
        if listeners is not None:
            listeners.close()
        storage.close()


async def _serve(settings: Settings, box: SecretBox, listeners: Listeners, started: float,
                 worker: int | None = None) -> int:
    """Serve HTTP(S) on the bound sockets, and TFTP and SIP in one process, until SIGINT or SIGTERM."""
    # Signals are taken from the first moment: HTTP answers while the SIP core starts, and a SIGTERM then must
    # still stop the server cleanly once it is up, not kill it half-way.
    stop = _stop_on_signals()
    app = make_app(Services(settings=settings, box=box, cookie_secret=cookie_secret(box)))
    servers = [tornado.httpserver.HTTPServer(app, max_body_size=MAX_BODY_BYTES)]
    servers[0].add_sockets(listeners.http)
    if listeners.https:
        servers.append(tornado.httpserver.HTTPServer(app, ssl_options=_tls_context(settings), max_body_size=MAX_BODY_BYTES))
        servers[1].add_sockets(listeners.https)
    ahead = None
    if settings.provisioning.render_ahead:  # every process serves every device: each renders them all ahead
        ahead = RenderAhead(app.settings["provisioner"])
        ahead.start()
    # UDP has no accept() to share: a second bind would fail or split transfers, so only worker 0 runs TFTP.
    tftp = sip = closer = None
    if worker in (None, 0):
        tftp = TftpFront(app.settings["provisioner"], settings.tftp.address, settings.tftp.port)
        tftp.start()
        # One process is enough to close tickets left without an answer; each is closed once by a conditional write.
        closer = TicketCloser(ticket_calendar(settings))
        closer.start()
        # The SIP core's transactions and TCP connections live in one process: the same one as TFTP.
        if settings.sip.enabled:
            sip = SipService(settings, box, app.settings["provisioner"])
            await sip.start()
    elapsed = time.monotonic() - started
    START_SECONDS.set(elapsed)
    if worker is None:
        log.info("ready in %.2f s (pid %d)", elapsed, os.getpid())
    else:
        log.info("worker %d ready (pid %d)", worker, os.getpid())
    await stop.wait()
    log.info("stopping")
    for server in servers:
        server.stop()
    try:
        await asyncio.wait_for(asyncio.gather(*(s.close_all_connections() for s in servers)), CLOSE_CONNECTIONS_SECONDS)
    except asyncio.TimeoutError:
        log.warning("some connections were still open after %d s; closing anyway", CLOSE_CONNECTIONS_SECONDS)
    if ahead:
        await ahead.stop()
    if tftp:
        tftp.stop()
    if closer:
        await closer.stop()
    if sip:
        await sip.stop()  # writes the bindings and fraud signs still queued
    app.settings["provisioner"].close()  # writes the fetches still buffered
    if worker is None:
        log.info("stopped")
    return 0


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM, from now on."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    return stop
