"""What the SIP core observes, recorded: one fail2ban-readable log line per fraud sign and failed authentication,
fraud signs kept in the database (written behind the event loop), and Prometheus counters.

The log lines keep one shape, never carry a password, and name the source address right after "from", for a
fail2ban filter such as ``^.*sip (auth failure|fraud sign) from <HOST>: ``::

    sip auth failure from 192.0.2.44: user 'u12345678901' (udp)
    sip fraud sign from 192.0.2.44: unmanaged device: the User-Agent says ... (user 'u12345678901', udp)
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import time
from typing import Callable

from inventory.fraud_signs import FraudSign as StoredSign
from provisioner.metrics import SIP_AUTH_FAILURES, SIP_FRAUD_SIGNS, SIP_REGISTRATIONS
from provisioner.write_behind import WriteBehind
from sip_core.directory import Directory
from sip_core.peer import Peer
from sip_core.recorder import FraudSign

#: The logger of the fail2ban lines.
guard_log = logging.getLogger("provisioner.sip.guard")
log = logging.getLogger("provisioner.sip")

#: Seconds between two writes of the fraud signs noted meanwhile.
FLUSH_SECONDS = 1.0
#: Fraud signs waiting to be written at most; a flood beyond is logged and counted, not stored.
MAX_PENDING = 10_000
_USERNAME_CHARS = 64
_DETAIL_CHARS = 300


def printable(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, every control character (a forged line break) made "?"."""
    return "".join(c if c.isprintable() else "?" for c in text[:limit])


def auth_failure_line(peer: Peer, username: str) -> str:
    """The log line of one failed authentication."""
    return f"sip auth failure from {peer.host}: user {printable(username, _USERNAME_CHARS)!r} ({peer.transport})"


def fraud_line(sign: FraudSign) -> str:
    """The log line of one fraud sign."""
    user = f"user {printable(sign.username, _USERNAME_CHARS)!r}, " if sign.username else ""
    return (f"sip fraud sign from {sign.peer.host}: {printable(sign.kind, 40)}: "
            f"{printable(sign.detail, _DETAIL_CHARS)} ({user}{sign.peer.transport})")


class SipRecorder:
    """The server's Recorder: logs, counters, and fraud signs stored in bulk by a thread; start(), then close()."""

    def __init__(self, directory: Directory | None = None, flush_seconds: float = FLUSH_SECONDS,
                 clock: Callable[[], float] = time.time):
        self.directory, self.clock = directory, clock
        self.writer: WriteBehind[int, dict] = WriteBehind(_write_signs, "sip-fraud-signs", flush_seconds, MAX_PENDING)
        self._numbers = itertools.count()

    def start(self) -> None:
        self.writer.start()

    def close(self) -> None:
        """Write the signs still waiting and stop the writing thread."""
        self.writer.close()

    def fraud(self, sign: FraudSign) -> None:
        SIP_FRAUD_SIGNS.labels(sign.kind).inc()
        guard_log.warning(fraud_line(sign))
        account = self.directory.account(sign.username) if self.directory is not None and sign.username else None
        self.writer.put(next(self._numbers), {
            "at": dt.datetime.fromtimestamp(self.clock(), dt.timezone.utc), "kind": sign.kind[:40],
            "source": sign.peer.host, "port": sign.peer.port, "transport": sign.peer.transport,
            "username": printable(sign.username, _USERNAME_CHARS), "detail": printable(sign.detail, 500),
            "line": account.line_id if account else "", "customer": account.customer_id if account else ""})

    def auth_failed(self, peer: Peer, username: str) -> None:
        SIP_AUTH_FAILURES.inc()
        guard_log.info(auth_failure_line(peer, username))

    def registered(self, username: str, contacts: int, peer: Peer, user_agent: str) -> None:
        SIP_REGISTRATIONS.labels("registered" if contacts else "unregistered").inc()
        log.debug("sip registration of %s: %d contact(s), from %s", username, contacts, peer)


def _write_signs(batch: dict[int, dict]) -> None:
    StoredSign._get_collection().insert_many(list(batch.values()), ordered=False)
