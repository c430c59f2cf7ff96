"""Digest authentication of SIP requests (RFC 3261 §22, RFC 7616 and RFC 8760): who sent a request, or why not.

The nonces are digest.py's: stateless, HMAC-signed, time-limited, so a restart or another process still
honours them. What a stateless nonce cannot tell, a replay, is told by NonceCounts: the highest nonce-count
seen per nonce while the nonce lives (an answer without a count may use its nonce once). An unknown user
name is checked against a throw-away password, so that the time taken and the answer given are the same as
for a wrong password: nobody learns which accounts exist.
"""

from __future__ import annotations

import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from enum import Enum
from typing import Callable

from sip_core.digest import (
    ALGORITHMS,
    Answer,
    Verdict,
    challenge,
    expected_response,
    make_nonce,
    nonce_verdict,
    parse_authorization,
)

#: Nonces tracked for their counts at most; the oldest go first (a nonce forgotten early is only re-challenged).
MAX_NONCES = 200_000


class Outcome(Enum):
    """What checking a request's credentials found."""

    OK = "ok"
    CHALLENGE = "challenge"  # no credentials for us yet: 401/407 (not a failure)
    STALE = "stale"  # right password, but the nonce expired or its count was used: challenge with stale=true
    FAILED = "failed"  # wrong password, unknown user, forged nonce: 403, and a failure for the bans
    MALFORMED = "malformed"  # an Authorization header that does not parse: 400


@dataclass(frozen=True)
class Checked:
    """The outcome, and the user name it is about (the claimed one when it failed)."""

    outcome: Outcome
    username: str = ""


_NO_CREDENTIALS = Checked(Outcome.CHALLENGE)
_MALFORMED = Checked(Outcome.MALFORMED)


class NonceCounts:
    """The highest nonce-count accepted per nonce, for as long as nonces live; bounded."""

    def __init__(self, limit: int = MAX_NONCES):
        self.limit = limit
        self._seen: OrderedDict[str, int] = OrderedDict()

    def accept(self, nonce: str, nc: str | None) -> bool:
        """Whether this count is new for this nonce (it is then remembered); None counts as 0, usable once."""
        try:
            count = int(nc, 16) if nc is not None else 0
        except ValueError:
            return False
        last = self._seen.get(nonce)
        if last is not None and count <= last:
            return False
        self._seen[nonce] = count
        self._seen.move_to_end(nonce)
        while len(self._seen) > self.limit:
            self._seen.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._seen)


class Authenticator:
    """Checks Authorization (or Proxy-Authorization) headers against the accounts' passwords, and challenges."""

    def __init__(self, key: bytes, realm: str, lifetime: float = 300.0, counts: NonceCounts | None = None,
                 algorithms: tuple[str, ...] = ALGORITHMS):
        unknown = set(algorithms) - set(ALGORITHMS)
        if unknown or not algorithms:
            raise ValueError(f"digest algorithms must be among {', '.join(ALGORITHMS)}, not {sorted(unknown)}")
        self.key, self.realm, self.lifetime, self.algorithms = key, realm, lifetime, tuple(algorithms)
        self.counts = counts if counts is not None else NonceCounts()
        self._decoy = secrets.token_urlsafe(16)

    def challenges(self, now: float, stale: bool = False) -> list[str]:
        """The WWW-Authenticate / Proxy-Authenticate values to send, one per algorithm offered, sharing one nonce.

        RFC 8760: the client answers the first one it supports, so the order is the preference. Some clients
        (sipp among them) answer only the first, whatever it is: the order is configuration.
        """
        nonce = make_nonce(self.key, self.realm, now)
        return [challenge(self.realm, nonce, algorithm, stale) for algorithm in self.algorithms]

    def check(self, method: str, header: str | None, password_of: Callable[[str], str | None], now: float) -> Checked:
        """What the credentials in `header` (the whole header value, or None) prove for a `method` request."""
        if header is None:
            return _NO_CREDENTIALS
        answer = parse_authorization(header)
        if answer is None:
            return _MALFORMED
        if answer.realm != self.realm:
            # A phone answering another realm's challenge (a cached one from another server): ours is due.
            return Checked(Outcome.CHALLENGE, answer.username)
        if answer.algorithm not in self.algorithms:
            return Checked(Outcome.CHALLENGE, answer.username)
        password = password_of(answer.username)
        if not _responds(answer, method, password if password is not None else self._decoy) or password is None:
            return Checked(Outcome.FAILED, answer.username)
        verdict = nonce_verdict(self.key, self.realm, answer.nonce, now, self.lifetime)
        if verdict is Verdict.WRONG:
            return Checked(Outcome.FAILED, answer.username)
        if verdict is Verdict.STALE or not self.counts.accept(answer.nonce, answer.nc):
            return Checked(Outcome.STALE, answer.username)
        return Checked(Outcome.OK, answer.username)


def _responds(answer: Answer, method: str, password: str) -> bool:
    """Whether the answer's response is the one `password` gives."""
    expected = expected_response(answer, method, password)
    return expected is not None and hmac.compare_digest(expected, answer.response)
