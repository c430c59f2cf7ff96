"""Where each line's registered devices can be reached: bindings, the RFC 3261 §10.3 rules that change them, and
the in-memory view the hot path reads.

`apply_register` is the registrar's rule as a pure function over plain values (table-tested); `Location` keeps
the bindings of every line in memory and hands each change to a BindingStore, which the server backs with
MongoDB (with expiry) so that every process sees them and a restart keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Iterable, Protocol


@dataclass(frozen=True)
class Policy:
    """The registrar's bounds (configuration)."""

    min_expires: int = 60
    max_expires: int = 3600
    default_expires: int = 3600
    max_contacts: int = 3


@dataclass(frozen=True)
class Binding:
    """One registered contact of a line, and where requests for it are sent."""

    contact: str  # the Contact URI, as registered
    expires_at: float  # wall-clock seconds
    call_id: str
    cseq: int
    transport: str  # "udp", "tcp", "tls"
    host: str  # where the REGISTER came from (RFC 3581: requests go back there, through the NAT)
    port: int
    registered_at: float
    instance: str | None = None  # +sip.instance (RFC 5626): the same device under a new contact replaces itself
    user_agent: str = ""
    q: float | None = None


@dataclass(frozen=True)
class ContactAsked:
    """One Contact of a REGISTER, as the registrar read it."""

    uri: str
    expires: int | None = None  # the contact's own expires parameter
    instance: str | None = None
    q: float | None = None


@dataclass(frozen=True)
class Source:
    """Where a REGISTER came from and what it carried besides its contacts."""

    call_id: str
    cseq: int
    transport: str
    host: str
    port: int
    user_agent: str = ""


@dataclass(frozen=True)
class Outcome:
    """What a REGISTER does: the line's bindings afterwards, or a refusal (status, reason, Min-Expires)."""

    status: int
    bindings: tuple[Binding, ...] = ()
    reason: str = ""
    min_expires: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200


def live(bindings: Iterable[Binding], now: float) -> tuple[Binding, ...]:
    """The bindings not expired at `now`."""
    return tuple(binding for binding in bindings if binding.expires_at > now)


def apply_register(existing: Iterable[Binding], contacts: list[ContactAsked] | None, star: bool,
                   expires_header: int | None, source: Source, now: float, policy: Policy) -> Outcome:
    """RFC 3261 §10.3 steps 6-8 for one line: the bindings after this REGISTER, or why it is refused.

    `contacts` is None for a REGISTER without Contact (a query: the bindings are returned unchanged); `star` is
    a Contact of "*". A contact asking 1 to `min_expires` - 1 seconds gets 423 with Min-Expires; more than
    `max_expires` is cut down. A request older (same Call-ID, lower or equal CSeq) than a binding it touches
    is refused with 500. More contacts than `max_contacts` are refused with 403, after the line's own
    leftovers (the same +sip.instance, or the same source address and port) were replaced.
    """
    current = {binding.contact: binding for binding in live(existing, now)}
    if star:
        if contacts or expires_header != 0:
            return Outcome(400, reason='Contact "*" needs Expires: 0 and no other contact')
        if any(b.call_id == source.call_id and b.cseq >= source.cseq for b in current.values()):
            return Outcome(500, reason="request out of order")
        return Outcome(200, ())
    if contacts is None:
        return Outcome(200, tuple(current.values()))
    asked: list[tuple[ContactAsked, int]] = []
    for contact in contacts:
        seconds = contact.expires if contact.expires is not None else expires_header
        seconds = policy.default_expires if seconds is None else seconds
        if 0 < seconds < policy.min_expires:
            return Outcome(423, reason="interval too brief", min_expires=policy.min_expires)
        asked.append((contact, min(seconds, policy.max_expires)))
    for contact, seconds in asked:
        old = current.get(contact.uri)
        if old is not None and old.call_id == source.call_id and old.cseq >= source.cseq:
            return Outcome(500, reason="request out of order")
        if seconds == 0:
            current.pop(contact.uri, None)
            continue
        if contact.instance:  # the same device under a new contact (RFC 5626 §6): it replaces itself
            for uri in [u for u, b in current.items() if b.instance == contact.instance and u != contact.uri]:
                del current[uri]
        current[contact.uri] = Binding(
            contact=contact.uri, expires_at=now + seconds, call_id=source.call_id, cseq=source.cseq,
            transport=source.transport, host=source.host, port=source.port,
            registered_at=old.registered_at if old is not None and old.call_id == source.call_id else now,
            instance=contact.instance, user_agent=source.user_agent, q=contact.q)
    if len(current) > policy.max_contacts:
        # A device re-registering from where it was, under a new contact (a reboot, a new local port), replaces
        # its own leftover rather than counting twice.
        new = {contact.uri for contact, seconds in asked if seconds}
        for uri in [u for u, b in current.items() if u not in new and (b.host, b.port) == (source.host, source.port)]:
            del current[uri]
    if len(current) > policy.max_contacts:
        return Outcome(403, reason=f"more than {policy.max_contacts} contacts for this line")
    return Outcome(200, tuple(sorted(current.values(), key=lambda b: b.registered_at)))


