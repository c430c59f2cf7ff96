"""Transactions (RFC 3261 §17): retransmissions absorbed and answered again, requests resent and timed out.

Server side: a request matching a transaction (branch, sent-by and method, §17.2.3) is a retransmission, and
gets the last response again rather than a second run through the core. A non-INVITE transaction keeps its
final response for Timer J (64*T1 on UDP, none on TCP); those are many at thousands of REGISTERs a second,
so they are plain dictionary entries swept once a second, bounded in number, with no timer each. An INVITE
answered with a failure resends it until the ACK comes (Timers G, H, I); a 2xx ends it (the proxy forwards
the 2xx retransmissions and the ACK end to end).

Client side: a request sent over UDP is resent (Timer A or E) until a response, and times out (Timer B or F)
with a 408 handed to its owner. An INVITE's failure is acknowledged here (§17.1.1.3), and its retransmissions
acknowledged again for Timer D. A request larger than UDP_LIMIT for a UDP destination goes over TCP to the
same address (§18.1.1: a congestion-controlled transport), its top Via saying so; when no TCP connection can
be made it goes over UDP after all, as §18.1.1 asks.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Callable

from sip_core.message import MAGIC_COOKIE, MalformedMessage, Request, Response, response_to
from sip_core.peer import Peer

T1, T2, T4 = 0.5, 4.0, 5.0
#: Completed server transactions kept at most; the oldest go first (a retransmission then reaches the core).
MAX_COMPLETED = 200_000

#: How the layer sends: (data, peer), and what to call when a connection to the peer cannot be made.
Send = Callable[..., None]
#: A request larger than this, in bytes, goes over TCP rather than UDP (RFC 3261 §18.1.1: 200 bytes under a
#: 1,500-byte path MTU, which is not known).
UDP_LIMIT = 1300


def server_key(request: Request) -> tuple | None:
    """The server transaction a request belongs to (ACK counts as INVITE's); None for a request without a Via."""
    vias = request.vias
    if not vias:
        return None
    top = vias[0]
    method = "INVITE" if request.method == "ACK" else request.method
    branch = top.branch or ""
    if branch.startswith(MAGIC_COOKIE):
        return (branch, top.host, top.port, method)
    # RFC 2543 peers: the request's identity stands in for the branch (§17.2.3, simplified).
    return (request.call_id, request.cseq[0], request.from_.tag, top.host, top.port, branch, method)


class InviteServer:
    """An INVITE server transaction answered with a failure: resent until ACKed (UDP)."""

    def __init__(self, layer: "TransactionLayer", key: tuple, peer: Peer, data: bytes):
        self.layer, self.key, self.peer, self.data = layer, key, peer, data
        self.interval = T1
        self.acked = False
        self._timer: asyncio.TimerHandle | None = None
        if peer.transport == "udp":
            self._timer = layer.loop.call_later(T1, self._resend)
            layer.loop.call_later(64 * T1, self.end)  # Timer H
        else:
            layer.loop.call_later(64 * T1, self.end)

    def _resend(self) -> None:
        if self.acked or self.key not in self.layer.invites:
            return
        self.layer.send(self.data, self.peer)
        self.interval = min(2 * self.interval, T2)
        self._timer = self.layer.loop.call_later(self.interval, self._resend)

    def ack(self) -> None:
        """The ACK came: stop resending, absorb more ACKs for Timer I."""
        if self.acked:
            return
        self.acked = True
        if self._timer is not None:
            self._timer.cancel()
        self.layer.loop.call_later(T4 if self.peer.transport == "udp" else 0, self.end)

    def end(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self.layer.invites.get(self.key) is self:
            del self.layer.invites[self.key]


class ServerTransaction:
    """One request being answered: `respond` sends each response to where the request came from."""

    __slots__ = ("layer", "key", "request", "peer", "done")

    def __init__(self, layer: "TransactionLayer", key: tuple | None, request: Request, peer: Peer):
        self.layer, self.key, self.request, self.peer, self.done = layer, key, request, peer, False

    def respond(self, response: Response) -> None:
        """Send a response (the last one is kept for retransmissions); nothing after a final one."""
        if self.done:
            return
        data = response.encode()
        layer = self.layer
        layer.send(data, self.peer)
        if response.status < 200:
            if self.key is not None:
                layer.pending[self.key] = data
            return
        self.done = True
        if self.key is None:
            return
        layer.pending.pop(self.key, None)
        if self.request.method == "INVITE":
            if response.status >= 300:
                layer.invites[self.key] = InviteServer(layer, self.key, self.peer, data)
        elif self.peer.transport == "udp":
            layer.completed[self.key] = (layer.clock() + 64 * T1, data)
            if len(layer.completed) > MAX_COMPLETED:
                layer.completed.popitem(last=False)


class ClientTransaction:
    """A request we sent, waiting for its final response."""

    def __init__(self, layer: "TransactionLayer", request: Request, destination: Peer,
                 on_response: Callable[[Response], None]):
        self.layer, self.request, self.destination, self.on_response = layer, request, destination, on_response
        self.invite = request.method == "INVITE"
        self.data = request.encode()
        self.final: Response | None = None
        self.key = (request.vias[0].branch, "INVITE" if request.method == "ACK" else request.method)
        self.interval = T1
        self._retransmit: asyncio.TimerHandle | None = None
        if destination.transport == "udp" and len(self.data) > UDP_LIMIT:
            self._over("tcp")
            layer.send(self.data, self.destination, unreachable=self._back_to_udp)
        else:
            layer.send(self.data, destination)
        if self.destination.transport == "udp":
            self._retransmit = layer.loop.call_later(T1, self._resend)
        self._timeout: asyncio.TimerHandle | None = layer.loop.call_later(64 * T1, self._time_out)  # Timer B / F

    def _over(self, transport: str) -> None:
        """Send over `transport` to the same address, our top Via saying so."""
        via = self.request.vias[0]
        via.transport = transport.upper()
        self.request.rewrite_top_via(via)
        self.data = self.request.encode()
        self.destination = Peer(transport, self.destination.host, self.destination.port)

    def _back_to_udp(self) -> None:
        """No TCP connection could be made to the destination: the request goes over UDP after all (§18.1.1)."""
        if self.final is not None or self.layer.clients.get(self.key) is not self:
            return
        self._over("udp")
        self.layer.send(self.data, self.destination)
        self._retransmit = self.layer.loop.call_later(T1, self._resend)

    def _resend(self) -> None:
        if self.final is not None or self.layer.clients.get(self.key) is not self:
            return
        self.layer.send(self.data, self.destination)
        # INVITE doubles forever (Timer A); others cap at T2, and after a provisional resend every T2 (Timer E).
        self.interval = 2 * self.interval if self.invite else min(2 * self.interval, T2)
        self._retransmit = self.layer.loop.call_later(self.interval, self._resend)

    def _time_out(self) -> None:
        self._timeout = None
        if self.final is None:
            self._end()
            self.on_response(response_to(self.request, 408, "Request Timeout"))

    def received(self, response: Response) -> None:
        """A response matched this transaction."""
        if self.final is not None:  # a retransmitted final response: acknowledged again (INVITE failure)
            if self.invite and response.status >= 300:
                self.layer.send(ack_for(self.request, response).encode(), self.destination)
            return
        if response.status < 200:
            if self._retransmit is not None and self.invite:  # a provisional stops INVITE retransmissions
                self._retransmit.cancel()
                self._retransmit = None
            elif not self.invite:
                self.interval = T2 / 2  # Timer E continues at T2 in the proceeding state
            self.on_response(response)
            return
        self.final = response
        if self._retransmit is not None:
            self._retransmit.cancel()
        if self._timeout is not None:
            self._timeout.cancel()
        if self.invite and response.status >= 300:
            self.layer.send(ack_for(self.request, response).encode(), self.destination)
            linger = 64 * T1 if self.destination.transport == "udp" else 0  # Timer D absorbs retransmissions
        else:
            linger = T4 if self.destination.transport == "udp" and not self.invite else 0  # Timer K
        self.layer.loop.call_later(linger, self._end)
        self.on_response(response)

    def cancel_timers(self) -> None:
        """Stop resending (after a CANCEL got its own answer, or when the caller gives up)."""
        if self._retransmit is not None:
            self._retransmit.cancel()
            self._retransmit = None

    def _end(self) -> None:
        if self.layer.clients.get(self.key) is self:
            del self.layer.clients[self.key]
        if self._retransmit is not None:
            self._retransmit.cancel()


class TransactionLayer:
    """The transactions of one core: those being answered, recently answered, and sent."""

    def __init__(self, send: Send, loop: asyncio.AbstractEventLoop | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.send, self.clock = send, clock
        self.loop = loop or asyncio.get_event_loop()
        self.pending: dict[tuple, bytes | None] = {}  # answered with a provisional, or not yet
        self.completed: OrderedDict[tuple, tuple[float, bytes]] = OrderedDict()  # non-INVITE, final sent
        self.invites: dict[tuple, InviteServer] = {}
        self.clients: dict[tuple, ClientTransaction] = {}

    # -- server side ---------------------------------------------------------------------------------

    def receive_request(self, request: Request, peer: Peer) -> ServerTransaction | None:
        """A new server transaction for `request`, or None when it was a retransmission (answered here) or an ACK
        of a failure we sent. An ACK for a 2xx is not a transaction's: it comes back with key None."""
        try:
            key = server_key(request)
        except MalformedMessage:
            key = None
        if key is None:
            return ServerTransaction(self, None, request, peer)
        if request.method == "ACK":
            invite = self.invites.get(key)
            if invite is not None:
                invite.ack()
                return None
            return ServerTransaction(self, None, request, peer)
        completed = self.completed.get(key)
        if completed is not None:
            self.send(completed[1], peer)
            return None
        if key in self.pending:
            data = self.pending[key]
            if data is not None:
                self.send(data, peer)
            return None
        invite = self.invites.get(key)
        if invite is not None:
            self.send(invite.data, peer)
            return None
        self.pending[key] = None
        return ServerTransaction(self, key, request, peer)

    def forget(self, transaction: ServerTransaction) -> None:
        """Drop a transaction that will never be answered (its request was dropped)."""
        if transaction.key is not None and not transaction.done:
            self.pending.pop(transaction.key, None)

    def sweep(self) -> int:
        """Drop the completed transactions whose Timer J ran out; how many went."""
        now, gone = self.clock(), 0
        completed = self.completed
        while completed:
            key, (expiry, _) = next(iter(completed.items()))
            if expiry > now:
                break
            del completed[key]
            gone += 1
        return gone

    # -- client side ---------------------------------------------------------------------------------

    def send_request(self, request: Request, destination: Peer,
                     on_response: Callable[[Response], None]) -> ClientTransaction:
        """Send `request` (its top Via already carries a fresh branch) and hand each response to `on_response`."""
        transaction = ClientTransaction(self, request, destination, on_response)
        self.clients[transaction.key] = transaction
        return transaction

    def receive_response(self, response: Response) -> bool:
        """Hand a response to its client transaction; False when none matches (a stray, e.g. a 2xx resent)."""
        try:
            vias = response.vias
            key = (vias[0].branch if vias else None, response.cseq[1])
        except MalformedMessage:
            return False
        transaction = self.clients.get(key)
        if transaction is None:
            return False
        transaction.received(response)
        return True


def ack_for(request: Request, response: Response) -> Request:
    """The ACK of an INVITE failure (§17.1.1.3): the INVITE's top Via and Route, the response's To."""
    ack = Request("ACK", request.uri)
    ack.add_header("Via", request.header_values("Via")[0])
    for name in ("From", "Call-ID"):
        ack.add_header(name, request.header(name) or "")
    ack.add_header("To", response.header("To") or request.header("To") or "")
    ack.add_header("CSeq", f"{request.cseq[0]} ACK")
    ack.add_header("Max-Forwards", "70")
    for route in request.header_values("Route"):
        ack.add_header("Route", route)
    return ack


def cancel_for(request: Request) -> Request:
    """The CANCEL of a request we sent (§9.1): same Request-URI, top Via, Call-ID, From, To, Route, CSeq number."""
    cancel = Request("CANCEL", request.uri)
    cancel.add_header("Via", request.header_values("Via")[0])
    for name in ("From", "To", "Call-ID"):
        cancel.add_header(name, request.header(name) or "")
    cancel.add_header("CSeq", f"{request.cseq[0]} CANCEL")
    cancel.add_header("Max-Forwards", "70")
    for route in request.header_values("Route"):
        cancel.add_header("Route", route)
    return cancel
