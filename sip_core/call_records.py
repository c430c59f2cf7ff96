"""Call records (CDR): what the proxy reports once a call is over, the rule that names its outcome, and where
records go (a CallLog the server hands the core, like the Recorder).

One record per INVITE that an authenticated line sent out of dialog: answered, refused, failed or given up. An
INVITE answered 407 (the challenge) or refused for its credentials is no call: failed authentications are
recorded by the guards. Times are aware UTC datetimes. `call_outcome` is a pure function over what the proxy
saw of the call; `MemoryCallLog` keeps the newest records in memory (tests, a core started alone) and
`NoCallLog` keeps none (a core with no storage for them).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from sip_core.numbering import DestinationClass


class Outcome(str, Enum):
    """How a call ended, as staff and the fair-use count read it."""

    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CANCELLED = "cancelled"  # the caller hung up before an answer
    REFUSED = "refused"  # by our rules: a blocked class, a fraud guard, no such number or extension
    FAILED = "failed"  # anything else; the record's status says what


class EndedBy(str, Enum):
    """What ended the call: the record's `end` is when that happened."""

    BYE = "bye"  # a BYE passed through us, from either side
    FINAL = "final"  # the final failure sent to the caller (ours, or the best of the branches')
    CANCEL = "cancel"  # the caller's CANCEL (the 487 follows)
    TIMEOUT = "timeout"  # nothing for too long: an answered call whose BYE never came, or a lost one
    STOP = "stop"  # the core stopped while the call was in progress


#: Statuses saying the called party would not take the call (a phone's reject key sends 486 or 603 by vendor).
BUSY_STATUSES = frozenset({486, 600, 603})
#: Statuses saying nobody answered: the ring timed out, or the line has no phone registered.
NO_ANSWER_STATUSES = frozenset({408, 480})
#: Our own refusals that are a rule's (blocked class and fraud guards 403, unknown number or extension 404).
REFUSAL_STATUSES = frozenset({403, 404})


def call_outcome(status: int | None, *, local: bool = False, cancelled: bool = False) -> Outcome:
    """The outcome of a call whose final status to the caller was `status` (None: no final answer before the
    timeout); `local` when the proxy answered it itself without forwarding, `cancelled` after the caller's CANCEL."""
    if status is not None and 200 <= status < 300:
        return Outcome.ANSWERED  # a 2xx racing the CANCEL wins: the call was set up
    if cancelled or status == 487:
        return Outcome.CANCELLED
    if local and status in REFUSAL_STATUSES:
        return Outcome.REFUSED
    if status is None or status in NO_ANSWER_STATUSES:
        return Outcome.NO_ANSWER
    if status in BUSY_STATUSES:
        return Outcome.BUSY
    return Outcome.FAILED


@dataclass(frozen=True)
class CallRecord:
    """One call: who called what, where it went, when it started, was answered and ended, and how it ended."""

    call_id: str
    caller: str  # the calling account's user name
    caller_number: str  # its E.164 number, "" when it has none
    caller_line: str
    caller_site: str
    caller_customer: str
    dialled: str  # the Request-URI's user part, as dialled
    number: str  # E.164 when the numbering plan gives one, else ""
    destination_class: DestinationClass | None  # None: nothing to classify (no user part)
    callee_line: str  # one of our lines when the call went to one, else ""
    callee_site: str
    callee_customer: str
    start: datetime  # the INVITE accepted (authenticated)
    answer: datetime | None  # the first 2xx
    end: datetime
    outcome: Outcome
    status: int | None  # the final status sent to the caller; None when none came before the timeout
    ended_by: EndedBy

    @property
    def duration(self) -> float:
        """Seconds from the answer to the end; 0 for a call never answered."""
        return max(0.0, (self.end - self.answer).total_seconds()) if self.answer is not None else 0.0

    @property
    def destination(self) -> str:
        """The number the call reached, one spelling per number: E.164 when known, else as dialled."""
        return self.number or self.dialled


class CallLog(Protocol):
    """Receives each call's record once it is over; must not block (the core runs on the event loop)."""

    def record(self, record: CallRecord) -> None:
        """A call is over."""


class NoCallLog:
    """A CallLog that keeps nothing: the choice of a core that has nowhere to store call records."""

    def record(self, record: CallRecord) -> None:
        return None


class MemoryCallLog:
    """A CallLog keeping the newest `capacity` records in memory, oldest first (tests, a core started alone)."""

    def __init__(self, capacity: int = 10_000) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.records: deque[CallRecord] = deque(maxlen=capacity)

    def record(self, record: CallRecord) -> None:
        self.records.append(record)
