"""The TFTP front end for devices: files generated on the fly by the provisioning pipeline, read-only.

tftpy runs in a daemon thread, so a transfer never blocks the tornado IOLoop. Every refused or unknown
file gets the answer of a missing file (TFTP error 1, "File not found"); every write request gets
"Access violation". Nothing is read from or written to disk: tftpy serves a real file found under its
root before asking us, so its root is a fresh empty directory of ours, and write requests are refused
before tftpy sees them.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import tempfile
import threading
import time
from typing import Callable

import tftpy
from tftpy.TftpContexts import TftpContextServer
from tftpy.TftpPacketFactory import TftpPacketFactory
from tftpy.TftpPacketTypes import TftpPacketERR, TftpPacketRRQ, TftpPacketWRQ

from provisioner.provisioning.identify import file_name
from provisioner.provisioning.pipeline import DeviceRequest, Provisioner

log = logging.getLogger("provisioner.tftp")

#: Seconds before tftpy sends a packet again (three tries); also how long its loop takes to notice stop().
RETRANSMIT_SECONDS = 1.0
#: How long stop() lets transfers in progress finish before dropping them.
STOP_GRACE_SECONDS = 3.0
#: How long start() waits for tftpy to bind its socket.
START_SECONDS = 5.0
#: How often, 0.1 s apart, the port is bound again after tftpy's loop failed.
REBIND_TRIES = 20


def check_port(address: str, port: int) -> None:
    """Raise OSError, naming the listener, when the TFTP port cannot be bound now.

    tftpy binds its own socket when it starts, possibly in a worker process: this lets start-up fail early.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind((address, port))
    except OSError as exc:
        raise _listen_error(exc, address, port) from None


def _listen_error(exc: BaseException, address: str, port: int) -> OSError:
    errno, reason = (exc.errno, exc.strerror or str(exc)) if isinstance(exc, OSError) else (None, str(exc))
    return OSError(errno, f"{reason}: tftp {address}:{port}/udp")


