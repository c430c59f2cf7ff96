"""`provisioner serve`: open storage, create the first admin, start the listeners, and stop cleanly on a signal."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import ssl
import time

import tornado.httpserver

from provisioner.app import MAX_BODY_BYTES, make_app
from provisioner.bootstrap import ENV_ADMIN_PASSWORD, create_first_admin
from provisioner.keys import cookie_secret, load_secret_box
from provisioner.metrics import START_SECONDS
from provisioner.services import Services
from provisioner.settings import Settings
from provisioner.storage import Storage

log = logging.getLogger("provisioner.server")


def _tls_context(settings: Settings) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(settings.https.certificate, settings.https.private_key)
    if settings.https.client_ca:
        context.load_verify_locations(settings.https.client_ca)
        context.verify_mode = ssl.CERT_OPTIONAL
    return context


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


async def serve(settings: Settings, demo: bool = False) -> int:
    """Run the server until SIGINT or SIGTERM; returns the exit status."""
    started = time.monotonic()
    settings.data_path.mkdir(parents=True, exist_ok=True)
    box = load_secret_box(settings.secret_key_path)
    storage = Storage(settings)
    log.info("storage: %s", storage.open())
    servers: list[tornado.httpserver.HTTPServer] = []
    try:
        password = create_first_admin()
        if password:
            announce_first_admin(password)
        if demo:
            from provisioner.demo import load_demo

            log.info("demo data: %s", load_demo(box))
        app = make_app(Services(settings=settings, box=box, cookie_secret=cookie_secret(box)))
        http = tornado.httpserver.HTTPServer(app, max_body_size=MAX_BODY_BYTES, xheaders=False)
        http.listen(settings.http.port, settings.http.address)
        servers.append(http)
        log.info("listening: http on %s:%d", settings.http.address, settings.http.port)
        if settings.https.enabled:
            https = tornado.httpserver.HTTPServer(app, ssl_options=_tls_context(settings), max_body_size=MAX_BODY_BYTES)
            https.listen(settings.https.port, settings.https.address)
            servers.append(https)
            log.info("listening: https on %s:%d", settings.https.address, settings.https.port)
        elapsed = time.monotonic() - started
        START_SECONDS.set(elapsed)
        log.info("ready in %.2f s (pid %d)", elapsed, os.getpid())
        await _until_signalled()
        log.info("stopping")
    finally:
        for server in servers:
            server.stop()
        try:
            for server in servers:
                await asyncio.wait_for(server.close_all_connections(), timeout=5)
        except asyncio.TimeoutError:
            log.warning("some connections were still open after 5 s; closing anyway")
        finally:
            storage.close()
    log.info("stopped")
    return 0


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    await stop.wait()
