"""A request the proxy forwarded to one or more targets (RFC 3261 §16.6-16.7), and what each branch heard.

Provisionals go upstream, every 2xx goes upstream and the first CANCELs the other branches, and when every
branch failed the best failure goes (487 after the caller's CANCEL; a next hop's 503 becomes our 500).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from sip_core.message import Request, Response
from sip_core.peer import Peer
from sip_core.routing import best_final
from sip_core.transaction import ServerTransaction, cancel_for

if TYPE_CHECKING:
    from sip_core.proxy import Proxy


def nothing(status: int) -> None:
    """What a fork that is not a call does on its answer or failure (a request other than INVITE)."""


class Branch:
    """One forwarded copy of a request, and what its client transaction heard."""

    def __init__(self, request: Request, peer: Peer):
        self.request, self.peer = request, peer
        self.final: Response | None = None
        self.provisional = False
        self.cancel_wanted = False  # CANCEL as soon as a provisional shows the request arrived (§9.1)


class Fork:
    """A request forwarded to one or more targets (§16.6-16.7), answered upstream through its server transaction."""

    def __init__(self, proxy: "Proxy", server: ServerTransaction, on_failure: Callable[[int], None] = nothing,
                 on_answer: Callable[[int], None] = nothing):
        self.proxy, self.server, self.on_failure, self.on_answer = proxy, server, on_failure, on_answer
        self.branches: list[Branch] = []
        self.answered = False
        self.cancelled = False

    def start(self, targets: list[tuple[str, Peer]], record_route: bool) -> None:
        """Send one branch per (Request-URI, peer)."""
        for uri, peer in targets:
            branch = Branch(self.proxy.forwarded(self.server.request, uri, peer, record_route), peer)
            self.branches.append(branch)
        for branch in self.branches:  # all built first: a synchronous answer must see every branch
            # The transaction is not kept here: its callback holds the branch, and a reference back would make a
            # cycle that only the garbage collector's full passes free (pauses of 100 ms and more under load).
            self.proxy.core.transactions.send_request(
                branch.request, branch.peer, lambda response, branch=branch: self._received(branch, response))

    def cancel(self) -> None:
        """The caller gave up, or another branch answered: CANCEL every branch still pending."""
        self.cancelled = self.cancelled or not self.answered
        for branch in self.branches:
            if branch.final is None and not branch.cancel_wanted:
                branch.cancel_wanted = True
                if branch.provisional:
                    self._send_cancel(branch)

    def _send_cancel(self, branch: Branch) -> None:
        # Where the request went: over TCP when it was too large for UDP (transaction.UDP_LIMIT), as its Via says.
        peer = Peer(branch.request.vias[0].transport.lower(), branch.peer.host, branch.peer.port)
        self.proxy.core.transactions.send_request(cancel_for(branch.request), peer, lambda response: None)

    def _received(self, branch: Branch, response: Response) -> None:
        if response.status < 200:
            if not branch.provisional and branch.cancel_wanted:
                self._send_cancel(branch)
            branch.provisional = True
            if response.status > 100 and not self.answered and not self.cancelled:
                self.proxy.upstream(response, self.server)
            return
        if branch.final is not None:
            return
        branch.final = response
        if response.status < 300:
            self.proxy.upstream(response, self.server)  # every 2xx (§16.7 step 5); later ones go statelessly
            if not self.answered:
                self.answered = True
                self.on_answer(response.status)
                if self.server.request.method == "INVITE":
                    self.cancel()
        elif all(other.final is not None for other in self.branches) and not self.answered:
            self._give_up()
        if all(other.final is not None for other in self.branches):
            self.proxy.ended(self)

    def _give_up(self) -> None:
        if self.cancelled:
            self.on_failure(487)
            self.server.respond(self.proxy.answer(self.server.request, 487))
            return
        finals = [branch.final for branch in self.branches if branch.final is not None]
        best = finals[best_final([final.status for final in finals])]
        if best.status == 503:  # a 503 of the next hop is not ours to pass on (§16.7 step 6)
            self.on_failure(500)
            self.server.respond(self.proxy.answer(self.server.request, 500, "Next hop unavailable"))
            return
        self.on_failure(best.status)
        self.proxy.upstream(best, self.server)