class TftpFront:
    """Serves device files over TFTP from a daemon thread: start() binds or raises OSError, stop() ends it."""

    def __init__(self, provisioner: Provisioner, address: str, port: int):
        self.provisioner, self.address, self.port = provisioner, address, port
        self._server: tftpy.TftpServer | None = None
        self._thread: threading.Thread | None = None
        self.root: str | None = None  # the empty directory tftpy is given, while it runs
        self._bind_error: BaseException | None = None

    def start(self) -> None:
        """Bind the port (0 picks a free one, then read `port`) and serve until stop()."""
        # tftpy logs every packet at INFO and every missing file as an ERROR; the pipeline logs each miss
        # in one line of its own, and this module logs what goes wrong.
        logging.getLogger("tftpy").setLevel(logging.CRITICAL)
        self.root = tempfile.mkdtemp(prefix="provisioner-tftp-empty-")
        server = tftpy.TftpServer(self.root, dyn_file_func=self._open, upload_open=_refuse_upload)
        server.sessions = _Transfers(self._prepare)
        self._server = server
        self._thread = threading.Thread(target=self._listen, args=(server,), name="tftp", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_SECONDS
        while not server.is_running.wait(0.02):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                failure = self._bind_error or TimeoutError(f"not listening after {START_SECONDS:.0f} s")
                self.stop()
                raise _listen_error(failure, self.address, self.port)
        self.port = server.listenport
        log.info("listening: tftp on %s:%d", self.address, self.port)

    def stop(self) -> None:
        """Refuse new transfers, let those in progress finish for up to STOP_GRACE_SECONDS, then drop them."""
        server, thread = self._server, self._thread
        if server is not None and thread is not None and thread.is_alive():
            server.stop()
            self._wake()
            thread.join(STOP_GRACE_SECONDS)
            if thread.is_alive():
                server.stop(now=True)
                thread.join(RETRANSMIT_SECONDS + 1)
            if thread.is_alive():
                log.warning("tftp: tftpy did not stop within %.0f s", STOP_GRACE_SECONDS + RETRANSMIT_SECONDS + 1)
        if self.root is not None:
            try:
                os.rmdir(self.root)  # fails, and says so, if anything was ever written there
            except OSError as exc:
                log.warning("tftp: could not remove its empty root %s: %s", self.root, exc)
            self.root = None

    def _wake(self) -> None:
        # tftpy looks at stop() only between two select() calls: an empty datagram ends the wait now.
        target = "127.0.0.1" if self.address in ("", "0.0.0.0") else self.address
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as waker:
                waker.sendto(b"", (target, self.port))
        except OSError:
            pass  # then it notices within RETRANSMIT_SECONDS

    def _listen(self, server: tftpy.TftpServer) -> None:
        port, again, tries = self.port, False, 0
        while True:
            try:
                server.listen(self.address, port, timeout=RETRANSMIT_SECONDS)
                return  # stopped
            except Exception as exc:  # noqa: BLE001 - TFTP must stay up whatever tftpy trips on
                if server.is_running.is_set():
                    log.exception("tftp: tftpy's loop failed; its transfers in progress are dropped, listening again")
                    port, again, tries = server.listenport, True, 0
                    _reset(server)
                elif again and tries < REBIND_TRIES:
                    # A child process being started holds a copy of the closed socket until it execs.
                    tries += 1
                    time.sleep(0.1)
                else:
                    self._bind_error = exc
                    if again:
                        log.error("tftp stopped: cannot listen again on %s:%d: %s", self.address, port, exc)
                    return

    def _prepare(self, context: TftpContextServer) -> None:
        """Set up a transfer tftpy has just created, before its first packet is handled."""
        # tftpy ignores TftpServer(flock=False) and would flock() our in-memory file when the transfer ends.
        context.flock = False
        start, cycle = context.start, context.cycle
        context.start = _contained(context, lambda buffer: self._first_packet(context, buffer, start))
        context.cycle = _contained(context, cycle)

    def _first_packet(self, context: TftpContextServer, buffer: bytes, start: Callable[[bytes], None]) -> None:
        # As tftpy's own start() does first: its loop checks every transfer for a timeout, even one that just
        # failed, and one that never had traffic would "time out" and break the loop.
        context.last_update = time.time()
        packet = TftpPacketFactory().parse(buffer)
        if isinstance(packet, TftpPacketWRQ):
            # Without upload_open tftpy writes uploads into its root; it never gets to see one.
            log.info("tftp: write request refused from %s: %s", context.host, packet.filename[:128])
            _send_error(context, tftpy.TftpErrors.AccessViolation)
            raise tftpy.TftpException("write request refused")
        if isinstance(packet, TftpPacketRRQ) and file_name(packet.filename) is None:
            # No device sends such a name (a climb out with "..", an empty name), and tftpy would answer
            # "Illegal TFTP operation" to some: answer as for any miss, after the pipeline logged and counted it.
            self._serve(packet.filename, context.host)
            _send_error(context, tftpy.TftpErrors.FileNotFound)
            raise tftpy.TftpException("file not found")
        start(buffer)

    def _open(self, name: str, raddress: str, rport: int) -> io.BytesIO | None:
        """tftpy's dyn_file_func: the file, or None for "File not found"."""
        body = self._serve(name, raddress)
        # In memory and seekable: tftpy seeks to the end to answer the tsize option.
        return None if body is None else io.BytesIO(body)

    def _serve(self, name: str, source: str) -> bytes | None:
        try:
            served = self.provisioner.serve(DeviceRequest(path=name, user_agent="", source=source, transport="tftp"))
        except Exception:  # noqa: BLE001 - a failure of ours must look like a missing file too
            log.exception("tftp: failed to serve %s to %s; answered as a missing file", name[:128], source)
            return None
        return None if served is None else served.body


class _Transfers(dict):
    """tftpy's table of transfers in progress, which calls `prepare` on each new one (tftpy has no such hook)."""

    def __init__(self, prepare: Callable[[TftpContextServer], None]):
        super().__init__()
        self.prepare = prepare

    def __setitem__(self, key: str, context: TftpContextServer) -> None:
        self.prepare(context)
        super().__setitem__(key, context)


def _contained(context: TftpContextServer, step: Callable[..., None]) -> Callable[..., None]:
    """A step of one transfer whose errors end that transfer only.

    tftpy's loop drops a transfer on TftpException but dies on anything else, which a single packet can
    cause (a non-ASCII file name, blksize "abc").
    """

    def run(*args: object) -> None:
        try:
            step(*args)
        except tftpy.TftpException:
            raise
        except Exception as exc:  # noqa: BLE001
            log.info("tftp: transfer with %s dropped: %s: %s", context.host, type(exc).__name__, exc)
            raise tftpy.TftpException(str(exc)) from exc

    return run


def _send_error(context: TftpContextServer, code: int) -> None:
    # The same bytes, from the same kind of socket, as tftpy's own error answers.
    packet = TftpPacketERR()
    packet.errorcode = code
    context.sock.sendto(packet.encode().buffer, (context.host, context.port))


def _refuse_upload(path: str, context: TftpContextServer) -> None:
    """tftpy's upload_open: refuse every upload (writes are refused earlier; this is the second lock)."""
    return None


def _reset(server: tftpy.TftpServer) -> None:
    """Close what tftpy's failed loop left open, so that it can listen again."""
    server.sock.close()
    for context in server.sessions.values():
        context.end()
    server.sessions.clear()
    server.is_running.clear()
