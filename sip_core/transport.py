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
import ssl
from typing import Callable

from sip_core.framing import PING, StreamFramer
from sip_core.message import MalformedMessage, Request, Response, parse
from sip_core.peer import Peer

log = logging.getLogger("sip_core.transport")

#: Open TCP and TLS connections at most; more are closed at once.
MAX_CONNECTIONS = 10_000
#: Bytes waiting to be written to one connection at most; a peer that reads no more is cut off.
MAX_QUEUED = 1024 * 1024
#: Seconds a connection with nothing received may stay open (RFC 5626 keep-alives reset it).
IDLE_SECONDS = 3600.0
#: A request larger than this goes over TCP rather than UDP (RFC 3261 §18.1.1: 200 bytes under a 1,500 MTU).
UDP_LIMIT = 1300

Receive = Callable[[Request | Response | MalformedMessage, Peer], None]


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, transports: "Transports"):
        self.transports = transports

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        peer = Peer("udp", addr[0], addr[1])
        try:
            message = parse(data)
        except MalformedMessage as error:
            self.transports.receive(error, peer)
            return
        if message is not None:
            self.transports.receive(message, peer)

    def error_received(self, exc: Exception) -> None:  # ICMP unreachable and the like: nothing to do
        log.debug("UDP error: %s", exc)


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
        self._udp: asyncio.DatagramTransport | None = None
        self._servers: list[asyncio.AbstractServer] = []
        self._connecting: dict[Peer, list[bytes]] = {}
        self.addresses: dict[str, tuple[str, int]] = {}

    async def listen(self, host: str, udp_port: int | None, tcp_port: int | None = None,
                     tls_port: int | None = None, tls: ssl.SSLContext | None = None) -> dict[str, tuple[str, int]]:
        """Open the listening sockets asked for (port 0: any free one); their addresses by transport."""
        loop = asyncio.get_running_loop()
        if udp_port is not None:
            self._udp, _ = await loop.create_datagram_endpoint(lambda: _Datagrams(self), local_addr=(host, udp_port))
            self.addresses["udp"] = self._udp.get_extra_info("sockname")[:2]
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

    def send(self, data: bytes, peer: Peer) -> None:
        """Send to `peer`: by datagram, or over its connection (opened first if there is none)."""
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
            waiting.append(data)
            return
        self._connecting[peer] = [data]
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
            self._connecting.pop(peer, None)
            return
        for data in self._connecting.pop(peer, []):
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
