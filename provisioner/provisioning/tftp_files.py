"""The TFTP front end for devices: files generated on the fly by the provisioning pipeline, read-only.

tftpy speaks the protocol, in a daemon thread, so a transfer never blocks the tornado IOLoop; the loop
that drives its transfers is ours (see TransferLoop). Each read request is answered by the pipeline on the
IOLoop that started the front end, as HTTP requests are: devices not seen yet are read from the database
in batches with other requests', and the other transfers go on meanwhile. Without a running IOLoop, or
when it has not answered within LOOP_SECONDS, a thread of ours asks the pipeline instead.

Every refused or unknown file gets the answer of a missing file (TFTP error 1, "File not found"); every
write request gets "Access violation". Nothing is read from or written to disk: tftpy serves a real file
found under its root before asking us, so its root is a fresh empty directory of ours, and write requests
are refused before tftpy sees them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import tftpy
from tftpy.TftpContexts import TftpContextServer
from tftpy.TftpPacketFactory import TftpPacketFactory
from tftpy.TftpPacketTypes import TftpPacketRRQ, TftpPacketWRQ

from provisioner.provisioning.answers import DeviceRequest, Served
from provisioner.provisioning.identify import file_name
from provisioner.provisioning.pipeline import Provisioner
from provisioner.provisioning.tftp_loop import TransferLoop, reset, send_error

log = logging.getLogger("provisioner.tftp")

#: Seconds before tftpy sends a packet again (three tries).
RETRANSMIT_SECONDS = 1.0
#: How long stop() lets transfers in progress finish before dropping them.
STOP_GRACE_SECONDS = 3.0
#: How long start() waits for tftpy to bind its socket.
START_SECONDS = 5.0
#: How often, 0.1 s apart, the port is bound again after the loop failed.
REBIND_TRIES = 20
#: Threads of ours asking the pipeline, when there is no IOLoop or it did not answer in time.
ANSWER_THREADS = 2


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
        self._server: TransferLoop | None = None
        self._thread: threading.Thread | None = None
        self.root: str | None = None  # the empty directory tftpy is given, while it runs
        self._bind_error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._threads: ThreadPoolExecutor | None = None

    def start(self) -> None:
        """Bind the port (0 picks a free one, then read `port`) and serve until stop().

        Called from a running event loop (the server's IOLoop), files are asked for on that loop.
        """
        # tftpy logs every packet at INFO and every missing file as an ERROR; the pipeline logs each miss
        # in one line of its own, and this module logs what goes wrong.
        logging.getLogger("tftpy").setLevel(logging.CRITICAL)
        self.root = tempfile.mkdtemp(prefix="provisioner-tftp-empty-")
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self._threads = ThreadPoolExecutor(ANSWER_THREADS, thread_name_prefix="tftp-answer")
        server = TransferLoop(self.root, self._first_packet, self.ask, on_loop=self._loop is not None)
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
            thread.join(STOP_GRACE_SECONDS)
            if thread.is_alive():
                server.stop(now=True)
                thread.join(RETRANSMIT_SECONDS + 1)
            if thread.is_alive():
                log.warning("tftp: tftpy did not stop within %.0f s", STOP_GRACE_SECONDS + RETRANSMIT_SECONDS + 1)
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
            self._threads = None
        if self.root is not None:
            try:
                os.rmdir(self.root)  # fails, and says so, if anything was ever written there
            except OSError as exc:
                log.warning("tftp: could not remove its empty root %s: %s", self.root, exc)
            self.root = None

    def _listen(self, server: TransferLoop) -> None:
        port, again, tries = self.port, False, 0
        while True:
            try:
                server.listen(self.address, port, timeout=RETRANSMIT_SECONDS)
                return  # stopped
            except Exception as exc:  # noqa: BLE001 - TFTP must stay up whatever tftpy trips on
                if server.is_running.is_set():
                    log.exception("tftp: tftpy's loop failed; its transfers in progress are dropped, listening again")
                    port, again, tries = server.listenport, True, 0
                    reset(server)
                elif again and tries < REBIND_TRIES:
                    # A child process being started holds a copy of the closed socket until it execs.
                    tries += 1
                    time.sleep(0.1)
                else:
                    self._bind_error = exc
                    if again:
                        log.error("tftp stopped: cannot listen again on %s:%d: %s", self.address, port, exc)
                    return

    def _first_packet(self, context: TftpContextServer, buffer: bytes) -> str | None:
        """Refuse or start a new transfer, or return the name of the file to ask the pipeline for."""
        # As tftpy's own start() does first: every transfer is checked for a timeout, even one that just
        # failed, and one that never had traffic would "time out" and break the loop.
        context.last_update = time.time()
        packet = TftpPacketFactory().parse(buffer)
        if isinstance(packet, TftpPacketWRQ):
            # Without upload_open tftpy writes uploads into its root; it never gets to see one.
            log.info("tftp: write request refused from %s: %s", context.host, packet.filename[:128])
            send_error(context, tftpy.TftpErrors.AccessViolation)
            raise tftpy.TftpException("write request refused")
        if isinstance(packet, TftpPacketRRQ) and file_name(packet.filename) is None:
            # No device sends such a name (a climb out with "..", an empty name), and tftpy would answer
            # "Illegal TFTP operation" to some: answer as for any miss, after the pipeline logged and counted it.
            self._serve(packet.filename, context.host)
            send_error(context, tftpy.TftpErrors.FileNotFound)
            raise tftpy.TftpException("file not found")
        if isinstance(packet, TftpPacketRRQ):
            return packet.filename
        context.start(buffer)  # tftpy answers anything else as an illegal operation
        return None

    def ask(self, name: str, source: str, on_loop: bool = True) -> Future:
        """The pipeline's answer to come (the file, or None for "File not found"), on the IOLoop if there is one."""
        if on_loop and self._loop is not None:
            answer = self._answer(name, source)
            try:
                return asyncio.run_coroutine_threadsafe(answer, self._loop)
            except RuntimeError:  # the loop is closed: the server is stopping
                answer.close()
        threads = self._threads
        try:
            if threads is not None:
                return threads.submit(self._serve, name, source)
        except RuntimeError:  # shut down by stop() meanwhile
            pass
        stopping: Future = Future()
        stopping.set_result(None)
        return stopping

    async def _answer(self, name: str, source: str) -> bytes | None:
        try:
            served = await self.provisioner.answer(_request(name, source))
        except Exception:  # noqa: BLE001 - a failure of ours must look like a missing file too
            log.exception("tftp: failed to serve %s to %s; answered as a missing file", name[:128], source)
            return None
        return served.body if isinstance(served, Served) else None

    def _serve(self, name: str, source: str) -> bytes | None:
        try:
            served = self.provisioner.serve(_request(name, source))
        except Exception:  # noqa: BLE001 - a failure of ours must look like a missing file too
            log.exception("tftp: failed to serve %s to %s; answered as a missing file", name[:128], source)
            return None
        return served.body if isinstance(served, Served) else None


def _request(name: str, source: str) -> DeviceRequest:
    return DeviceRequest(path=name, user_agent="", source=source, transport="tftp")
