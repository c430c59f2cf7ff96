"""SIP over UDP, TCP and TLS on the event loop (RFC 3261 §18): bytes in, messages out, and back.

Each datagram is one message; each stream is cut into messages by message.StreamFramer. What arrives goes
to the core's `receive` (a message, or the MalformedMessage it raised) with its Peer; what the core sends
goes back over UDP to the address it names, or over the TCP or TLS connection that peer opened (a phone
behind NAT cannot be reached otherwise), opening one only when none is there. Limits keep a flood from
costing memory: connections at most MAX_CONNECTIONS, bytes queued per connection at most MAX_QUEUED.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections import deque
from typing import Callable

from sip_core.framing import PING, StreamFramer
from sip_core.message import MalformedMessage, Request, Response
from sip_core.parsing import parse
from sip_core.peer import Peer

log = logging.getLogger("sip_core.transport")

#: Open TCP and TLS connections at most; more are closed at once.
MAX_CONNECTIONS = 10_000
#: Bytes waiting to be written to one connection at most; a peer that reads no more is cut off.
MAX_QUEUED = 1024 * 1024
#: Seconds a connection with nothing received may stay open (RFC 5626 keep-alives reset it).
IDLE_SECONDS = 3600.0
#: Datagrams read at most each time the UDP socket is found readable, before the loop turns again.
READ_BATCH = 64
#: Largest datagram read (the most UDP carries).
MAX_DATAGRAM = 65535
#: Bytes of the UDP socket's receive buffer asked for (the kernel caps it at net.core.rmem_max).
RECEIVE_BUFFER = 4 * 1024 * 1024
#: Datagrams waiting for room in the socket's send buffer at most.
MAX_WAITING_DATAGRAMS = 4096

Receive = Callable[[Request | Response | MalformedMessage, Peer], None]


class _Datagrams:
    """The UDP socket, read in batches: up to READ_BATCH datagrams each time the event loop finds it readable.

    asyncio's datagram transport reads one datagram per turn of the loop, and in a REGISTER storm a turn (a
    poll, a callback) cost a fifth of handling the message (docs/benchmarks.rst, "REGISTER storm"). Sends go
    straight to the socket; when its buffer is full they wait, at most MAX_WAITING_DATAGRAMS of them, until
    it drains (beyond, they are dropped: UDP's senders retransmit).
    """

    def __init__(self, sock: socket.socket, transports: "Transports"):
        self.sock, self.transports = sock, transports
        self.loop = asyncio.get_running_loop()
        self.waiting: deque[tuple[bytes, tuple]] = deque()
        sock.setblocking(False)
        self.loop.add_reader(sock.fileno(), self._read)

    def _read(self) -> None:
        for _ in range(READ_BATCH):
            try:
                data, addr = self.sock.recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # an ICMP error about an earlier send (port unreachable): nothing to do
                log.debug("UDP error: %s", exc)
                continue
            peer = Peer("udp", addr[0], addr[1])
            try:
                message = parse(data)
            except MalformedMessage as error:
                self.transports.receive(error, peer)
                continue
            if message is not None:
                self.transports.receive(message, peer)

    def sendto(self, data: bytes, addr: tuple) -> None:
        if not self.waiting:
            try:
                self.sock.sendto(data, addr)
                return
            except (BlockingIOError, InterruptedError):
                self.loop.add_writer(self.sock.fileno(), self._write)
            except OSError as exc:  # unreachable, or an address of the wrong family: as a lost datagram
                log.debug("UDP send to %s failed: %s", addr, exc)
                return
        if len(self.waiting) < MAX_WAITING_DATAGRAMS:
            self.waiting.append((data, addr))
        else:
            log.debug("UDP send buffer full: datagram to %s dropped", addr)

    def _write(self) -> None:
        while self.waiting:
            data, addr = self.waiting[0]
            try:
                self.sock.sendto(data, addr)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.debug("UDP send to %s failed: %s", addr, exc)
            self.waiting.popleft()
        self.loop.remove_writer(self.sock.fileno())

    def close(self) -> None:
        self.loop.remove_reader(self.sock.fileno())
        self.loop.remove_writer(self.sock.fileno())
        self.waiting.clear()
        self.sock.close()


def _bound_udp(host: str, port: int) -> socket.socket:
    """A UDP socket bound to (host, port), with a receive buffer for bursts."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        # A burst the loop is slow to read waits here rather than being dropped by the kernel (which caps the
        # size at net.core.rmem_max).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


class _Stream(asyncio.Protocol):
    """One TCP or TLS connection, accepted or opened."""

    def __init__(self, transports: "Transports", kind: str):
        self.transports, self.kind = transports, kind
        self.framer = StreamFramer()
        self.transport: asyncio.Transport | None = None
        self.peer: Peer | None = None
        self.idle: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        host, port = transport.get_extra_info("peername")[:2]
        self.peer = Peer(self.kind, host, port)
        if len(self.transports.streams) >= MAX_CONNECTIONS:
            log.warning("too many SIP connections: %s refused", self.peer)
            transport.close()
            return
        self.transports.streams[self.peer] = self
        self._touch()

    def data_received(self, data: bytes) -> None:
        self._touch()
        for item in self.framer.feed(data):
            if item is PING:
                self.transport.write(b"\r\n")
            else:
                self.transports.receive(item, self.peer)  # type: ignore[arg-type]
        if self.framer.broken:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.idle is not None:
            self.idle.cancel()
        if self.peer is not None and self.transports.streams.get(self.peer) is self:
            del self.transports.streams[self.peer]

    def write(self, data: bytes) -> None:
        if self.transport.get_write_buffer_size() + len(data) > MAX_QUEUED:
            log.warning("SIP peer %s reads no more: connection closed", self.peer)
            self.transport.abort()
            return
        self.transport.write(data)

    def _touch(self) -> None:
        if self.idle is not None:
            self.idle.cancel()
        self.idle = asyncio.get_running_loop().call_later(IDLE_SECONDS, self.transport.close)


class Transports:
    """The core's listening sockets and connections."""

    def __init__(self, receive: Receive, client_tls: ssl.SSLContext | None = None):
        self.receive = receive
        self.client_tls = client_tls
        self.streams: dict[Peer, _Stream] = {}
        self._udp: _Datagrams | None = None
        self._servers: list[asyncio.AbstractServer] = []
        self._connecting: dict[Peer, list[tuple[bytes, Callable[[], None] | None]]] = {}
        self.addresses: dict[str, tuple[str, int]] = {}

    async def listen(self, host: str, udp_port: int | None, tcp_port: int | None = None,
                     tls_port: int | None = None, tls: ssl.SSLContext | None = None) -> dict[str, tuple[str, int]]:
        """Open the listening sockets asked for (port 0: any free one); their addresses by transport."""
        loop = asyncio.get_running_loop()
        if udp_port is not None:
            self._udp = _Datagrams(_bound_udp(host, udp_port), self)
            self.addresses["udp"] = self._udp.sock.getsockname()[:2]
        if tcp_port is not None:
            server = await loop.create_server(lambda: _Stream(self, "tcp"), host, tcp_port, reuse_address=True)
            self._servers.append(server)
            self.addresses["tcp"] = server.sockets[0].getsockname()[:2]
        if tls_port is not None and tls is not None:
            server = await loop.create_server(lambda: _Stream(self, "tls"), host, tls_port, ssl=tls,
                                              reuse_address=True)
            self._servers.append(server)
            self.addresses["tls"] = server.sockets[0].getsockname()[:2]
        return dict(self.addresses)

    def send(self, data: bytes, peer: Peer, unreachable: Callable[[], None] | None = None) -> None:
        """Send to `peer`: by datagram, or over its connection (opened first if there is none; `unreachable` is
        called, instead of sending, when it cannot be opened)."""
        if peer.transport == "udp":
            if self._udp is not None:
                self._udp.sendto(data, (peer.host, peer.port))
            return
        stream = self.streams.get(peer)
        if stream is not None:
            stream.write(data)
            return
        waiting = self._connecting.get(peer)
        if waiting is not None:
            waiting.append((data, unreachable))
            return
        self._connecting[peer] = [(data, unreachable)]
        asyncio.get_running_loop().create_task(self._connect(peer))

    async def _connect(self, peer: Peer) -> None:
        loop = asyncio.get_running_loop()
        try:
            if peer.transport == "tls" and self.client_tls is None:
                raise ConnectionError("no TLS client context configured")
            _, stream = await asyncio.wait_for(loop.create_connection(
                lambda: _Stream(self, peer.transport), peer.host, peer.port,
                ssl=self.client_tls if peer.transport == "tls" else None), timeout=10)
        except (OSError, asyncio.TimeoutError, ConnectionError) as exc:
            log.info("cannot reach SIP peer %s: %s", peer, exc)
            for _, unreachable in self._connecting.pop(peer, []):
                if unreachable is not None:
                    unreachable()
            return
        for data, _ in self._connecting.pop(peer, []):
            stream.write(data)
        if stream.peer != peer:  # reached under the address asked for, whatever the socket reports
            self.streams[peer] = stream

    def close(self) -> None:
        """Close every socket and connection."""
        if self._udp is not None:
            self._udp.close()
        for server in self._servers:
            server.close()
        for stream in list(self.streams.values()):
            if stream.transport is not None:
                stream.transport.close()
        self.streams.clear()
