"""The loop that drives tftpy's transfers for the TFTP front end (tftp_files.py).

tftpy speaks the protocol (contexts, states, packets); its own server loop is replaced: that one rebuilds
its select() list at every packet, finds the transfer a packet is for by going through all of them,
checks each for a timeout, and formats each for a log line at every new transfer. Here the cost per
packet does not grow with the transfers in progress, and a read request waits for the pipeline's answer
while the other transfers go on.
"""

from __future__ import annotations

import io
import logging
import selectors
import socket
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Callable

import tftpy
from tftpy.TftpContexts import TftpContextServer
from tftpy.TftpPacketTypes import TftpPacketERR

log = logging.getLogger("provisioner.tftp")

#: How long a read request waits for the IOLoop's answer before a thread of ours asks the pipeline instead.
LOOP_SECONDS = 1.0
#: How often transfers are checked for a timeout while any is in progress.
CHECK_SECONDS = 0.1
#: How long a read request may wait for the pipeline's answer before its transfer is dropped.
ANSWER_SECONDS = 30.0
#: Read requests waiting for an answer at most: more are ignored, as if lost (a device asks again).
MAX_WAITING = 1024


@dataclass
class Waiting:
    """A read request whose transfer starts when the pipeline's answer comes."""

    file: str
    buffer: bytes  # the request, for tftpy to start the transfer with
    since: float  # time.time() when it came
    on_loop: bool  # asked of the IOLoop (else of a thread)
    answer: Future | None = None