class BindingStore(Protocol):
    """Where bindings outlive the process: MongoDB in the server (writes may be batched), memory in tests."""

    def load(self, now: float) -> dict[str, tuple[Binding, ...]]:
        """Every line's live bindings, by account user name."""

    def save(self, aor: str, bindings: tuple[Binding, ...]) -> None:
        """Replace the line's bindings (none: remove them)."""


class MemoryStore:
    """A BindingStore in memory (tests, and a core started alone)."""

    def __init__(self) -> None:
        self.saved: dict[str, tuple[Binding, ...]] = {}
        self.writes = 0

    def load(self, now: float) -> dict[str, tuple[Binding, ...]]:
        return {aor: live(bindings, now) for aor, bindings in self.saved.items() if live(bindings, now)}

    def save(self, aor: str, bindings: tuple[Binding, ...]) -> None:
        self.writes += 1
        if bindings:
            self.saved[aor] = bindings
        else:
            self.saved.pop(aor, None)


#: A refreshed binding is written through to the store only when its expiry moved by more than this share of
#: its lifetime (or anything else changed): phones refresh often, and a write per refresh buys nothing.
REWRITE_SHARE = 0.25


class Location:
    """Every line's bindings in memory, loaded from the store at start and written through on change."""

    def __init__(self, store: BindingStore, now: float):
        self.store = store
        self._bindings: dict[str, tuple[Binding, ...]] = dict(store.load(now))

    def bindings(self, aor: str, now: float) -> tuple[Binding, ...]:
        """The line's live bindings."""
        return live(self._bindings.get(aor, ()), now)

    def replace(self, aor: str, bindings: tuple[Binding, ...], now: float) -> None:
        """Make these the line's bindings; the store hears of it unless only expiries moved a little."""
        old = self._bindings.get(aor, ())
        if bindings:
            self._bindings[aor] = bindings
        else:
            self._bindings.pop(aor, None)
        if not only_refreshed(old, bindings, now):
            self.store.save(aor, bindings)

    def expire(self, now: float) -> int:
        """Forget the lines left with no live binding; how many went (the store expires its own)."""
        gone = [aor for aor, bindings in self._bindings.items() if not live(bindings, now)]
        for aor in gone:
            del self._bindings[aor]
        return len(gone)

    def __len__(self) -> int:
        return len(self._bindings)


#: A binding's fields but its expiry and CSeq, read as one tuple (a refresh changes only those two).
_KEPT_BY_REFRESH = attrgetter(*(f.name for f in fields(Binding) if f.name not in ("expires_at", "cseq")))


def only_refreshed(old: tuple[Binding, ...], new: tuple[Binding, ...], now: float) -> bool:
    """Whether `new` is `old` with later expiries within REWRITE_SHARE of their lifetime (no write needed)."""
    if len(old) != len(new) or not new:
        return False
    for before, after in zip(old, new, strict=True):
        if _KEPT_BY_REFRESH(before) != _KEPT_BY_REFRESH(after):
            return False
        if after.expires_at - before.expires_at > REWRITE_SHARE * (after.expires_at - now):
            return False
    return True
