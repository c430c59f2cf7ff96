"""What the SIP core asks of the rest of the server: the accounts, the devices bound to them, and who a User-Agent is.

`sip_core` imports nothing else of ours (ARCHITECTURE.md): the server hands it a Directory at start-up,
built from its inventory and its vendor modules, and tests hand it a MemoryDirectory. Every method is on
the hot path of a REGISTER or a call, so an implementation answers from memory and keeps itself fresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Protocol


@dataclass(frozen=True)
class Device:
    """A managed device carrying a line: what its User-Agent must say, and how to make it fetch its files."""

    vendor: str
    model: str
    mac: str | None = None
    resync_event: str = "check-sync"  # "" when the device has no way to be told by NOTIFY


@dataclass(frozen=True)
class Account:
    """One line's SIP account: who may register with it, where calls to it go, and on whose behalf it calls."""

    username: str
    password: str = field(repr=False)
    line_id: str
    customer_id: str
    site_id: str = ""
    extension: str = ""
    number: str | None = None  # E.164, "+33..."
    display_name: str = ""
    devices: tuple[Device, ...] = ()


@dataclass(frozen=True)
class Agent:
    """What a User-Agent header says of the device sending it (None fields are not said)."""

    vendor: str
    model: str | None = None
    mac: str | None = None


class Directory(Protocol):
    """The accounts and devices the core serves; answers from memory."""

    def account(self, username: str) -> Account | None:
        """The account registering or calling as `username`, or None."""

    def by_extension(self, customer_id: str, extension: str) -> Account | None:
        """The line of this customer with this extension, or None."""

    def by_number(self, number: str) -> Account | None:
        """The line holding this E.164 number, or None."""

    def identify(self, user_agent: str) -> Agent | None:
        """Who a User-Agent header says the device is, or None when no supported vendor's form matches."""


class MemoryDirectory:
    """A Directory over accounts given in memory (tests, benchmarks, and a core started alone).

    `agents` maps a User-Agent prefix to the Agent it means, e.g. {"Yealink SIP-T46U": Agent("yealink", "T46U")};
    a MAC is read when the header ends with one (12 hex digits), as several vendors send it.
    """

    def __init__(self, accounts: Iterable[Account] = (), agents: dict[str, Agent] | None = None):
        self._accounts: dict[str, Account] = {}
        self._extensions: dict[tuple[str, str], Account] = {}
        self._numbers: dict[str, Account] = {}
        self._agents = dict(agents or {})
        for account in accounts:
            self.add(account)

    def add(self, account: Account) -> None:
        """Add or replace an account."""
        old = self._accounts.get(account.username)
        if old is not None:
            self._extensions.pop((old.customer_id, old.extension), None)
            if old.number:
                self._numbers.pop(old.number, None)
        self._accounts[account.username] = account
        if account.extension:
            self._extensions[(account.customer_id, account.extension)] = account
        if account.number:
            self._numbers[account.number] = account

    def account(self, username: str) -> Account | None:
        return self._accounts.get(username)

    def by_extension(self, customer_id: str, extension: str) -> Account | None:
        return self._extensions.get((customer_id, extension))

    def by_number(self, number: str) -> Account | None:
        return self._numbers.get(number)

    def identify(self, user_agent: str) -> Agent | None:
        for prefix, agent in self._agents.items():
            if user_agent.startswith(prefix):
                last = user_agent.rsplit(" ", 1)[-1].lower()
                if len(last) == 12 and all(c in "0123456789abcdef" for c in last):
                    return Agent(agent.vendor, agent.model, last)
                return agent
        return None
