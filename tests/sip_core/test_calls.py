"""Call records: the outcome rule, and the calls in progress reported once each, bounded, with the live
fair-use alert (no sockets: the proxy's calls are played on `Calls` directly)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sip_core.call_records import CallRecord, EndedBy, MemoryCallLog, NoCallLog, Outcome, call_outcome
from sip_core.calls import Calls
from sip_core.directory import Account
from sip_core.fraud import DistinctDestinations
from sip_core.numbering import DestinationClass as D
from sip_core.peer import Peer
from sip_core.recorder import MemoryRecorder
from sip_core.routing import Destination, Kind

ALICE = Account("u1001", "pw", "line1001", "c1", "site1", "1001", "+33190001001")
BOB = Account("u1002", "pw", "line1002", "c1", "site2", "1002", "+33190001002")
PHONE = Peer("udp", "192.0.2.10", 5060)
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc).timestamp()
TO_BOB = Destination(Kind.LINE, BOB, destination_class=D.INTERNAL)


@pytest.mark.parametrize("status, local, cancelled, outcome", [
    (200, False, False, Outcome.ANSWERED),
    (202, False, False, Outcome.ANSWERED),
    (200, False, True, Outcome.ANSWERED),  # the 2xx raced the CANCEL and won
    (487, False, True, Outcome.CANCELLED),
    (487, False, False, Outcome.CANCELLED),
    (500, False, True, Outcome.CANCELLED),
    (486, False, False, Outcome.BUSY),
    (600, False, False, Outcome.BUSY),
    (603, False, False, Outcome.BUSY),
    (408, False, False, Outcome.NO_ANSWER),
    (480, False, False, Outcome.NO_ANSWER),
    (480, True, False, Outcome.NO_ANSWER),  # our 480: no phone registered on the line
    (None, False, False, Outcome.NO_ANSWER),  # nothing before the timeout
    (403, True, False, Outcome.REFUSED),  # a blocked class or a fraud guard
    (404, True, False, Outcome.REFUSED),  # no such extension, not a number
    (403, False, False, Outcome.FAILED),  # the callee's phone refused it: not our rule
    (404, False, False, Outcome.FAILED),
    (503, True, False, Outcome.FAILED),  # no trunk configured
    (500, False, False, Outcome.FAILED),
    (415, False, False, Outcome.FAILED),
])
def test_call_outcome(status, local, cancelled, outcome):
    assert call_outcome(status, local=local, cancelled=cancelled) is outcome


def make_calls(**options) -> tuple[Calls, MemoryCallLog, MemoryRecorder]:
    log, recorder = MemoryCallLog(), MemoryRecorder()
    return Calls(log, recorder, **options), log, recorder


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, timezone.utc)


def test_an_answered_call_is_reported_once_at_its_bye():
    calls, log, _ = make_calls()
    calls.started("c1", ALICE, "1002", TO_BOB, PHONE, T0)
    calls.answered("c1", 200, T0 + 5)
    calls.answered("c1", 200, T0 + 6)  # a second branch's 2xx changes nothing
    calls.failed("c1", 487, T0 + 6)  # neither does a failure after the answer
    assert list(log.records) == [] and len(calls) == 1
    calls.hung_up("c1", T0 + 65)
    calls.hung_up("c1", T0 + 66)  # the other side's BYE, or a retransmission
    [record] = log.records
    assert record == CallRecord(
        call_id="c1", caller="u1001", caller_number="+33190001001", caller_line="line1001", caller_site="site1",
        caller_customer="c1", dialled="1002", number="", destination_class=D.INTERNAL, callee_line="line1002",
        callee_site="site2", callee_customer="c1", start=at(0), answer=at(5), end=at(65), outcome=Outcome.ANSWERED,
        status=200, ended_by=EndedBy.BYE)
    assert record.duration == 60.0 and len(calls) == 0


def test_a_cancelled_call_ends_at_the_cancel():
    calls, log, _ = make_calls()
    calls.started("c1", ALICE, "1002", TO_BOB, PHONE, T0)
    calls.hung_up("c1", T0 + 1)  # a BYE before any answer is no end
    calls.cancelling("c1", T0 + 8)
    calls.failed("c1", 487, T0 + 8.2)
    [record] = log.records
    assert (record.outcome, record.status, record.ended_by, record.end, record.answer) == (
        Outcome.CANCELLED, 487, EndedBy.CANCEL, at(8), None)
    assert record.duration == 0.0


def test_a_busy_callee_ends_the_call_at_the_final_failure():
    calls, log, _ = make_calls()
    calls.started("c1", ALICE, "1002", TO_BOB, PHONE, T0)
    calls.failed("c1", 486, T0 + 3)
    calls.failed("c1", 486, T0 + 4)  # a retransmission is not a second call
    assert [(r.outcome, r.status, r.ended_by, r.end) for r in log.records] == [
        (Outcome.BUSY, 486, EndedBy.FINAL, at(3))]


def test_a_refusal_is_reported_at_once_with_its_number():
    calls, log, _ = make_calls()
    blocked = Destination(Kind.REFUSED, number="+33899123456", status=403, destination_class=D.PREMIUM, blocked=True)
    calls.ended_here("c9", ALICE, "0899123456", blocked, PHONE, 403, T0)
    [record] = log.records
    assert (record.outcome, record.status, record.number, record.destination_class, record.callee_line,
            record.start, record.end) == (Outcome.REFUSED, 403, "+33899123456", D.PREMIUM, "", at(0), at(0))
    assert len(calls) == 0


def test_a_trunk_number_that_is_not_e164_is_kept_as_dialled_only():
    calls, log, _ = make_calls()
    short = Destination(Kind.TRUNK, number="3949", destination_class=D.SHORT)
    calls.ended_here("c1", ALICE, "3949", short, PHONE, 503, T0)
    assert (log.records[0].number, log.records[0].destination) == ("", "3949")


def test_the_sweep_ends_answered_calls_without_a_bye_and_lost_ones():
    calls, log, _ = make_calls(max_duration=3600, max_ringing=300, sweep_every=10)
    calls.started("up", ALICE, "1002", TO_BOB, PHONE, T0)
    calls.answered("up", 200, T0 + 2)
    calls.started("lost", ALICE, "1002", TO_BOB, PHONE, T0 + 1)
    calls.started("young", ALICE, "1002", TO_BOB, PHONE, T0 + 250)
    assert calls.sweep(T0 + 300) == 0  # "lost" is 299 s old
    assert calls.sweep(T0 + 305) == 0  # not yet the next sweep
    assert calls.sweep(T0 + 310) == 1
    assert calls.sweep(T0 + 3601) == 1  # "young"; "up" has been up 3599 s
    assert calls.sweep(T0 + 3612) == 1
    assert [(r.call_id, r.outcome, r.ended_by, r.end) for r in log.records] == [
        ("lost", Outcome.NO_ANSWER, EndedBy.TIMEOUT, at(310)),
        ("young", Outcome.NO_ANSWER, EndedBy.TIMEOUT, at(3601)),
        ("up", Outcome.ANSWERED, EndedBy.TIMEOUT, at(3612))]
    assert len(calls) == 0


def test_past_the_bound_the_oldest_call_is_reported_ended():
    calls, log, _ = make_calls(max_calls=2)
    for number in range(3):
        calls.started(f"c{number}", ALICE, "1002", TO_BOB, PHONE, T0 + number)
    calls.started("c2", ALICE, "1002", TO_BOB, PHONE, T0 + 9)  # the same call again: nothing new
    assert len(calls) == 2
    assert [(r.call_id, r.ended_by, r.end) for r in log.records] == [("c0", EndedBy.TIMEOUT, at(2))]


def mobile(number: int) -> Destination:
    return Destination(Kind.TRUNK, number=f"+3361234{number:04d}", destination_class=D.MOBILE)


def test_answered_calls_to_counted_classes_raise_the_fair_use_alert_once_per_threshold():
    calls, _, recorder = make_calls(fair_use=DistinctDestinations(alert_at=2, limit=3))
    plan = [(mobile(1), True), (mobile(1), True), (mobile(2), False),  # unanswered: does not count
            (Destination(Kind.LINE, BOB, destination_class=D.INTERNAL), True),  # internal: not in the plans
            (Destination(Kind.TRUNK, number="+33899123456", destination_class=D.PREMIUM), True),
            (mobile(2), True), (mobile(3), True), (mobile(4), True), (mobile(5), True)]
    signs = []
    for index, (destination, answer) in enumerate(plan):
        calls.started(f"c{index}", ALICE, "06", destination, PHONE, T0 + index)
        if answer:
            calls.answered(f"c{index}", 200, T0 + index)
        signs.append(len(recorder.signs))
    assert signs == [0, 0, 0, 0, 0, 1, 1, 2, 2]
    assert [(s.kind, s.username, s.peer) for s in recorder.signs] == [("fair use", "u1001", PHONE)] * 2
    assert recorder.signs[0].detail.startswith("2 distinct numbers called in 2026-11: alert")
    assert recorder.signs[1].detail.startswith("4 distinct numbers called in 2026-11: past the limit")
    assert "clause 7.2c" in recorder.signs[1].detail


def test_no_call_log_keeps_nothing_and_a_memory_log_keeps_the_newest():
    calls = Calls(NoCallLog(), MemoryRecorder())
    calls.ended_here("c1", ALICE, "1999", Destination(Kind.REFUSED, status=404), PHONE, 404, T0)
    assert len(calls) == 0
    log = MemoryCallLog(capacity=2)
    newest = Calls(log, MemoryRecorder())
    for number in range(3):
        newest.ended_here(f"c{number}", ALICE, "1999", Destination(Kind.REFUSED, status=404), PHONE, 404, T0)
    assert [r.call_id for r in log.records] == ["c1", "c2"]
    with pytest.raises(ValueError):
        MemoryCallLog(capacity=0)


def test_calls_in_progress_when_the_core_stops_are_reported_ended_then():
    calls, log, _ = make_calls()
    calls.started("up", ALICE, "1002", TO_BOB, PHONE, T0)
    calls.answered("up", 200, T0 + 1)
    calls.started("ringing", ALICE, "1002", TO_BOB, PHONE, T0 + 2)
    calls.close(T0 + 30)
    assert [(r.call_id, r.outcome, r.ended_by, r.end) for r in log.records] == [
        ("up", Outcome.ANSWERED, EndedBy.STOP, at(30)), ("ringing", Outcome.NO_ANSWER, EndedBy.STOP, at(30))]
    assert len(calls) == 0
