"""The registrar (RFC 3261 §10.3): who may register a line, from which device, and the bindings that follow.

A REGISTER is answered in this order: credentials (401 to challenge, 403 when they fail), the address of
record must be the authenticated account's, the device must be managed equipment of that line (managed.py;
a mismatch is refused and recorded as a fraud sign), then the bindings change by location.apply_register
(423 for too brief an interval, 403 for too many contacts). The answer lists the line's contacts with what
is left of their lifetimes.
"""

from __future__ import annotations

from typing import Callable

from sip_core.auth import Authenticator, Outcome
from sip_core.directory import Directory
from sip_core.location import ContactAsked, Location, Policy, Source, apply_register
from sip_core.managed import device_problem
from sip_core.message import MalformedMessage, Request, Response, response_to
from sip_core.peer import Peer
from sip_core.recorder import FraudSign, Recorder


class Registrar:
    """Answers REGISTER requests for the accounts of a Directory."""

    def __init__(self, directory: Directory, authenticator: Authenticator, location: Location, policy: Policy,
                 recorder: Recorder, to_tag: str, on_failure: Callable[[Peer, str, float], None]):
        self.directory, self.authenticator, self.location = directory, authenticator, location
        self.policy, self.recorder, self.to_tag, self.on_failure = policy, recorder, to_tag, on_failure

    def register(self, request: Request, peer: Peer, now: float) -> Response:
        """The answer to one REGISTER from `peer` (MalformedMessage for headers that do not parse)."""
        checked = self.authenticator.check("REGISTER", request.header("Authorization"), self._password, now)
        if checked.outcome is Outcome.MALFORMED:
            return self._answer(request, 400, "Malformed Authorization header")
        if checked.outcome in (Outcome.CHALLENGE, Outcome.STALE):
            response = self._answer(request, 401)
            for value in self.authenticator.challenges(now, stale=checked.outcome is Outcome.STALE):
                response.add_header("WWW-Authenticate", value)
            return response
        if checked.outcome is Outcome.FAILED:
            self.on_failure(peer, checked.username, now)
            return self._answer(request, 403, "Authentication failed")
        account = self.directory.account(checked.username)
        if account is None:  # removed between the password and now
            return self._answer(request, 403, "Authentication failed")
        if request.to.uri.user != account.username:
            return self._answer(request, 403, "To is not the authenticated account")
        user_agent = request.header("User-Agent") or ""
        problem = device_problem(self.directory.identify(user_agent) if user_agent else None, account.devices)
        if problem is not None:
            self.recorder.fraud(FraudSign("unmanaged device", peer, account.username, f"{problem} ({user_agent!r})"))
            return self._answer(request, 403, "Device not managed for this line")
        contacts = request.contacts
        cseq, _ = request.cseq
        outcome = apply_register(
            self.location.bindings(account.username, now), None if contacts == "*" else _asked(contacts),
            contacts == "*", request.expires,
            Source(request.call_id or "", cseq, peer.transport, peer.host, peer.port, user_agent), now, self.policy)
        if outcome.status == 423:
            response = self._answer(request, 423)
            response.add_header("Min-Expires", str(outcome.min_expires))
            return response
        if not outcome.ok:
            return self._answer(request, outcome.status, outcome.reason.capitalize())
        if contacts:  # a query (no Contact) changes nothing
            self.location.replace(account.username, outcome.bindings, now)
            self.recorder.registered(account.username, len(outcome.bindings), peer, user_agent)
        response = self._answer(request, 200)
        for binding in outcome.bindings:
            response.add_header("Contact", f"<{binding.contact}>;expires={max(int(binding.expires_at - now), 0)}")
        return response

    def _password(self, username: str) -> str | None:
        account = self.directory.account(username)
        return account.password if account is not None else None

    def _answer(self, request: Request, status: int, reason: str | None = None) -> Response:
        return response_to(request, status, reason, to_tag=self.to_tag)


def _asked(contacts: list) -> list[ContactAsked] | None:
    """The contacts of a REGISTER as apply_register reads them; None for none (a query)."""
    if not contacts:
        return None
    asked = []
    for address in contacts:
        expires = address.params.get("expires")
        q = address.params.get("q")
        try:
            seconds = int(expires) if expires is not None else None
            weight = float(q) if q is not None else None
        except ValueError:
            raise MalformedMessage(f"Contact parameter expires={expires!r} or q={q!r} is not a number") from None
        if seconds is not None and seconds < 0:
            raise MalformedMessage(f"Contact expires={expires} is negative")
        instance = address.params.get("+sip.instance")
        asked.append(ContactAsked(address.uri_text, seconds, instance.strip('"') if instance else None, weight))
    return asked
