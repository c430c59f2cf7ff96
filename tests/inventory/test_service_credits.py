"""Clause 4 credits: the band of each restoration time, real elapsed time across clock changes, and the
rolling 30-day cap of 20 % of the service's fees with nothing carried over."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.service_credits import (
    CappedCredit,
    TicketCredit,
    WindowFees,
    apply_rolling_cap,
    credit_rate,
    restoration_duration,
    ticket_credit,
)

PARIS = ZoneInfo("Europe/Paris")
H = timedelta(hours=1)
S = timedelta(seconds=1)


def at(year, month, day, hour=0, minute=0):
    """A wall-clock time in Paris."""
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


# --- bands ---------------------------------------------------------------------------------------------

# Each boundary goes to the higher band (docs/failures.rst): exactly 4 h, 12 h, 24 h are 5 %, 10 %, 20 %.
BANDS = [
    (timedelta(0), 0),
    (4 * H - S, 0),
    (4 * H, 5),
    (4 * H + S, 5),
    (12 * H - S, 5),
    (12 * H, 10),
    (12 * H + S, 10),
    (24 * H - S, 10),
    (24 * H, 20),
    (24 * H + S, 20),
    (timedelta(days=30), 20),
]


@pytest.mark.parametrize(("duration", "percent"), BANDS)
def test_credit_rate_by_restoration_time(duration, percent):
    assert credit_rate(duration) == percent


@pytest.mark.parametrize("duration", [-S, 4, "4h", None])
def test_credit_rate_refuses_what_is_not_a_duration(duration):
    with pytest.raises(ValueError, match="Restoration duration"):
        credit_rate(duration)


# --- restoration time ----------------------------------------------------------------------------------

# (notified, restored, real elapsed time). Paris moves to summer time on 2026-03-29 at 02:00 and back to
# winter time on 2026-10-25 at 03:00: wall-clock differences are an hour off across those nights.
DURATIONS = [
    (at(2026, 3, 10, 9), at(2026, 3, 10, 13), 4 * H),
    (at(2026, 3, 28, 22), at(2026, 3, 29, 10), 11 * H),  # spring forward: 12 h on the wall, 11 h elapsed
    (at(2026, 3, 28, 22), at(2026, 3, 29, 11), 12 * H),
    (at(2026, 10, 24, 22), at(2026, 10, 25, 10), 13 * H),  # fall back: 12 h on the wall, 13 h elapsed
    (at(2026, 10, 24, 22), at(2026, 10, 25, 9), 12 * H),
    (at(2026, 10, 24, 12), at(2026, 10, 25, 12), 25 * H),
    (at(2026, 3, 28, 12), at(2026, 3, 29, 12), 23 * H),
    (at(2026, 6, 1, 9), datetime(2026, 6, 1, 11, tzinfo=UTC), 4 * H),  # different zones
]


@pytest.mark.parametrize(("notified", "restored", "elapsed"), DURATIONS)
def test_restoration_duration_is_real_elapsed_time(notified, restored, elapsed):
    assert restoration_duration(notified, restored) == elapsed


@pytest.mark.parametrize(
    ("notified", "restored", "percent"),
    [
        (at(2026, 3, 28, 22), at(2026, 3, 29, 10), 5),  # 11 h elapsed, though 12 h on the wall
        (at(2026, 3, 28, 22), at(2026, 3, 29, 11), 10),
        (at(2026, 10, 24, 22), at(2026, 10, 25, 10), 10),  # 13 h elapsed
        (at(2026, 10, 24, 22), at(2026, 10, 25, 9), 10),  # 12 h elapsed, 11 h on the wall
        (at(2026, 10, 24, 12), at(2026, 10, 25, 11), 20),  # 24 h elapsed, 23 h on the wall
        (at(2026, 3, 28, 12), at(2026, 3, 29, 12), 10),  # 23 h elapsed, 24 h on the wall
        (at(2026, 3, 29, 0), at(2026, 3, 29, 5), 5),  # 4 h elapsed, 5 h on the wall
        (at(2026, 10, 25, 0), at(2026, 10, 25, 3), 5),  # 4 h elapsed (02:00-03:00 happens twice), 3 h on the wall
    ],
)
def test_ticket_rate_across_clock_changes(notified, restored, percent):
    assert ticket_credit("T-1", notified, restored, 10_000).rate_percent == percent


def test_restoration_before_notification_is_refused():
    with pytest.raises(ValueError, match="before the notification time"):
        restoration_duration(at(2026, 5, 4, 10), at(2026, 5, 4, 9, 59))


@pytest.mark.parametrize("naive", [datetime(2026, 5, 4, 10), "2026-05-04T10:00+02:00"])
def test_naive_or_textual_times_are_refused(naive):
    with pytest.raises(ValueError, match="timezone-aware"):
        restoration_duration(naive, at(2026, 5, 4, 12))
    with pytest.raises(ValueError, match="timezone-aware"):
        restoration_duration(at(2026, 5, 4, 8), naive)


# --- one ticket ----------------------------------------------------------------------------------------

# (hours to restore, monthly rent in cents, credit in cents); fractions of a cent are rounded up.
TICKET_CREDITS = [
    (3.99, 10_000, 0),
    (4, 10_000, 500),
    (6, 1_999, 100),  # 5 % of 19.99 EUR = 99.95 cents
    (12, 1_999, 200),  # 10 % = 199.9 cents
    (30, 1_999, 400),  # 20 % = 399.8 cents
    (30, 1_995, 399),  # exact
    (13, 1, 1),  # 0.1 cent
    (25, 0, 0),
]


@pytest.mark.parametrize(("hours", "rent", "credit"), TICKET_CREDITS)
def test_ticket_credit_is_the_band_share_of_the_rent(hours, rent, credit):
    notified = at(2026, 2, 2, 9)
    result = ticket_credit("T-7", notified, notified + timedelta(hours=hours), rent)
    assert result.credit_cents == credit
    assert result.excused is False
    assert result.duration == timedelta(hours=hours)


def test_excused_ticket_earns_nothing_but_keeps_its_band():
    result = ticket_credit("T-8", at(2026, 2, 2, 9), at(2026, 2, 3, 12), 10_000, excused=True)
    assert (result.credit_cents, result.rate_percent, result.excused) == (0, 20, True)


@pytest.mark.parametrize("rent", [-1, 10.5, True, "100"])
def test_ticket_credit_refuses_a_bad_rent(rent):
    with pytest.raises(ValueError, match="Monthly rent"):
        ticket_credit("T-9", at(2026, 2, 2, 9), at(2026, 2, 2, 20), rent)


# --- the rolling cap -----------------------------------------------------------------------------------


def credit(ticket, restored, cents):
    return TicketCredit(ticket, restored, 5 * H, 5, 0, False, cents)


def capped(results):
    """(ticket, due, capped off) of each result."""
    return [(r.ticket, r.due_cents, r.capped_off_cents) for r in results]


# Fixed fee 100 EUR, no usage: the cap is 20 EUR (2,000 cents) over any 30 consecutive days.
CAP_CASES = [
    pytest.param(
        [("A", at(2026, 1, 20, 10), 1_500), ("B", at(2026, 2, 5, 10), 1_500)],
        [("A", 1_500, 0), ("B", 500, 1_000)],
        id="across-a-month-boundary",  # a per-calendar-month cap would have granted B in full
    ),
    pytest.param(
        [("A", at(2026, 1, 20, 10), 1_500), ("B", at(2026, 2, 5, 10), 1_500), ("C", at(2026, 2, 20, 10), 1_500)],
        [("A", 1_500, 0), ("B", 500, 1_000), ("C", 1_500, 0)],
        id="A-leaves-the-window-on-day-31",  # windows holding C start 22 Jan or later: only B's 500 is in
    ),
    pytest.param(
        [("A", at(2026, 1, 20, 10), 1_500), ("C", at(2026, 2, 18, 10), 1_500)],
        [("A", 1_500, 0), ("C", 500, 1_000)],
        id="day-30-is-still-in-the-window",
    ),
    pytest.param(
        [("A", at(2026, 1, 20, 10), 1_500), ("C", at(2026, 2, 19, 10), 1_500)],
        [("A", 1_500, 0), ("C", 1_500, 0)],
        id="day-31-is-out",
    ),
    pytest.param(
        [("B", at(2026, 3, 2, 10), 1_000), ("A", at(2026, 3, 1, 10), 1_500), ("C", at(2026, 3, 3, 10), 1_000)],
        [("A", 1_500, 0), ("B", 500, 500), ("C", 0, 1_000)],
        id="first-restored-first-served-and-nothing-carried",
    ),
    pytest.param(
        [("A", at(2026, 3, 1, 10), 2_000), ("B", at(2026, 3, 1, 11), 0)],
        [("A", 2_000, 0), ("B", 0, 0)],
        id="exactly-the-cap",
    ),
    pytest.param(
        [("A", at(2026, 3, 1, 10), 2_500)],
        [("A", 2_000, 500)],
        id="one-ticket-over-the-cap",
    ),
    pytest.param(
        [("B", at(2026, 3, 1, 10), 1_500), ("A", at(2026, 3, 1, 10), 1_500)],
        [("A", 1_500, 0), ("B", 500, 1_000)],
        id="same-instant-by-ticket",
    ),
]


@pytest.mark.parametrize(("tickets", "expected"), CAP_CASES)
def test_rolling_cap(tickets, expected):
    results = apply_rolling_cap([credit(*t) for t in tickets], WindowFees(10_000))
    assert capped(results) == expected
    for result in results:
        assert (result.binding_window is None) == (result.capped_off_cents == 0)


def test_the_binding_window_is_reported():
    [_, b] = apply_rolling_cap(
        [credit("A", at(2026, 1, 20, 10), 1_500), credit("B", at(2026, 2, 5, 10), 1_500)], WindowFees(10_000)
    )
    assert b.binding_window == (date(2026, 1, 7), date(2026, 2, 5))
    assert isinstance(b, CappedCredit) and b.credit_cents == 1_500


def test_the_window_date_is_the_local_restoration_date():
    # 2026-02-18 23:30 UTC is 19 February 00:30 in Paris: day 31 after 20 January, out of A's windows.
    late = datetime(2026, 2, 18, 23, 30, tzinfo=UTC)
    results = apply_rolling_cap([credit("A", at(2026, 1, 20, 10), 1_500), credit("C", late, 1_500)], WindowFees(10_000))
    assert capped(results) == [("A", 1_500, 0), ("C", 1_500, 0)]
    results = apply_rolling_cap(
        [credit("A", at(2026, 1, 20, 10), 1_500), credit("C", late, 1_500)],
        WindowFees(10_000),
        timezone=ZoneInfo("UTC"),
    )
    assert capped(results) == [("A", 1_500, 0), ("C", 500, 1_000)]


def test_usage_in_the_window_raises_the_cap():
    fees = WindowFees(10_000, {date(2026, 2, 1): 5_000, date(2026, 4, 1): 50_000})
    assert fees(date(2026, 1, 20), date(2026, 2, 18)) == 15_000
    assert fees(date(2026, 2, 2), date(2026, 3, 3)) == 10_000
    # Every window holding both A and B also holds 1 February's usage: cap 3,000, of which A took 1,500.
    results = apply_rolling_cap([credit("A", at(2026, 1, 20, 10), 1_500), credit("B", at(2026, 2, 5, 10), 2_500)], fees)
    assert capped(results) == [("A", 1_500, 0), ("B", 1_500, 1_000)]
    results = apply_rolling_cap(
        [credit("A", at(2026, 1, 20, 10), 1_500), credit("B", at(2026, 2, 5, 10), 2_500)], WindowFees(10_000)
    )
    assert capped(results) == [("A", 1_500, 0), ("B", 500, 2_000)]


def test_the_cap_is_rounded_up_to_the_cent():
    # 20 % of 10,001 cents is 2,000.2 cents: the cap is 2,001.
    [a] = apply_rolling_cap([credit("A", at(2026, 3, 1, 10), 5_000)], WindowFees(10_001))
    assert (a.due_cents, a.capped_off_cents) == (2_001, 2_999)


def test_the_fees_reading_is_a_parameter():
    seen = []

    def fees(first, last):
        seen.append((first, last))
        return 0

    [a] = apply_rolling_cap([credit("A", at(2026, 3, 1, 10), 700)], fees)
    assert (a.due_cents, a.capped_off_cents) == (0, 700)
    assert seen[0] == (date(2026, 1, 31), date(2026, 3, 1)) and seen[-1] == (date(2026, 3, 1), date(2026, 3, 30))
    assert len(seen) == 30


@pytest.mark.parametrize(
    ("fixed", "usage", "message"),
    [(-5, {}, "Monthly fixed fee"), (100, {date(2026, 1, 1): -3}, "Usage of"), (100, {"2026-01-01": 3}, "Usage day")],
)
def test_bad_window_fees_are_refused(fixed, usage, message):
    with pytest.raises(ValueError, match=message):
        WindowFees(fixed, usage)


def test_negative_fees_from_a_custom_reading_are_refused():
    with pytest.raises(ValueError, match="Fees from"):
        apply_rolling_cap([credit("A", at(2026, 3, 1, 10), 700)], lambda first, last: -1)


def test_a_negative_credit_is_refused_by_the_cap():
    with pytest.raises(ValueError, match="Credit of ticket A"):
        apply_rolling_cap([credit("A", at(2026, 3, 1, 10), -1)], WindowFees(100))


def test_a_naive_restoration_is_refused_by_the_cap():
    with pytest.raises(ValueError, match="ticket A"):
        apply_rolling_cap([credit("A", datetime(2026, 3, 1, 10), 700)], WindowFees(100))


# --- properties ----------------------------------------------------------------------------------------

START = datetime(2026, 1, 1, tzinfo=UTC)

tickets_strategy = st.lists(
    st.tuples(st.integers(0, 120 * 24 * 60), st.integers(0, 5_000)),  # minutes after START, credit cents
    max_size=25,
)
usage_strategy = st.dictionaries(st.integers(0, 150), st.integers(0, 20_000), max_size=20)


@settings(max_examples=150, deadline=None)
@given(tickets_strategy, st.integers(0, 30_000), usage_strategy)
def test_no_window_exceeds_the_cap_and_nothing_is_negative(tickets, fixed, usage):
    fees = WindowFees(fixed, {date(2026, 1, 1) + timedelta(days=d): c for d, c in usage.items()})
    credits = [credit(f"T{n}", START + timedelta(minutes=m), c) for n, (m, c) in enumerate(tickets)]
    results = apply_rolling_cap(credits, fees)
    assert sorted(r.ticket for r in results) == sorted(c.ticket for c in credits)
    for r in results:
        assert 0 <= r.due_cents <= r.credit_cents
        assert r.due_cents + r.capped_off_cents == r.credit_cents
    due_by_day = {}
    for r in results:
        day = r.restored_at.astimezone(PARIS).date()
        due_by_day[day] = due_by_day.get(day, 0) + r.due_cents
    first_day = date(2025, 12, 1)
    for offset in range(170):
        first = first_day + timedelta(days=offset)
        last = first + timedelta(days=29)
        total = sum(cents for day, cents in due_by_day.items() if first <= day <= last)
        assert total * 100 <= fees(first, last) * 20 + 99  # the cap is rounded up to the cent


@settings(max_examples=100, deadline=None)
@given(tickets_strategy)
def test_with_room_to_spare_nothing_is_capped(tickets):
    credits = [credit(f"T{n}", START + timedelta(minutes=m), c) for n, (m, c) in enumerate(tickets)]
    results = apply_rolling_cap(credits, WindowFees(10**9))
    assert all(r.capped_off_cents == 0 and r.due_cents == r.credit_cents for r in results)


@settings(max_examples=100, deadline=None)
@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10)), st.integers(0, 10**7))
def test_ticket_credit_is_never_negative_nor_above_a_fifth_of_the_rent(duration, rent):
    result = ticket_credit("T", START, START + duration, rent)
    assert 0 <= result.credit_cents <= -(-rent // 5)
    assert result.credit_cents * 100 >= rent * result.rate_percent  # never rounded against the customer
