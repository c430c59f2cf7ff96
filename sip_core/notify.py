"""Re-sync: a NOTIFY that makes a registered phone fetch its configuration again (issue's "check-sync").

Each vendor names the event its phones act on (Yealink and most others `check-sync`, Cisco `resync`, Snom
`check-sync;reboot=false`): the Directory's Device says which. The NOTIFY goes to every live binding of the
line, out of any dialog (Subscription-State: terminated), over the transport and to the address the phone
registered from. Phones set to authenticate such requests challenge it (401 or 407): the NOTIFY is sent
once more with the line's own credentials, as the phone expects of its registrar.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sip_core.digest import authorization, parse_challenge
from sip_core.location import Binding
from sip_core.message import Request, Response, new_branch, new_tag
from sip_core.peer import Peer

if TYPE_CHECKING:
    from sip_core.core import SipCore


@dataclass(frozen=True)
class Resynced:
    """What one binding answered: its final status (408 when it did not), and the reason phrase."""

    username: str
    contact: str
    status: int
    reason: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Resyncer:
    """Sends re-sync NOTIFYs through a started core."""

    def __init__(self, core: "SipCore"):
        self.core = core

    async def resync(self, username: str) -> list[Resynced]:
        """NOTIFY every live binding of the account; what each answered (empty: not registered, or no event)."""
        account = self.core.directory.account(username)
        if account is None:
            return []
        event = next((device.resync_event for device in account.devices if device.resync_event), "")
        if not event:
            return []
        bindings = self.core.location.bindings(username, self.core.clock())
        return list(await asyncio.gather(*(self._notify(account.username, account.password, event, binding)
                                           for binding in bindings)))

    async def _notify(self, username: str, password: str, event: str, binding: Binding) -> Resynced:
        peer = Peer(binding.transport, binding.host, binding.port)
        request = self._request(username, event, binding, peer)
        response = await self._send(request, peer)
        if response.status in (401, 407):
            header = "WWW-Authenticate" if response.status == 401 else "Proxy-Authenticate"
            value = next((authorization(challenge, "NOTIFY", request.uri, username, password, secrets.token_hex(8))
                          for challenge in map(parse_challenge, response.header_values(header)) if challenge), None)
            if value is not None:
                request = self._request(username, event, binding, peer, request, 2)
                request.add_header("Authorization" if response.status == 401 else "Proxy-Authorization", value)
                response = await self._send(request, peer)
        return Resynced(username, binding.contact, response.status, response.reason)

    def _request(self, username: str, event: str, binding: Binding, peer: Peer, first: Request | None = None,
                 cseq: int = 1) -> Request:
        host, port = self.core.local_address(peer.transport)
        request = Request("NOTIFY", binding.contact)
        request.add_header("Via", f"SIP/2.0/{peer.transport.upper()} {host}:{port};branch={new_branch()};rport")
        request.add_header("Max-Forwards", "70")
        realm = self.core.config.realm
        request.add_header("From", first.header("From") if first else f"<sip:resync@{realm}>;tag={new_tag()}")
        request.add_header("To", f"<sip:{username}@{realm}>")
        request.add_header("Call-ID", first.call_id if first else f"{secrets.token_hex(12)}@{host}")
        request.add_header("CSeq", f"{cseq} NOTIFY")
        request.add_header("Event", event)
        request.add_header("Subscription-State", "terminated;reason=timeout")
        request.add_header("Contact", f"<sip:resync@{host}:{port}>")
        request.add_header("User-Agent", self.core.config.server_name)
        return request

    async def _send(self, request: Request, peer: Peer) -> Response:
        """The final response to `request` (a 408 made here when none came)."""
        done: asyncio.Future[Response] = asyncio.get_running_loop().create_future()

        def on_response(response: Response) -> None:
            if response.status >= 200 and not done.done():
                done.set_result(response)

        self.core.transactions.send_request(request, peer, on_response)
        return await done
