"""The calls in progress through the proxy, each reported once to the CallLog when it is over, and the live
fair-use alert of clause 7.2c.

proxy.py says what happens to a call: `ended_here` (answered by the proxy itself: a refusal, no phone
registered), `started`, `answered` (the first 2xx), `cancelling` (the caller's CANCEL), `failed` (the final
failure sent to the caller) and `hung_up` (a BYE). The core's timer calls `sweep`, which ends what nothing else
will: an answered call whose BYE never came after `max_duration`, and a call unanswered after `max_ringing`
(the INVITE's client transaction times out at 32 s, so only a lost one gets there). At most `max_calls` are
kept: past that the oldest is reported, ended by timeout; `close` reports the rest when the core stops. Times
are the core's clock (seconds since the epoch).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone

from sip_core.call_records import CallLog, CallRecord, EndedBy, Outcome, call_outcome
from sip_core.directory import Account
from sip_core.fair_use import counts_toward_fair_use
from sip_core.fraud import DistinctDestinations, month_key
from sip_core.peer import Peer
from sip_core.recorder import FraudSign, Recorder
from sip_core.routing import Destination

#: Calls in progress remembered at most.
MAX_CALLS = 100_000
#: An answered call is over after this long even without a BYE (as fraud.CallRateGuard stops counting it).
MAX_DURATION = 4 * 3600.0
#: An unanswered call is over after this long (its INVITE times out long before, at 32 s).
MAX_RINGING = 300.0
#: Seconds between two sweeps of the calls in progress.
SWEEP_EVERY = 10.0


@dataclass
class _Call:
    call_id: str
    caller: Account
    peer: Peer
    dialled: str
    destination: Destination
    start: float
    answer: float | None = None
    status: int | None = None  # the 2xx that answered it
    cancelled_at: float | None = None


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def _e164(number: str) -> str:
    """A destination's number when it is E.164 (the trunk's may be a short number as dialled), else ""."""
    return number if number.startswith("+") else ""


class Calls:
    """The proxy's calls in progress, by Call-ID; each call's record goes to `log` once, when it is over."""

    def __init__(self, log: CallLog, recorder: Recorder, fair_use: DistinctDestinations | None = None,
                 max_calls: int = MAX_CALLS, max_duration: float = MAX_DURATION, max_ringing: float = MAX_RINGING,
                 sweep_every: float = SWEEP_EVERY) -> None:
        self.log, self.recorder = log, recorder
        self.fair_use = fair_use if fair_use is not None else DistinctDestinations()
        self.max_calls, self.max_duration, self.max_ringing = max_calls, max_duration, max_ringing
        self.sweep_every = sweep_every
        self._calls: OrderedDict[str, _Call] = OrderedDict()  # in start order
        self._next_sweep = float("-inf")

    def __len__(self) -> int:
        return len(self._calls)

    def ended_here(self, call_id: str, caller: Account, dialled: str, destination: Destination, peer: Peer,
                   status: int, now: float) -> None:
        """A call the proxy answered itself with the failure `status` (a refusal, no phone registered)."""
        self._report(_Call(call_id, caller, peer, dialled, destination, now), now, status, EndedBy.FINAL, local=True)

    def started(self, call_id: str, caller: Account, dialled: str, destination: Destination, peer: Peer,
                now: float) -> None:
        """An authenticated INVITE is being forwarded (the same Call-ID again is the same call)."""
        if call_id in self._calls:
            return
        self._calls[call_id] = _Call(call_id, caller, peer, dialled, destination, now)
        while len(self._calls) > self.max_calls:
            _, oldest = self._calls.popitem(last=False)
            self._report(oldest, now, oldest.status, EndedBy.TIMEOUT)

    def answered(self, call_id: str, status: int, now: float) -> None:
        """The first 2xx went to the caller: the call is up, and counts toward the caller line's fair use."""
        call = self._calls.get(call_id)
        if call is None or call.answer is not None:
            return
        call.answer, call.status = now, status
        self._count_fair_use(call)

    def cancelling(self, call_id: str, now: float) -> None:
        """The caller sent CANCEL: the call ends now, unless a 2xx got there first."""
        call = self._calls.get(call_id)
        if call is not None and call.cancelled_at is None:
            call.cancelled_at = now

    def failed(self, call_id: str, status: int, now: float) -> None:
        """The final failure `status` went to the caller (487 after a CANCEL)."""
        call = self._calls.get(call_id)
        if call is None or call.answer is not None:  # after a 2xx the call is up until its BYE
            return
        del self._calls[call_id]
        if call.cancelled_at is not None:
            self._report(call, call.cancelled_at, status, EndedBy.CANCEL, cancelled=True)
        else:
            self._report(call, now, status, EndedBy.FINAL)

    def hung_up(self, call_id: str, now: float) -> None:
        """A BYE of the call passed through us; before an answer it changes nothing (the final failure follows)."""
        call = self._calls.get(call_id)
        if call is not None and call.answer is not None:
            del self._calls[call_id]
            self._report(call, now, call.status, EndedBy.BYE)

    def sweep(self, now: float) -> int:
        """End the calls nothing else will end (see the module's docstring); how many ended."""
        if now < self._next_sweep:
            return 0
        self._next_sweep = now + self.sweep_every
        stale = [call for call in self._calls.values()
                 if (call.answer is not None and call.answer <= now - self.max_duration)
                 or (call.answer is None and call.start <= now - self.max_ringing)]
        for call in stale:
            del self._calls[call.call_id]
            self._report(call, now, call.status, EndedBy.TIMEOUT, cancelled=call.cancelled_at is not None)
        return len(stale)

    def close(self, now: float) -> None:
        """The core stops: every call in progress is over now."""
        while self._calls:
            _, call = self._calls.popitem(last=False)
            self._report(call, now, call.status, EndedBy.STOP, cancelled=call.cancelled_at is not None)

    def _report(self, call: _Call, end: float, status: int | None, ended_by: EndedBy, local: bool = False,
                cancelled: bool = False) -> None:
        caller, destination = call.caller, call.destination
        callee = destination.account
        self.log.record(CallRecord(
            call_id=call.call_id, caller=caller.username, caller_number=caller.number or "",
            caller_line=caller.line_id, caller_site=caller.site_id, caller_customer=caller.customer_id,
            dialled=call.dialled, number=_e164(destination.number),
            destination_class=destination.destination_class,
            callee_line=callee.line_id if callee else "", callee_site=callee.site_id if callee else "",
            callee_customer=callee.customer_id if callee else "",
            start=_utc(call.start), answer=_utc(call.answer) if call.answer is not None else None,
            end=_utc(max(end, call.start)), outcome=call_outcome(status, local=local, cancelled=cancelled),
            status=status, ended_by=ended_by))

    def _count_fair_use(self, call: _Call) -> None:
        destination = call.destination
        if not call.caller.line_id or not counts_toward_fair_use(Outcome.ANSWERED, destination.destination_class):
            return
        start = _utc(call.start)
        crossed = self.fair_use.record(call.caller.line_id, _e164(destination.number) or call.dialled, start)
        if crossed is None:
            return
        month = month_key(start)
        count = self.fair_use.count(call.caller.line_id, month)
        self.recorder.fraud(FraudSign(
            "fair use", call.peer, call.caller.username,
            f"{count} distinct numbers called in {month}: {'past the limit' if crossed == 'over' else 'alert'} "
            f"(alert at {self.fair_use.alert_at}, limit {self.fair_use.limit}, contract clause 7.2c)"))
