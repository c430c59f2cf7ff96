"""Clause 7.2c over call records: which calls count, Paris months, and the lines past the limit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sip_core.call_records import CallRecord, EndedBy, Outcome
from sip_core.fair_use import LineUse, counts_toward_fair_use, fair_use, month_bounds, past
from sip_core.numbering import DestinationClass as D

UTC = timezone.utc


@pytest.mark.parametrize("outcome, destination_class, counts", [
    (Outcome.ANSWERED, D.FIXED, True),
    (Outcome.ANSWERED, D.MOBILE, True),
    (Outcome.ANSWERED, D.INTERNATIONAL_INCLUDED, True),
    (Outcome.ANSWERED, D.INTERNAL, False),
    (Outcome.ANSWERED, D.EMERGENCY, False),
    (Outcome.ANSWERED, D.SHORT, False),
    (Outcome.ANSWERED, D.SPECIAL, False),
    (Outcome.ANSWERED, D.PREMIUM, False),
    (Outcome.ANSWERED, D.INTERNATIONAL_OTHER, False),
    (Outcome.ANSWERED, None, False),
    (Outcome.NO_ANSWER, D.MOBILE, False),
    (Outcome.BUSY, D.FIXED, False),
    (Outcome.CANCELLED, D.FIXED, False),
    (Outcome.REFUSED, D.FIXED, False),
    (Outcome.FAILED, D.FIXED, False),
])
def test_which_calls_count(outcome, destination_class, counts):
    assert counts_toward_fair_use(outcome, destination_class) is counts


@pytest.mark.parametrize("month, first, after", [
    ("2026-11", datetime(2026, 10, 31, 23, 0, tzinfo=UTC), datetime(2026, 11, 30, 23, 0, tzinfo=UTC)),
    ("2026-03", datetime(2026, 2, 28, 23, 0, tzinfo=UTC), datetime(2026, 3, 31, 22, 0, tzinfo=UTC)),  # summer time
    ("2026-12", datetime(2026, 11, 30, 23, 0, tzinfo=UTC), datetime(2026, 12, 31, 23, 0, tzinfo=UTC)),
    ("2026-07", datetime(2026, 6, 30, 22, 0, tzinfo=UTC), datetime(2026, 7, 31, 22, 0, tzinfo=UTC)),
])
def test_month_bounds_are_paris_midnights(month, first, after):
    assert month_bounds(month) == (first, after)


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-1", "26-11", "2026-11-01", "", "novembre", "0001-01",
                                   "9999-12", "２０２６-11"])
def test_month_bounds_refuse_what_is_not_a_month(month):
    with pytest.raises(ValueError, match="YYYY-MM"):
        month_bounds(month)


def call(line: str, number: str, start: datetime, outcome: Outcome = Outcome.ANSWERED,
         destination_class: D = D.MOBILE, dialled: str | None = None) -> CallRecord:
    return CallRecord(f"{line}-{number}-{start.timestamp()}", f"u-{line}", "", line, f"site-{line}", "c1",
                      dialled or number, number, destination_class, "", "", "", start, start, start, outcome, 200,
                      EndedBy.BYE)


NOV = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_distinct_numbers_per_line_with_when_each_threshold_was_crossed():
    records = [call("A", f"+3361234{n:04d}", NOV + timedelta(hours=n)) for n in range(5)]
    records += [call("A", "+33612340000", NOV + timedelta(hours=6), dialled="0612340000"),  # the same number
                call("A", "", NOV + timedelta(hours=7), dialled="3949", destination_class=D.SHORT),
                call("B", "+33612340000", NOV + timedelta(hours=8)),
                call("B", "+33612340001", NOV + timedelta(hours=9), outcome=Outcome.NO_ANSWER),
                call("", "+33612340009", NOV + timedelta(hours=10))]  # a caller with no line: not ours to count
    uses = fair_use(records, "2026-11", alert_at=3, limit=4)
    assert uses == [
        LineUse("A", "u-A", "site-A", "c1", 5, 6, "over", NOV + timedelta(hours=2), NOV + timedelta(hours=4)),
        LineUse("B", "u-B", "site-B", "c1", 1, 1, "ok", None, None)]
    assert past(uses, 4) == uses[:1] and past(uses, 5) == [] and past(uses, 0) == uses


def test_a_call_counts_in_the_paris_month_it_started_in():
    records = [call("A", "+33612340001", datetime(2026, 10, 31, 22, 59, 59, tzinfo=UTC)),  # 23:59:59 in Paris
               call("A", "+33612340002", datetime(2026, 10, 31, 23, 0, tzinfo=UTC)),  # midnight in Paris
               call("A", "+33612340003", datetime(2026, 11, 30, 23, 0, tzinfo=UTC))]  # December in Paris
    assert [(u.line, u.distinct_numbers) for u in fair_use(records, "2026-11")] == [("A", 1)]
    assert [(u.line, u.distinct_numbers) for u in fair_use(records, "2026-10")] == [("A", 1)]
    assert fair_use(records, "2026-09") == []


def test_150_distinct_numbers_are_allowed_and_151_are_not():
    records = [call("A", f"+3361234{n:04d}", NOV + timedelta(minutes=n)) for n in range(151)]
    assert [(u.distinct_numbers, u.state) for u in fair_use(records[:150], "2026-11")] == [(150, "alert")]
    [use] = fair_use(records, "2026-11")
    assert (use.distinct_numbers, use.state, use.alert_since, use.over_since) == (
        151, "over", NOV + timedelta(minutes=119), NOV + timedelta(minutes=150))
    assert past([use]) == [use] and past(fair_use(records[:150], "2026-11")) == []


def test_records_out_of_start_order_are_refused():
    with pytest.raises(ValueError, match="start order"):
        fair_use([call("A", "+33612340001", NOV), call("A", "+33612340002", NOV - timedelta(seconds=1))], "2026-11")


def test_most_distinct_numbers_first_then_by_line():
    records = [call("B", "+33612340001", NOV), call("A", "+33612340001", NOV),
               call("C", "+33612340001", NOV), call("C", "+33612340002", NOV)]
    assert [u.line for u in fair_use(records, "2026-11")] == ["C", "A", "B"]
