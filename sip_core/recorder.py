"""What the SIP core tells the rest of the server: fraud signs, failed authentications, and registrations.

The server records them (events in MongoDB, metrics, a fail2ban-readable log); tests use MemoryRecorder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sip_core.peer import Peer


@dataclass(frozen=True)
class FraudSign:
    """A sign of misuse: kind ("unmanaged device", "scanner", "sweep", "auth failures", "blocked destination",
    "call rate", "concurrent calls", "fair use"), the account concerned if known, the source, and details."""

    kind: str
    peer: Peer
    username: str = ""
    detail: str = ""


class Recorder(Protocol):
    """Receives what the core observes; must not block (the core runs on the event loop)."""

    def fraud(self, sign: FraudSign) -> None:
        """A fraud guard fired."""

    def auth_failed(self, peer: Peer, username: str) -> None:
        """An authentication failed (wrong password, unknown user or forged nonce)."""

    def registered(self, username: str, contacts: int, peer: Peer, user_agent: str) -> None:
        """A line's registration changed: `contacts` live bindings now (0: unregistered)."""


@dataclass
class MemoryRecorder:
    """A Recorder keeping everything in lists (tests, and a core started alone)."""

    signs: list[FraudSign] = field(default_factory=list)
    failures: list[tuple[Peer, str]] = field(default_factory=list)
    registrations: list[tuple[str, int, Peer, str]] = field(default_factory=list)

    def fraud(self, sign: FraudSign) -> None:
        self.signs.append(sign)

    def auth_failed(self, peer: Peer, username: str) -> None:
        self.failures.append((peer, username))

    def registered(self, username: str, contacts: int, peer: Peer, user_agent: str) -> None:
        self.registrations.append((username, contacts, peer, user_agent))
