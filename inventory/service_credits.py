"""Service-level credits of clause 4: the credit a failure ticket earns from its restoration time, and the
rolling cap of 20 % of the service's fees over any 30 consecutive days.

Readings (see ``docs/failures.rst``, "Credits and fees"):

* Bands. The French text leaves exactly 4 h, 12 h and 24 h in no band ("supérieur à 4h et inférieur à
  12h" excludes both ends). A standard-form contract is read against its drafter (Code civil, art. 1190),
  so each boundary goes to the higher band: under 4 h nothing, from 4 h 5 %, from 12 h 10 %, from 24 h 20 %.
* Duration. Confirmed restoration minus notification, as real elapsed time (both instants are taken to
  UTC first), so a clock change neither adds nor removes an hour.
* Rounding. Every fraction of a cent goes to the customer: a credit and a cap are rounded up to the cent.
* The cap. A window is 30 consecutive calendar days in the service's time zone; a credit is issued on
  the local date of its restoration. What the fees of a window are is a parameter (``WindowFees`` is
  the default reading: the monthly fixed fee plus the usage billed on the window's days). Credits are
  granted in order of restoration; what the cap removes is lost, never carried over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

#: Clause 4: (restoration time from which the rate applies, percent of the monthly rent), in increasing order.
CREDIT_BANDS: tuple[tuple[timedelta, int], ...] = (
    (timedelta(0), 0),
    (timedelta(hours=4), 5),
    (timedelta(hours=12), 10),
    (timedelta(hours=24), 20),
)
#: Clause 4 a): credits issued over any 30 consecutive days are capped at 20 % of the service's fees.
CAP_PERCENT = 20
CAP_WINDOW_DAYS = 30
PARIS = ZoneInfo("Europe/Paris")

#: The fees of a service over a window, in cents, given the window's first and last day (both included).
FeesOverWindow = Callable[[date, date], int]


def _percent_up(amount_cents: int, percent: int) -> int:
    """`percent` % of `amount_cents`, rounded up to the cent (the customer's side of any fraction)."""
    return -(-amount_cents * percent // 100)


def _check_cents(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} {value!r} is not valid: expected a whole number of cents, zero or more")
    return value


def _check_aware(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} {value!r} is not valid: expected a timezone-aware datetime")
    return value


def credit_rate(duration: timedelta, bands: tuple[tuple[timedelta, int], ...] = CREDIT_BANDS) -> int:
    """Return the credit, in percent of the monthly rent, for a restoration that took `duration`."""
    if not isinstance(duration, timedelta) or duration < timedelta(0):
        raise ValueError(f"Restoration duration {duration!r} is not valid: expected a timedelta of zero or more")
    rate = 0
    for threshold, percent in bands:
        if duration >= threshold:
            rate = percent
    return rate


def restoration_duration(notified_at: datetime, restored_at: datetime) -> timedelta:
    """Return the real time elapsed from the failure notification to the confirmed restoration.

    Both are converted to UTC first: two datetimes sharing one ``ZoneInfo`` would otherwise subtract as
    wall-clock times and gain or lose the hour of a clock change.
    """
    _check_aware(notified_at, "Notification time")
    _check_aware(restored_at, "Restoration time")
    duration = restored_at.astimezone(UTC) - notified_at.astimezone(UTC)
    if duration < timedelta(0):
        raise ValueError(
            f"Restoration time {restored_at.isoformat()} is before the notification time "
            f"{notified_at.isoformat()}: expected a restoration at or after the notification"
        )
    return duration


@dataclass(frozen=True)
class TicketCredit:
    """The credit one failure ticket earns before the cap; an excused ticket earns nothing."""

    ticket: str
    restored_at: datetime
    duration: timedelta
    rate_percent: int
    monthly_rent_cents: int
    excused: bool
    credit_cents: int


def ticket_credit(
    ticket: str,
    notified_at: datetime,
    restored_at: datetime,
    monthly_rent_cents: int,
    excused: bool = False,
    duration: timedelta | None = None,
) -> TicketCredit:
    """Return the credit of one ticket: its band's percentage of the failed service's monthly rent.

    `excused` is true when the failure had an excusable cause (clause 4); the rate is still reported.
    `duration` is the restoration time when it is counted otherwise than in real time (in business hours,
    as the restoration target is by default: inventory/credit_report.py); by default the real time elapsed.
    """
    _check_cents(monthly_rent_cents, "Monthly rent")
    real = restoration_duration(notified_at, restored_at)  # checks both times and their order
    duration = real if duration is None else duration
    rate = credit_rate(duration)
    credit = 0 if excused else _percent_up(monthly_rent_cents, rate)
    return TicketCredit(ticket, restored_at, duration, rate, monthly_rent_cents, bool(excused), credit)


@dataclass(frozen=True)
class WindowFees:
    """The default reading of "Frais Fixes et Frais d'Utilisation mensuels" over a 30-day window: the
    monthly fixed fee once, plus the usage billed on the window's days (`usage_cents_by_day`)."""

    fixed_monthly_cents: int
    usage_cents_by_day: Mapping[date, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_cents(self.fixed_monthly_cents, "Monthly fixed fee")
        for day, cents in self.usage_cents_by_day.items():
            if isinstance(day, datetime) or not isinstance(day, date):
                raise ValueError(f"Usage day {day!r} is not valid: expected a datetime.date")
            _check_cents(cents, f"Usage of {day}")
        object.__setattr__(self, "usage_cents_by_day", MappingProxyType(dict(self.usage_cents_by_day)))

    def __call__(self, first_day: date, last_day: date) -> int:
        usage = sum(cents for day, cents in self.usage_cents_by_day.items() if first_day <= day <= last_day)
        return self.fixed_monthly_cents + usage


@dataclass(frozen=True)
class CappedCredit:
    """A ticket's credit after the rolling cap: what is due, what the cap took off, and the window that
    bound it (None when nothing was taken off)."""

    ticket: str
    restored_at: datetime
    credit_cents: int
    due_cents: int
    capped_off_cents: int
    binding_window: tuple[date, date] | None


def apply_rolling_cap(
    credits: Iterable[TicketCredit],
    fees: FeesOverWindow,
    timezone: ZoneInfo = PARIS,
) -> list[CappedCredit]:
    """Return the credits due on one service's tickets so that no 30 consecutive days carry credits above
    20 % of `fees` over those days; tickets are served in order of restoration, the rest is lost.

    The result is in that order (restoration time, then ticket).
    """
    ordered = sorted(credits, key=lambda c: (c.restored_at.astimezone(UTC), c.ticket))
    granted: dict[date, int] = {}
    result = []
    for credit in ordered:
        day = _check_aware(credit.restored_at, f"Restoration time of ticket {credit.ticket}").astimezone(timezone)
        day = day.date()
        room, binding = _check_cents(credit.credit_cents, f"Credit of ticket {credit.ticket}"), None
        for back in range(CAP_WINDOW_DAYS if room else 0):  # nothing to cap on a ticket without a credit
            first = day - timedelta(days=CAP_WINDOW_DAYS - 1 - back)
            last = first + timedelta(days=CAP_WINDOW_DAYS - 1)
            window_fees = _check_cents(fees(first, last), f"Fees from {first} to {last}")
            # The days already granted are few (those with a credited ticket): add them up, not the 30 days.
            already = sum(cents for granted_on, cents in granted.items() if first <= granted_on <= last)
            left = max(0, _percent_up(window_fees, CAP_PERCENT) - already)
            if left < room:
                room, binding = left, (first, last)
        granted[day] = granted.get(day, 0) + room
        result.append(
            CappedCredit(
                credit.ticket, credit.restored_at, credit.credit_cents, room, credit.credit_cents - room, binding
            )
        )
    return result