class TransferLoop(tftpy.TftpServer):
    """tftpy's server driven by a loop of ours, whose cost per packet does not grow with the transfers in
    progress, and where a read request waits for the pipeline's answer while the other transfers go on.

    tftpy's own loop rebuilds its select() list at every packet, finds the transfer a packet is for by going
    through all of them, checks each for a timeout, and formats each for a log line at every new transfer.
    tftpy's transfers (contexts, states and packets) are used as they are.
    """

    def __init__(self, root: str, first_packet: Callable[[TftpContextServer, bytes], str | None],
                 ask: Callable[[str, str, bool], Future], on_loop: bool):
        super().__init__(root, dyn_file_func=_file(None), upload_open=refuse_upload)
        self.first_packet, self.ask, self.on_loop = first_packet, ask, on_loop
        self.waiting: dict[str, Waiting] = {}  # by transfer, as `sessions`
        self.answered: deque[tuple[str, Future]] = deque()  # filled from other threads
        self._wake_in: socket.socket | None = None
        self._wake_out: socket.socket | None = None
        self._full_since = 0.0  # when requests were last ignored for MAX_WAITING (logged once a minute)

    def listen(self, listenip: str = "", listenport: int = tftpy.DEF_TFTP_PORT, timeout: float = tftpy.SOCK_TIMEOUT,
               retries: int = tftpy.DEF_TIMEOUT_RETRIES) -> None:
        """Serve until stop(); raises what binding raises, and whatever a bug raises (with `is_running` set)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((listenip or "0.0.0.0", listenport))
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        self.sock, self.listenport = sock, sock.getsockname()[1]
        self.waiting.clear()
        self.answered.clear()
        self._wake_in, self._wake_out = socket.socketpair()
        self._wake_in.setblocking(False)
        self._wake_out.setblocking(False)
        selector = selectors.DefaultSelector()
        selector.register(sock, selectors.EVENT_READ)
        selector.register(self._wake_in, selectors.EVENT_READ)
        self.is_running.set()
        checked = time.time()
        try:
            while not self._stopped(selector):
                ended: list[str] = []
                for key, _ in selector.select(CHECK_SECONDS if self.sessions else timeout):
                    if key.fileobj is sock:
                        self._new_transfer(selector, timeout, retries, ended)
                    elif key.fileobj is self._wake_in:
                        self._start_answered(ended)
                    else:
                        self._next_packet(key.data, ended)
                now = time.time()
                # Also whenever a transfer ended, before it is removed, as in tftpy's loop.
                if ended or now - checked >= CHECK_SECONDS:
                    checked = now
                    self._check_timeouts(now, ended)
                for name in ended:
                    self._end(selector, name)
        finally:
            selector.close()
            sock.close()
            self._wake_in.close()
            self._wake_out.close()
        self.is_running.clear()
        self.shutdown_gracefully = self.shutdown_immediately = False

    def stop(self, now: bool = False) -> None:
        """Stop taking transfers, and end when those in progress are done (`now`: drop them)."""
        super().stop(now)
        self.wake()

    def wake(self) -> None:
        """End the loop's wait now (from any thread)."""
        try:
            self._wake_out.send(b"\0")
        except (OSError, AttributeError):
            pass  # closed, or not listening: nothing to wake; or already woken and not read yet

    def _stopped(self, selector: selectors.BaseSelector) -> bool:
        if self.shutdown_immediately:
            for name in list(self.sessions):
                self._end(selector, name)
            return True
        return self.shutdown_gracefully and not self.sessions

    def _new_transfer(self, selector: selectors.BaseSelector, timeout: float, retries: int, ended: list[str]) -> None:
        buffer, (address, port) = self.sock.recvfrom(tftpy.MAX_BLKSIZE)
        name = f"{address}:{port}"
        if self.shutdown_gracefully or name in self.sessions:
            return  # no new transfer while stopping; a request sent again while its transfer goes on
        if len(self.waiting) >= MAX_WAITING:
            if time.monotonic() - self._full_since > 60:
                self._full_since = time.monotonic()
                log.warning("tftp: %d requests wait for the pipeline; new ones are ignored meanwhile", MAX_WAITING)
            return
        context = TftpContextServer(address, port, timeout, self.root, self.dyn_file_func, self.upload_open,
                                    retries=retries)
        context.flock = False  # tftpy ignores TftpServer(flock=False) and would flock() our in-memory file
        self.sessions[name] = context
        selector.register(context.sock, selectors.EVENT_READ, name)
        self._step(name, ended, self._first, name, context, buffer)

    def _first(self, name: str, context: TftpContextServer, buffer: bytes) -> None:
        file = self.first_packet(context, buffer)
        if file is not None:
            self.waiting[name] = waiting = Waiting(file, buffer, time.time(), self.on_loop)
            self._ask(name, waiting)

    def _ask(self, name: str, waiting: Waiting) -> None:
        waiting.answer = answer = self.ask(waiting.file, self.sessions[name].host, waiting.on_loop)
        answer.add_done_callback(lambda done: self._answered(name, done))

    def _answered(self, name: str, answer: Future) -> None:
        # Wherever the answer was made (the IOLoop, a thread of ours).
        self.answered.append((name, answer))
        self.wake()

    def _start_answered(self, ended: list[str]) -> None:
        try:
            while self._wake_in.recv(4096):
                pass
        except BlockingIOError:
            pass
        while self.answered:
            name, answer = self.answered.popleft()
            waiting = self.waiting.get(name)
            if waiting is None or waiting.answer is not answer:
                continue  # the transfer went, or the answer was asked for again elsewhere
            del self.waiting[name]
            context = self.sessions[name]
            failed = answer.cancelled() or answer.exception() is not None
            context.dyn_file_func = _file(None if failed else answer.result())
            self._step(name, ended, context.start, waiting.buffer)

    def _next_packet(self, name: str, ended: list[str]) -> None:
        context = self.sessions.get(name)
        if context is None:
            return
        if name in self.waiting:
            context.sock.recvfrom(tftpy.MAX_BLKSIZE)  # nobody has a reason to send here before it answered
            return
        context.timeout_expectACK = False
        self._step(name, ended, context.cycle)

    def _step(self, name: str, ended: list[str], step: Callable[..., None], *args: object) -> None:
        """One step of a transfer; whatever goes wrong ends that transfer only."""
        context = self.sessions[name]
        try:
            step(*args)
        except tftpy.TftpTimeoutExpectACK:
            context.timeout_expectACK = True
        except tftpy.TftpException:
            ended.append(name)
        except Exception as exc:  # noqa: BLE001 - one packet can trip tftpy (a non-ASCII file name, blksize "abc")
            log.info("tftp: transfer with %s dropped: %s: %s", context.host, type(exc).__name__, exc)
            ended.append(name)
        else:
            if context.state is None:
                ended.append(name)  # done

    def _check_timeouts(self, now: float, ended: list[str]) -> None:
        for name, context in self.sessions.items():
            waiting = self.waiting.get(name)
            if waiting is not None:
                self._check_waiting(name, waiting, now, ended)
                continue
            try:
                context.checkTimeout(now)
            except tftpy.TftpTimeout:
                context.retry_count += 1
                if context.retry_count >= context.retries:
                    ended.append(name)
                else:
                    context.state.resendLast()

    def _check_waiting(self, name: str, waiting: Waiting, now: float, ended: list[str]) -> None:
        """Ask a thread when the IOLoop is late; drop the transfer when no answer comes at all."""
        waited = now - waiting.since
        if waiting.on_loop and waited > LOOP_SECONDS:
            log.warning("tftp: the IOLoop did not answer for %s within %.0f s; asking from a thread",
                        waiting.file[:128], LOOP_SECONDS)
            late, waiting.on_loop = waiting.answer, False
            self._ask(name, waiting)
            late.cancel()
        elif waited > ANSWER_SECONDS:
            log.warning("tftp: no file for %s within %.0f s; transfer dropped", self.sessions[name].host, ANSWER_SECONDS)
            ended.append(name)

    def _end(self, selector: selectors.BaseSelector, name: str) -> None:
        context = self.sessions.pop(name, None)
        self.waiting.pop(name, None)
        if context is not None:
            selector.unregister(context.sock)
            context.end()


def _file(body: bytes | None) -> Callable[..., io.BytesIO | None]:
    """A tftpy dyn_file_func giving `body`, or None for "File not found"."""
    # In memory and seekable: tftpy seeks to the end to answer the tsize option.
    return lambda *args, **kwargs: None if body is None else io.BytesIO(body)


def send_error(context: TftpContextServer, code: int) -> None:
    # The same bytes, from the same kind of socket, as tftpy's own error answers.
    packet = TftpPacketERR()
    packet.errorcode = code
    context.sock.sendto(packet.encode().buffer, (context.host, context.port))


def refuse_upload(path: str, context: TftpContextServer) -> None:
    """tftpy's upload_open: refuse every upload (writes are refused earlier; this is the second lock)."""
    return None


def reset(server: tftpy.TftpServer) -> None:
    """Close what the failed loop left open, so that it can listen again."""
    server.sock.close()
    for context in server.sessions.values():
        context.end()
    server.sessions.clear()
    server.is_running.clear()
