"""The SIP core: what happens to a message between the transport and the handler of its method.

Every request passes, in order: the bans (a banned address gets no answer at all), the scanner and sweep
guards, RFC 3581 (the top Via learns `received` and `rport`, so answers go back through the NAT), the
transaction layer (a retransmission is answered again and goes no further), then the handler of its method:
the registrar for REGISTER, OPTIONS answered here, the proxy's for the others. Responses go to the client
transactions. Nothing a peer sends can raise out of `receive`: a malformed request is answered 400 (or the
status its error names) when it can be, dropped otherwise, and an error in a handler is a 500.

Addresses behind which phones are registered are "sites": their failed authentications count per account
name rather than per address, so one misconfigured phone never gets the rest of its site banned (a customer
site's phones share one NAT address).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import ssl
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

from sip_core.auth import Authenticator
from sip_core.call_records import CallLog, NoCallLog
from sip_core.calls import Calls
from sip_core.directory import Directory
from sip_core.fraud import DEFAULT_BLOCKED, CallRateGuard, FailureBans, OptionsSweepGuard, is_scanner
from sip_core.location import BindingStore, Location, Policy
from sip_core.message import KNOWN_METHODS, MalformedMessage, Request, Response, response_to
from sip_core.numbering import CONTRACT_COUNTRIES, DestinationClass
from sip_core.peer import Peer
from sip_core.proxy import Proxy
from sip_core.recorder import FraudSign, Recorder
from sip_core.registrar import Registrar
from sip_core.transaction import ServerTransaction, TransactionLayer
from sip_core.transport import Transports

log = logging.getLogger("sip_core")

#: Addresses remembered as sites at most (least recently registered go first).
MAX_SITES = 100_000

Handler = Callable[[Request, ServerTransaction, float], None]


@dataclass(frozen=True)
class CoreConfig:
    """How the core runs (from the server's settings)."""

    realm: str
    nonce_key: bytes = field(repr=False)
    nonce_lifetime: float = 300.0
    digest_algorithms: tuple[str, ...] = ("SHA-256", "MD5")  # in order of preference (RFC 8760)
    policy: Policy = Policy()
    max_auth_failures: int = 10
    failure_window: float = 60.0
    ban_seconds: float = 900.0
    sweep_users: int = 20
    sweep_window: float = 10.0
    scanner_ban_seconds: float = 3600.0
    server_name: str = "centrex-provisioner"
    advertised_host: str = ""  # the address phones reach us at, when listening on all of them ("" = listened on)
    trunk: str = ""  # "host:port" of the carrier trunk (UDP) for external numbers; "" = none yet (503)
    #: Where the trunk's inbound calls come from, "host" or "host:port" each, taken without authentication;
    #: () = the trunk's own address.
    trunk_sources: tuple[str, ...] = ()
    included_countries: frozenset[str] = CONTRACT_COUNTRIES  # whose fixed lines the plans include
    blocked_destinations: frozenset[DestinationClass] = DEFAULT_BLOCKED  # refused with 403 (emergency never)
    max_calls_per_minute: int = 10  # per calling line (fraud.CallRateGuard)
    max_concurrent_calls: int = 4


class SipCore:
    """Registrar, guards and (with a proxy attached) calls, over the transports it opens."""

    def __init__(self, config: CoreConfig, directory: Directory, store: BindingStore, recorder: Recorder,
                 clock: Callable[[], float] = time.time, client_tls: ssl.SSLContext | None = None,
                 call_log: CallLog | None = None):
        """`clock` gives seconds since the epoch (call records carry its times); `call_log` receives each call's
        record once it is over (none kept without one)."""
        self.config, self.directory, self.recorder, self.clock = config, directory, recorder, clock
        self.transports = Transports(self.receive, client_tls)
        self.transactions: TransactionLayer | None = None
        self.location = Location(store, clock())
        self.authenticator = Authenticator(config.nonce_key, config.realm, config.nonce_lifetime,
                                           algorithms=config.digest_algorithms)
        self.registrar = Registrar(directory, self.authenticator, self.location, config.policy, recorder,
                                   secrets.token_hex(6), self.auth_failed)
        self.failures = FailureBans(config.max_auth_failures, config.failure_window, config.ban_seconds)
        self.scanners = FailureBans(1, 1.0, config.scanner_ban_seconds)
        self.sweeps = OptionsSweepGuard(config.sweep_users, config.sweep_window, config.ban_seconds)
        self.sites: OrderedDict[str, float] = OrderedDict()  # host -> when its latest registration expires
        self.call_rate = CallRateGuard(config.max_calls_per_minute, config.max_concurrent_calls)
        self.calls = Calls(call_log if call_log is not None else NoCallLog(), recorder)
        self.proxy = Proxy(self)
        self.handlers: dict[str, Handler] = {**self.proxy.handlers(), "REGISTER": self._register,
                                             "OPTIONS": self._options}
        self.on_response: Callable[[Response, Peer], None] | None = self.proxy.stray_response
        self.dropped = 0
        self._sweeper: asyncio.TimerHandle | None = None

    async def start(self, host: str, udp_port: int | None, tcp_port: int | None = None, tls_port: int | None = None,
                    tls: ssl.SSLContext | None = None) -> dict[str, tuple[str, int]]:
        """Open the sockets and start the timers; the addresses listened on by transport."""
        loop = asyncio.get_running_loop()
        self.transactions = TransactionLayer(self.transports.send, loop)
        addresses = await self.transports.listen(host, udp_port, tcp_port, tls_port, tls)
        self._sweeper = loop.call_later(1.0, self._sweep)
        return addresses

    def stop(self) -> None:
        """Close the sockets and stop the timers; the calls in progress are over."""
        if self._sweeper is not None:
            self._sweeper.cancel()
        self.transports.close()
        self.calls.close(self.clock())

    def local_address(self, transport: str) -> tuple[str, int]:
        """Where peers reach us over `transport` (for Via and Contact in the requests we send)."""
        host, port = self.transports.addresses.get(transport) or self.transports.addresses["udp"]
        return self.config.advertised_host or host, port

    # -- receiving -----------------------------------------------------------------------------------

    def receive(self, item: Request | Response | MalformedMessage, peer: Peer) -> None:
        """Everything the transports read comes here; nothing raises out."""
        try:
            if isinstance(item, Request):
                self._request(item, peer)
            elif isinstance(item, Response):
                self._response(item, peer)
            else:
                self._malformed(item, peer)
        except MalformedMessage as error:  # a header read by a handler did not parse
            if isinstance(item, Request) and item.method != "ACK":
                self._answer_error(item, error.status, error.reason, peer)
        except Exception:  # noqa: BLE001 - one bad message must not stop the core; it is logged with its trace
            log.exception("SIP message from %s failed", peer)
            if isinstance(item, Request) and item.method != "ACK":
                self._answer_error(item, 500, "Server Internal Error", peer)

    def _request(self, request: Request, peer: Peer) -> None:
        now = self.clock()
        if self._banned(peer.host, now):
            self.dropped += 1
            return
        agent = request.header("User-Agent")
        if agent and is_scanner(agent):
            self.scanners.record_failure(peer.host, now)
            self.recorder.fraud(FraudSign("scanner", peer, detail=f"User-Agent {agent[:80]!r}"))
            self.dropped += 1
            return
        stamp_via(request, peer)
        transaction = self.transactions.receive_request(request, peer)
        if transaction is None:
            return
        handler = self.handlers.get(request.method)
        if handler is None:
            if request.method == "ACK":
                return
            response = self._response_to(request, 405 if request.method in KNOWN_METHODS else 501)
            response.add_header("Allow", ", ".join(sorted(self.handlers)))
            transaction.respond(response)
            return
        try:
            handler(request, transaction, now)
        except Exception:
            self.transactions.forget(transaction)
            raise

    def _response(self, response: Response, peer: Peer) -> None:
        if self._banned(peer.host, self.clock()):
            return
        if not self.transactions.receive_response(response) and self.on_response is not None:
            self.on_response(response, peer)

    def _malformed(self, error: MalformedMessage, peer: Peer) -> None:
        log.info("malformed SIP message from %s: %s", peer, error.reason)
        if error.answerable and isinstance(error.message, Request) and error.message.method != "ACK":
            if not self._banned(peer.host, self.clock()):
                self._answer_error(error.message, error.status, error.reason, peer)

    def _answer_error(self, request: Request, status: int, reason: str, peer: Peer) -> None:
        try:
            stamp_via(request, peer)
            self.transports.send(self._response_to(request, status, reason).encode(), peer)
        except (MalformedMessage, ValueError):
            pass  # too broken to answer: dropped

    # -- guards --------------------------------------------------------------------------------------

    def _banned(self, host: str, now: float) -> bool:
        return (self.failures.is_banned(host, now) or self.scanners.is_banned(host, now)
                or self.sweeps.is_banned(host, now))

    def auth_failed(self, peer: Peer, username: str, now: float) -> None:
        """Count a failed authentication: per address, or per account name from a site's address."""
        self.recorder.auth_failed(peer, username)
        key = f"{peer.host} {username}" if self._is_site(peer.host, now) else peer.host
        if self.failures.record_failure(key, now) and key == peer.host:
            self.recorder.fraud(FraudSign("auth failures", peer, username,
                                          f"{self.config.max_auth_failures} failed authentications: address banned"))

    def _is_site(self, host: str, now: float) -> bool:
        until = self.sites.get(host)
        return until is not None and until > now

    def _note_site(self, host: str, until: float) -> None:
        self.sites[host] = max(until, self.sites.get(host, 0.0))
        self.sites.move_to_end(host)
        while len(self.sites) > MAX_SITES:
            self.sites.popitem(last=False)

    # -- handlers ------------------------------------------------------------------------------------

    def _register(self, request: Request, transaction: ServerTransaction, now: float) -> None:
        if self.failures.is_banned(f"{transaction.peer.host} {request.to.uri.user}", now):
            self.transactions.forget(transaction)
            return
        response = self.registrar.register(request, transaction.peer, now)
        if response.status == 200 and request.contacts:
            self._note_site(transaction.peer.host, now + self.config.policy.max_expires)
        self._finish(response)
        transaction.respond(response)

    def _options(self, request: Request, transaction: ServerTransaction, now: float) -> None:
        user = request.request_uri.user or ""
        if not self._is_site(transaction.peer.host, now) and self.sweeps.record(transaction.peer.host, user, now):
            self.recorder.fraud(FraudSign("sweep", transaction.peer,
                                          detail=f"OPTIONS to more than {self.config.sweep_users} users"))
            self.transactions.forget(transaction)
            return
        response = self._response_to(request, 200)
        response.add_header("Allow", ", ".join(sorted(self.handlers)))
        transaction.respond(response)

    def _response_to(self, request: Request, status: int, reason: str | None = None) -> Response:
        response = response_to(request, status, reason, to_tag=self.registrar.to_tag)
        self._finish(response)
        return response

    def _finish(self, response: Response) -> None:
        response.add_header("Server", self.config.server_name)

    def _sweep(self) -> None:
        now = self.clock()
        self.transactions.sweep()
        self.location.expire(now)
        self.calls.sweep(now)
        self._sweeper = asyncio.get_running_loop().call_later(1.0, self._sweep)


def stamp_via(request: Request, peer: Peer) -> None:
    """RFC 3261 §18.2.1 and RFC 3581: the top Via learns where the request really came from."""
    via = request.vias[0]
    changed = False
    if via.host != peer.host:
        via.params["received"] = peer.host
        changed = True
    if "rport" in via.params and not via.params["rport"]:
        via.params["rport"] = str(peer.port)
        changed = True
    if changed:
        request.rewrite_top_via(via)
