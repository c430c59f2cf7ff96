"""The call-routing proxy (RFC 3261 §16): transaction-stateful, forking, record-routing.

An initial request (no To tag) from one of our lines is authenticated (407, then Proxy-Authorization; 403 when
it fails), routed by routing.py, held to the line's call rate (INVITE), then forked to every live binding of
the called line, each through its own client transaction, with our Via and Record-Route. A `Fork` (forking.py) collects
the branches' responses: provisionals go upstream, every 2xx goes upstream and the first CANCELs the other branches,
and when every branch failed the best failure goes (487 after the caller's CANCEL). What happens to each INVITE
is told to the core's `calls` (sip_core/calls.py), which reports its call record once it is over.

In-dialog requests come back through us by the Record-Route: our Route is popped and the request goes to the
next Route or the Request-URI, statelessly for ACK, through a client transaction otherwise. 2xx resent after
their client transaction ended reach `stray_response` and go on to the next Via.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections import OrderedDict
from typing import TYPE_CHECKING, Callable

from sip_core.address import parse_address
from sip_core.auth import Outcome
from sip_core.directory import Account
from sip_core.forking import Fork, nothing
from sip_core.hops import bracketed, dialog_mark, pop_top_via, via_peer
from sip_core.message import MAGIC_COOKIE, Request, Response, new_branch, response_to
from sip_core.peer import Peer
from sip_core.recorder import FraudSign
from sip_core.routing import dialled_user, route, route_inbound
from sip_core.transaction import ServerTransaction, server_key
from sip_core.trunk import from_trunk, trunk_caller, trunk_sources
from sip_core.uri import SipUri, parse_uri

if TYPE_CHECKING:
    from sip_core.core import SipCore

log = logging.getLogger("sip_core.proxy")


#: Methods the proxy handles (REGISTER and OPTIONS stay the core's).
METHODS = ("INVITE", "ACK", "BYE", "CANCEL", "PRACK", "UPDATE", "INFO", "REFER", "MESSAGE", "NOTIFY", "SUBSCRIBE")
#: Seconds an INVITE's fork is remembered after its last branch ended (absorbs a retransmitted INVITE).
FORK_LINGER = 32.0
#: Calls remembered for the call-rate guard at most (a call whose BYE never came ages out of the guard too).
MAX_CALLS = 100_000


class Proxy:
    """Routes calls between our lines (and to the trunk), for one SipCore."""

    def __init__(self, core: "SipCore"):
        self.core = core
        self.tag = secrets.token_hex(6)
        self.forks: dict[tuple, Fork] = {}  # INVITE forks by their server transaction's key
        self.callers: OrderedDict[str, str] = OrderedDict()  # Call-ID -> calling line, for the call-rate guard
        self.trunk_sources = trunk_sources(core.config.trunk, core.config.trunk_sources)

    def handlers(self) -> dict[str, Callable[[Request, ServerTransaction, float], None]]:
        """The core's handler of each method the proxy takes."""
        handlers = {method: self.request for method in METHODS}
        handlers.update(ACK=self.ack, CANCEL=self.cancel)
        return handlers

    # -- requests ------------------------------------------------------------------------------------

    def request(self, request: Request, server: ServerTransaction, now: float) -> None:
        """Any request but ACK and CANCEL: out of dialog (routed) or in dialog (following its Route)."""
        if server.key in self.forks:  # an INVITE resent after its 2xx went (the key left the layer): absorbed
            self.core.transactions.forget(server)
            return
        if request.max_forwards == 0:
            server.respond(self.answer(request, 483))
            return
        ours = self._pop_our_route(request)
        if request.to.tag is not None:
            self._in_dialog(request, server, ours, now)
        else:
            self._initial(request, server, now)

    def ack(self, request: Request, server: ServerTransaction, now: float) -> None:
        """An ACK for a 2xx (a failure's is absorbed by the transaction layer): forwarded statelessly."""
        if request.to.tag is None or not self._pop_our_route(request) or request.max_forwards == 0:
            return
        uri, peer = self._next_hop(request)
        branch = MAGIC_COOKIE + hashlib.sha256((request.vias[0].branch or "").encode()).hexdigest()[:22]
        self.core.transports.send(self.forwarded(request, uri, peer, False, branch).encode(), peer)

    def cancel(self, request: Request, server: ServerTransaction, now: float) -> None:
        """The caller's CANCEL: 200 for it, then every pending branch CANCELled (the INVITE gets 487)."""
        key = server_key(request)
        fork = self.forks.get(key[:-1] + ("INVITE",)) if key is not None else None
        if fork is None or fork.server.done:
            server.respond(self.answer(request, 481))
            return
        server.respond(self.answer(request, 200))
        self.core.calls.cancelling(request.call_id or "", now)
        fork.cancel()

    def _initial(self, request: Request, server: ServerTransaction, now: float) -> None:
        config, peer = self.core.config, server.peer
        inbound = from_trunk(peer.host, peer.port, self.trunk_sources)
        caller = (trunk_caller(request.from_.uri.user, request.from_.display_name or "") if inbound
                  else self._authenticate(request, server, now))
        if caller is None:
            return
        request.remove_header("Route")  # we choose the target: a pre-loaded Route to elsewhere is not followed
        dialled, call_id, calls = dialled_user(request.request_uri.user), request.call_id or "", self.core.calls
        if inbound:
            destination = route_inbound(dialled, self.core.directory, included_countries=config.included_countries)
        else:
            destination = route(dialled, caller, self.core.directory, trunk_configured=bool(config.trunk),
                                included_countries=config.included_countries, blocked=config.blocked_destinations)
        if destination.refused:
            if destination.blocked:
                self.core.recorder.fraud(FraudSign("blocked destination", server.peer, caller.username,
                                                   f"{request.request_uri.user} ({destination.destination_class.value})"))
            if request.method == "INVITE":
                calls.ended_here(call_id, caller, dialled, destination, server.peer, destination.status, now)
            server.respond(self.answer(request, destination.status, destination.reason))
            return
        on_failure: Callable[[int], None] = nothing
        on_answer: Callable[[int], None] = nothing
        if request.method == "INVITE":
            decision = self.core.call_rate.try_start(caller.username, call_id, now) if not inbound else None
            if decision is not None and not decision.allowed:  # the guards are our lines'; the trunk carries all
                kind = "concurrent calls" if "simultaneous" in decision.reason else "call rate"
                self.core.recorder.fraud(FraudSign(kind, server.peer, caller.username, decision.reason))
                calls.ended_here(call_id, caller, dialled, destination, server.peer, decision.status or 403, now)
                server.respond(self.answer(request, decision.status or 403, decision.reason))
                return
            if decision is not None:
                self._note_call(call_id, caller.username)
            calls.started(call_id, caller, dialled, destination, server.peer, now)
            on_failure = lambda status: self._call_failed(call_id, status)  # noqa: E731
            on_answer = lambda status: calls.answered(call_id, status, self.core.clock())  # noqa: E731
        targets = self._targets(destination.account, destination.number, now)
        if not targets:
            on_failure(480)
            server.respond(self.answer(request, 480))
            return
        fork = Fork(self, server, on_failure, on_answer)
        if request.method == "INVITE":
            server.respond(response_to(request, 100))  # the caller stops resending; branches may take long
            if server.key is not None:
                self.forks[server.key] = fork
        fork.start(targets, record_route=request.method in ("INVITE", "SUBSCRIBE", "REFER"))

    def _authenticate(self, request: Request, server: ServerTransaction, now: float) -> Account | None:
        """The calling line, or None when the request was answered (407, 403, 400)."""
        core = self.core
        checked = core.authenticator.check(request.method, request.header("Proxy-Authorization"),
                                           self._password, now)
        if checked.outcome is Outcome.MALFORMED:
            server.respond(self.answer(request, 400, "Malformed Proxy-Authorization header"))
        elif checked.outcome in (Outcome.CHALLENGE, Outcome.STALE):
            response = self.answer(request, 407)
            for value in core.authenticator.challenges(now, stale=checked.outcome is Outcome.STALE):
                response.add_header("Proxy-Authenticate", value)
            server.respond(response)
        elif checked.outcome is Outcome.FAILED:
            core.auth_failed(server.peer, checked.username, now)
            server.respond(self.answer(request, 403, "Authentication failed"))
        else:
            account = core.directory.account(checked.username)
            if account is None:
                server.respond(self.answer(request, 403, "Authentication failed"))
            elif request.from_.uri.user != account.username:
                server.respond(self.answer(request, 403, "From is not the authenticated account"))
            else:
                return account
        return None

    def _password(self, username: str) -> str | None:
        account = self.core.directory.account(username)
        return account.password if account is not None else None

    def _targets(self, account: Account | None, number: str, now: float) -> list[tuple[str, Peer]]:
        """(Request-URI, peer) per branch: each live binding of the line, or the trunk."""
        if account is not None:
            return [(binding.contact, Peer(binding.transport, binding.host, binding.port))
                    for binding in self.core.location.bindings(account.username, now)]
        host, _, port = self.core.config.trunk.rpartition(":")
        return [(f"sip:{number}@{self.core.config.trunk}", Peer("udp", host.strip("[]"), int(port)))]

    def _in_dialog(self, request: Request, server: ServerTransaction, ours: bool, now: float) -> None:
        if not ours:  # we relay only what our Record-Route brought back: no open relay
            server.respond(self.answer(request, 403, "Not routed through this proxy"))
            return
        if request.method == "BYE":
            self._call_ended(request.call_id or "")
            self.core.calls.hung_up(request.call_id or "", now)
        uri, peer = self._next_hop(request)
        Fork(self, server).start([(uri, peer)], record_route=False)

    # -- responses -----------------------------------------------------------------------------------

    def upstream(self, response: Response, server: ServerTransaction) -> None:
        """Send a branch's response to the caller, without our Via; after the final one, statelessly."""
        pop_top_via(response)
        if server.done:
            self.core.transports.send(response.encode(), server.peer)
        else:
            server.respond(response)

    def stray_response(self, response: Response, peer: Peer) -> None:
        """A 2xx to an INVITE resent after its client transaction ended: on to the next Via, statelessly."""
        if response.cseq[1] != "INVITE" or not 200 <= response.status < 300:
            return
        vias = response.vias
        if len(vias) < 2 or not self._is_ours(vias[0].host, vias[0].port):
            return
        pop_top_via(response)
        self.core.transports.send(response.encode(), via_peer(vias[1]))

    def ended(self, fork: Fork) -> None:
        """Every branch of `fork` has its final answer: forget it once retransmissions are over."""
        key = fork.server.key
        if key is not None and self.forks.get(key) is fork:
            self.core.transactions.loop.call_later(FORK_LINGER, lambda: self.forks.pop(key, None))

    # -- building ------------------------------------------------------------------------------------

    def forwarded(self, request: Request, uri: str, peer: Peer, record_route: bool,
                  branch: str | None = None) -> Request:
        """The copy of `request` sent to `peer` (§16.6): new Request-URI, our Via on top, one hop less."""
        copy = Request(request.method, uri, list(request.headers), request.body)
        forwards = request.max_forwards
        copy.set_header("Max-Forwards", str(70 if forwards is None else forwards - 1))
        copy.remove_header("Proxy-Authorization")
        host, port = self.core.local_address(peer.transport)
        copy.add_header("Via", f"SIP/2.0/{peer.transport.upper()} {bracketed(host)}:{port};branch="
                               f"{branch or new_branch()};rport", first=True)
        if record_route:
            transport = "" if peer.transport == "udp" else f";transport={peer.transport}"
            mark = dialog_mark(self.core.config.nonce_key, request.call_id or "")
            copy.add_header("Record-Route", f"<sip:{bracketed(host)}:{port}{transport};lr;dlg={mark}>", first=True)
        return copy

    def answer(self, request: Request, status: int, reason: str | None = None) -> Response:
        """A response of ours (not forwarded) to `request`."""
        response = response_to(request, status, reason, to_tag=self.tag)
        response.add_header("Server", self.core.config.server_name)
        return response

    # -- routes and addresses ------------------------------------------------------------------------

    def _pop_our_route(self, request: Request) -> bool:
        """Remove the topmost Route when it names us (§16.4); whether it did."""
        routes = request.header_values("Route")
        if not routes:
            return False
        uri = parse_address(routes[0]).uri
        if not self._is_ours(uri.host, uri.port):
            return False
        # Only a Route we gave out, for this dialog: a forged one would have us relay anywhere.
        if not hmac.compare_digest(uri.params.get("dlg") or "",
                                   dialog_mark(self.core.config.nonce_key, request.call_id or "")):
            return False
        request.replace_first("Route", None)
        return True

    def _is_ours(self, host: str, port: int | None) -> bool:
        addresses = self.core.transports.addresses.values()
        hosts = {address[0] for address in addresses} | {self.core.config.advertised_host}
        return host.strip("[]") in hosts and (port or 5060) in {address[1] for address in addresses}

    def _next_hop(self, request: Request) -> tuple[str, Peer]:
        """The Request-URI to send with and where to send it: the next Route, else the Request-URI's address."""
        routes = request.header_values("Route")
        target = parse_address(routes[0]).uri if routes else request.request_uri
        return request.uri, self._peer_of(target)

    def _peer_of(self, uri: SipUri) -> Peer:
        """Where a URI is reached: a registered contact through the address it registered from (NAT), else its own."""
        if uri.user:
            text = uri.encode()
            for binding in self.core.location.bindings(uri.user, self.core.clock()):
                if binding.contact == text or parse_uri(binding.contact) == uri:
                    return Peer(binding.transport, binding.host, binding.port)
        transport = uri.transport or ("tls" if uri.scheme == "sips" else "udp")
        return Peer(transport, uri.host.strip("[]"), uri.port or (5061 if transport == "tls" else 5060))

    # -- the call-rate guard -------------------------------------------------------------------------

    def _note_call(self, call_id: str, username: str) -> None:
        self.callers[call_id] = username
        self.callers.move_to_end(call_id)
        while len(self.callers) > MAX_CALLS:
            self.callers.popitem(last=False)

    def _call_ended(self, call_id: str) -> None:
        username = self.callers.pop(call_id, None)
        if username is not None:
            self.core.call_rate.end(username, call_id)

    def _call_failed(self, call_id: str, status: int) -> None:
        """The INVITE's final failure `status` went to the caller: the call is over, for the guard and its record."""
        self._call_ended(call_id)
        self.core.calls.failed(call_id, status, self.core.clock())
