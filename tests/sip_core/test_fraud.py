"""Toll-fraud guards: blocked destinations, bans at their exact edges, bounded memory, and Paris months."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sip_core.fraud import (
    DEFAULT_BLOCKED,
    CallRateGuard,
    Decision,
    DistinctDestinations,
    FailureBans,
    OptionsSweepGuard,
    call_allowed,
    fair_use_state,
    is_scanner,
    month_key,
)
from sip_core.numbering import DestinationClass as D

EVERYTHING = frozenset(D)


@pytest.mark.parametrize("destination, blocked, allowed, status", [
    (D.EMERGENCY, EVERYTHING, True, None),
    (D.EMERGENCY, DEFAULT_BLOCKED, True, None),
    (D.FIXED, DEFAULT_BLOCKED, True, None),
    (D.MOBILE, DEFAULT_BLOCKED, True, None),
    (D.SHORT, DEFAULT_BLOCKED, True, None),
    (D.SPECIAL, DEFAULT_BLOCKED, True, None),
    (D.INTERNAL, DEFAULT_BLOCKED, True, None),
    (D.INTERNATIONAL_INCLUDED, DEFAULT_BLOCKED, True, None),
    (D.PREMIUM, DEFAULT_BLOCKED, False, 403),
    (D.INTERNATIONAL_OTHER, DEFAULT_BLOCKED, False, 403),
    (D.PREMIUM, frozenset(), True, None),
    (D.SHORT, frozenset({D.SHORT}), False, 403),
    (D.FIXED, EVERYTHING, False, 403),
    (D.INVALID, frozenset(), False, 404),
])
def test_call_allowed(destination, blocked, allowed, status):
    decision = call_allowed(destination, blocked)
    assert (decision.allowed, decision.status) == (allowed, status)
    assert bool(decision.reason) is not allowed


def test_default_blocks_premium_and_other_international():
    assert DEFAULT_BLOCKED == {D.PREMIUM, D.INTERNATIONAL_OTHER}
    assert call_allowed(D.PREMIUM) == Decision(False, 403, "Calls to premium numbers are blocked")


def test_failures_ban_at_the_limit_within_the_window():
    bans = FailureBans(max_failures=3, window=60.0, ban_for=900.0)
    assert not bans.record_failure("192.0.2.1", 0.0)
    assert not bans.record_failure("192.0.2.1", 30.0)
    assert not bans.is_banned("192.0.2.1", 59.9)
    assert bans.record_failure("192.0.2.1", 59.9)
    assert bans.is_banned("192.0.2.1", 59.9)
    assert bans.is_banned("192.0.2.1", 959.8)
    assert not bans.is_banned("192.0.2.1", 959.9)  # the ban ends exactly ban_for seconds later
    assert not bans.is_banned("192.0.2.2", 100.0)


def test_a_failure_exactly_window_seconds_old_no_longer_counts():
    bans = FailureBans(max_failures=3, window=60.0, ban_for=900.0)
    bans.record_failure("a", 0.0)
    bans.record_failure("a", 10.0)
    assert not bans.record_failure("a", 60.0)  # the first one left the window
    assert bans.record_failure("a", 69.0)


def test_failures_during_a_ban_do_not_extend_it_and_counting_restarts_after():
    bans = FailureBans(max_failures=2, window=60.0, ban_for=100.0)
    bans.record_failure("a", 0.0)
    assert bans.record_failure("a", 1.0)
    assert bans.record_failure("a", 50.0)
    assert not bans.is_banned("a", 101.0)
    assert not bans.record_failure("a", 101.0)


def test_forget_clears_failures_but_not_a_ban():
    bans = FailureBans(max_failures=2, window=60.0, ban_for=100.0)
    bans.record_failure("a", 0.0)
    bans.forget("a")
    assert not bans.record_failure("a", 1.0)
    bans.record_failure("b", 0.0)
    bans.record_failure("b", 1.0)
    bans.forget("b")
    assert bans.is_banned("b", 2.0)
    bans.forget("unknown")


def test_failure_tracking_is_bounded_and_evicts_the_least_recent():
    bans = FailureBans(max_failures=2, window=60.0, ban_for=100.0, max_tracked=2)
    bans.record_failure("a", 0.0)
    bans.record_failure("b", 1.0)
    bans.record_failure("a", 2.0)  # bans a, and makes it the most recent
    bans.record_failure("c", 3.0)  # evicts b
    assert len(bans) == 2
    assert bans.is_banned("a", 4.0)
    assert not bans.record_failure("b", 4.0)  # b starts again from one failure


def test_call_rate_caps_starts_per_window():
    guard = CallRateGuard(max_per_window=3, max_concurrent=10, window=60.0)
    for second, call in enumerate("abc"):
        assert guard.try_start("line", call, float(second)).allowed
    refused = guard.try_start("line", "d", 59.0)
    assert (refused.allowed, refused.status) == (False, 403) and "3 in 60 s" in refused.reason
    assert guard.try_start("line", "d", 60.0).allowed  # the call at 0 s left the window exactly now
    assert guard.try_start("other line", "x", 60.0).allowed


def test_call_rate_caps_concurrent_calls_and_end_frees_one():
    guard = CallRateGuard(max_per_window=100, max_concurrent=2)
    assert guard.try_start("line", "a", 0.0).allowed
    assert guard.try_start("line", "b", 1.0).allowed
    refused = guard.try_start("line", "c", 2.0)
    assert not refused.allowed and "simultaneous" in refused.reason
    assert guard.try_start("line", "a", 3.0).allowed  # the same call asked again, e.g. after a 407
    guard.end("line", "a")
    assert guard.active("line") == 1
    assert guard.try_start("line", "c", 4.0).allowed
    guard.end("line", "unknown")
    guard.end("unknown line", "a")


def test_a_call_whose_end_was_lost_stops_counting_after_the_longest_call():
    guard = CallRateGuard(max_per_window=100, max_concurrent=1, max_call_duration=3600.0)
    assert guard.try_start("line", "a", 0.0).allowed
    assert not guard.try_start("line", "b", 3599.0).allowed
    assert guard.try_start("line", "b", 3600.0).allowed


def test_call_rate_lines_are_bounded():
    guard = CallRateGuard(max_lines=2)
    for line in ("l1", "l2", "l3"):
        guard.try_start(line, "call", 0.0)
    assert len(guard) == 2 and guard.active("l1") == 0 and guard.active("l3") == 1


@pytest.mark.parametrize("user_agent, scanner", [
    ("friendly-scanner", True),
    ("Friendly-Scanner 1.0", True),
    ("sipvicious", True),
    ("SIPVicious/0.3.4", True),
    ("sipcli/v1.8", True),
    ("sip-scan", True),
    ("VaxSIPUserAgent/3.1", True),
    ("iWar", True),
    ("sundayddr", True),
    ("pplsip", True),
    ("smap 0.6.0", True),
    ("Yealink SIP-T54W 96.86.0.100", False),
    ("Grandstream GXP2170 1.0.11.3", False),
    ("snom D785/10.1.141.13", False),
    ("PortSIP VoIP SDK 11.2", False),
    ("sipsak 0.9.7", False),
    ("Asterisk PBX 18.0", False),
    ("Kiwar phone", False),
    ("", False),
    (None, False),
])
def test_is_scanner(user_agent, scanner):
    assert is_scanner(user_agent) is scanner


def test_a_sweep_of_more_than_the_limit_of_users_bans():
    guard = OptionsSweepGuard(max_distinct=3, window=10.0, ban_for=3600.0)
    for second, user in enumerate(["100", "101", "102"]):
        assert not guard.record("203.0.113.9", user, float(second))
    assert not guard.record("203.0.113.9", "100", 3.0)  # the same user again is no sweep
    assert guard.record("203.0.113.9", "103", 4.0)
    assert guard.is_banned("203.0.113.9", 3603.9)
    assert not guard.is_banned("203.0.113.9", 3604.0)
    assert not guard.is_banned("203.0.113.10", 5.0)


def test_users_exactly_window_seconds_old_leave_the_sweep():
    guard = OptionsSweepGuard(max_distinct=2, window=10.0)
    guard.record("a", "100", 0.0)
    guard.record("a", "101", 5.0)
    assert not guard.record("a", "102", 10.0)  # 100 left the window
    assert guard.record("a", "103", 14.0)


def test_sweep_tracking_is_bounded():
    guard = OptionsSweepGuard(max_distinct=1, max_tracked=2)
    guard.record("a", "100", 0.0)
    guard.record("b", "100", 0.0)
    guard.record("c", "100", 0.0)  # evicts a
    assert len(guard) == 2
    assert not guard.record("a", "101", 1.0)  # a starts again
    assert guard.record("c", "101", 1.0)


PARIS_WINTER, PARIS_SUMMER = timezone(timedelta(hours=1)), timezone(timedelta(hours=2))


@pytest.mark.parametrize("when, month", [
    (datetime(2026, 11, 15, 12, 0, tzinfo=timezone.utc), "2026-11"),
    (datetime(2026, 10, 31, 22, 59, 59, tzinfo=timezone.utc), "2026-10"),  # 23:59:59 in Paris
    (datetime(2026, 10, 31, 23, 0, tzinfo=timezone.utc), "2026-11"),  # midnight in Paris
    (datetime(2026, 11, 1, 0, 0, tzinfo=PARIS_WINTER), "2026-11"),
    (datetime(2026, 3, 31, 21, 59, 59, tzinfo=timezone.utc), "2026-03"),  # summer time: UTC+2
    (datetime(2026, 3, 31, 22, 0, tzinfo=timezone.utc), "2026-04"),
    (datetime(2026, 3, 29, 0, 59, tzinfo=timezone.utc), "2026-03"),  # the night clocks go forward
    (datetime(2026, 3, 29, 1, 0, tzinfo=timezone.utc), "2026-03"),
    (datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc), "2026-10"),  # 02:30 summer time, clocks go back
    (datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc), "2026-10"),  # 02:30 winter time
    (datetime(2026, 12, 31, 23, 0, tzinfo=timezone.utc), "2027-01"),
    (datetime(2027, 1, 1, 0, 30, tzinfo=PARIS_SUMMER), "2026-12"),  # a wrong offset is still a real instant
])
def test_month_key_is_the_paris_calendar_month(when, month):
    assert month_key(when) == month


def test_month_key_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="aware"):
        month_key(datetime(2026, 11, 1))


@pytest.mark.parametrize("count, state", [
    (0, "ok"), (119, "ok"), (120, "alert"), (149, "alert"), (150, "alert"), (151, "over"), (10_000, "over"),
])
def test_fair_use_state(count, state):
    assert fair_use_state(count) == state


@pytest.mark.parametrize("count, alert_at, limit, state", [
    (4, 5, 10, "ok"), (5, 5, 10, "alert"), (10, 5, 10, "alert"), (11, 5, 10, "over"),
])
def test_fair_use_state_thresholds_are_parameters(count, alert_at, limit, state):
    assert fair_use_state(count, alert_at=alert_at, limit=limit) == state


NOV = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)


def test_each_threshold_is_reported_once():
    counter = DistinctDestinations(alert_at=3, limit=4)
    reports = [counter.record("line", number, NOV) for number in ["+1", "+2", "+2", "+3", "+3", "+4", "+5", "+6"]]
    assert reports == [None, None, None, "alert", None, None, "over", None]
    assert counter.count("line", "2026-11") == 6
    assert counter.count("line", "2026-10") == 0
    assert counter.count("other", "2026-11") == 0


def test_the_default_thresholds_are_the_contract_s():
    counter = DistinctDestinations()
    reports = {n: counter.record("line", f"+3312345{n:04d}", NOV) for n in range(1, 152)}
    assert {n for n, report in reports.items() if report} == {120, 151}
    assert reports[120] == "alert" and reports[151] == "over"


def test_a_new_paris_month_starts_from_zero():
    counter = DistinctDestinations(alert_at=2, limit=3)
    last_second = datetime(2026, 10, 31, 22, 59, 59, tzinfo=timezone.utc)
    counter.record("line", "+1", last_second)
    assert counter.record("line", "+2", last_second) == "alert"
    assert counter.record("line", "+3", last_second + timedelta(seconds=1)) is None
    assert counter.count("line", "2026-11") == 1 and counter.count("line", "2026-10") == 0


def test_restored_numbers_do_not_report_again():
    counter = DistinctDestinations(alert_at=2, limit=3)
    counter.restore("line", "2026-11", {"+1", "+2"})
    assert counter.record("line", "+1", NOV) is None
    assert counter.record("line", "+3", NOV) is None
    assert counter.record("line", "+4", NOV) == "over"


def test_distinct_destinations_are_bounded():
    counter = DistinctDestinations(alert_at=2, limit=3, max_lines=2, max_numbers=5)
    for n in range(10):
        counter.record("busy", f"+{n}", NOV)
    assert counter.count("busy", "2026-11") == 5
    counter.record("l2", "+1", NOV)
    counter.record("l3", "+1", NOV)
    assert len(counter) == 2 and counter.count("busy", "2026-11") == 0
