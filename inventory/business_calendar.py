"""The business calendar that contract deadlines are counted in: French public holidays per département,
business days and business hours.

Contract clause 3.6 (equipment due back "the first business day after the contract ends") and the
installation clause (a cancellation "less than 48 business hours" before the appointment is billed) are
both read here. Every function is pure; the holiday tables come from the ``holidays`` package and are
cached per (subdivision, year). See ``docs/calendar.rst`` for the readings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from inventory.departements import validate_departement

#: Our département codes that the ``holidays`` package (>= 0.76) knows as a France subdivision with its own
#: public holidays. Every other département, Corsica included, has the metropolitan holidays only.
HOLIDAY_SUBDIVISIONS: Mapping[str, str] = MappingProxyType(
    {
        "57": "57",  # Moselle: Good Friday and 26 December (local law)
        "67": "6AE",  # Bas-Rhin, in the package's "Alsace" (Collectivité européenne d'Alsace)
        "68": "6AE",  # Haut-Rhin, likewise
        "971": "971",  # Guadeloupe: abolition of slavery (27 May) and others, see docs/calendar.rst
        "972": "972",  # Martinique: abolition of slavery (22 May), Victor Schœlcher day (21 July)
        "973": "973",  # Guyane: abolition of slavery (10 June)
        "974": "974",  # La Réunion: abolition of slavery (20 December)
        "975": "PM",  # Saint-Pierre-et-Miquelon: no extra public holiday
        "976": "976",  # Mayotte: abolition of slavery (27 April)
    }
)

#: Names of the week days as the settings spell them, in ``date.weekday()`` order (Monday is 0).
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: The two ways the hours of a deadline can be counted (settings ``calendar.replacement_hours``,
#: ``calendar.restoration_hours`` and ``calendar.no_answer_hours``): every hour, or business hours only.
READINGS = ("calendar", "business")

_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
# More consecutive days without business time than this means the definition can never open again.
_LONGEST_CLOSURE = 400


@dataclass(frozen=True)
class BusinessHours:
    """When business time runs: on `days` (0 = Monday) from `start` to `end`, wall-clock time in `timezone`.

    Public holidays of the site's département are never business days, whatever `days` says.
    """

    days: frozenset[int]
    start: time
    end: time
    timezone: ZoneInfo

    def __post_init__(self) -> None:
        if not isinstance(self.days, frozenset) or not self.days or not self.days <= frozenset(range(7)):
            raise ValueError(
                f"Business days {self.days!r} are not valid: expected a non-empty frozenset of weekday numbers 0-6"
            )
        for name, value in (("start", self.start), ("end", self.end)):
            if not isinstance(value, time) or value.tzinfo is not None:
                raise ValueError(
                    f"Business hours {name} {value!r} is not valid: expected a datetime.time without tzinfo"
                )
        if self.start >= self.end:
            raise ValueError(f"Business hours start {self.start:%H:%M} must be earlier than their end {self.end:%H:%M}")
        if not isinstance(self.timezone, ZoneInfo):
            raise ValueError(f"Business hours time zone {self.timezone!r} is not valid: expected a zoneinfo.ZoneInfo")

    @classmethod
    def from_settings(
        cls,
        timezone: str = "Europe/Paris",
        business_days: Iterable[str] = ("mon", "tue", "wed", "thu", "fri"),
        business_hours_start: str = "09:00",
        business_hours_end: str = "18:00",
    ) -> BusinessHours:
        """Build the definition from the plain values of the ``calendar.*`` settings (same names, same forms)."""
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(
                f"Time zone {timezone!r} is not valid: expected a zoneinfo name such as Europe/Paris"
            ) from None
        if isinstance(business_days, str):
            raise ValueError(f"Business days {business_days!r} are not valid: expected a list such as [mon, tue]")
        days = []
        for name in business_days:
            key = name.strip().lower() if isinstance(name, str) else name
            if key not in DAY_NAMES:
                raise ValueError(f"Business day {name!r} is not valid: expected one of {', '.join(DAY_NAMES)}")
            days.append(DAY_NAMES.index(key))
        if not days:
            raise ValueError("Business days are empty: expected at least one of " + ", ".join(DAY_NAMES))
        return cls(frozenset(days), _parse_time(business_hours_start), _parse_time(business_hours_end), zone)


def _parse_time(value: str) -> time:
    """Read an "HH:MM" setting value."""
    match = _TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f'Time {value!r} is not valid: expected "HH:MM" from 00:00 to 23:59')
    return time(int(match[1]), int(match[2]))


#: Monday to Friday, 09:00-18:00, Europe/Paris: the contract's default reading.
DEFAULT_BUSINESS_HOURS = BusinessHours.from_settings()


# --- holidays -----------------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _holiday_table(subdivision: str | None, year: int) -> Mapping[date, str]:
    """The public holidays of one subdivision (None: metropolitan) in one year, names in French."""
    table = holidays.France(subdiv=subdivision, years=year, language="fr", categories=holidays.PUBLIC)
    return MappingProxyType(dict(sorted(table.items())))


def _check_year(year: int) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not date.min.year <= year <= date.max.year:
        raise ValueError(f"Year {year!r} is not valid: expected a whole year such as 2026")
    return year


def _check_day(day: date, what: str = "Day") -> date:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise ValueError(f"{what} {day!r} is not valid: expected a datetime.date (not a datetime)")
    return day


def _subdivision(departement: str) -> str | None:
    return HOLIDAY_SUBDIVISIONS.get(validate_departement(departement))


def holidays_of(departement: str, year: int) -> dict[date, str]:
    """Return the public holidays of `departement` in `year`, date to French name; raise ValueError if unknown."""
    return dict(_holiday_table(_subdivision(departement), _check_year(year)))


def is_holiday(day: date, departement: str) -> bool:
    """Say whether `day` is a public holiday in `departement`."""
    _check_day(day)
    return day in _holiday_table(_subdivision(departement), day.year)


def is_business_day(day: date, departement: str, hours: BusinessHours = DEFAULT_BUSINESS_HOURS) -> bool:
    """Say whether `day` is one of the business days of `hours` and not a public holiday in `departement`."""
    _check_day(day)
    return day.weekday() in hours.days and day not in _holiday_table(_subdivision(departement), day.year)


def next_business_day(day: date, departement: str, hours: BusinessHours = DEFAULT_BUSINESS_HOURS) -> date:
    """Return the first business day strictly after `day` in `departement`."""
    _check_day(day)
    subdivision = _subdivision(departement)
    candidate = day
    for _ in range(_LONGEST_CLOSURE):
        candidate += timedelta(days=1)
        if candidate.weekday() in hours.days and candidate not in _holiday_table(subdivision, candidate.year):
            return candidate
    raise ValueError(f"No business day within {_LONGEST_CLOSURE} days after {day}: check the business days setting")


def return_due_date(contract_end: date, departement: str, hours: BusinessHours = DEFAULT_BUSINESS_HOURS) -> date:
    """Return the day lent equipment is due back (clause 3.6): the first business day after the contract ends.

    Equipment not back by the end of that day is overdue.
    """
    _check_day(contract_end, "Contract end")
    return next_business_day(contract_end, departement, hours)


# --- business hours -----------------------------------------------------------------------------------


def _check_aware(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{what} {value!r} is not valid: expected a timezone-aware datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} {value.isoformat()} has no time zone: expected a timezone-aware datetime")
    return value


def _duration(amount: float | timedelta, what: str) -> timedelta:
    if isinstance(amount, timedelta):
        duration = amount
    elif isinstance(amount, (int, float)) and not isinstance(amount, bool) and math.isfinite(amount):
        duration = timedelta(hours=amount)
    else:
        raise ValueError(f"{what} {amount!r} is not valid: expected a number of hours or a timedelta")
    if duration < timedelta(0):
        raise ValueError(f"{what} {amount!r} is negative: expected zero or more hours")
    return duration


def _window(day: date, subdivision: str | None, hours: BusinessHours) -> tuple[datetime, datetime] | None:
    """The business window of one local day as UTC instants, or None when the day has no business time.

    The edges are wall-clock times in the zone, so lengths are real elapsed time: a window that spans a
    clock change is one hour shorter or longer than its wall-clock length.
    """
    if day.weekday() not in hours.days or day in _holiday_table(subdivision, day.year):
        return None
    opening = datetime.combine(day, hours.start, tzinfo=hours.timezone).astimezone(UTC)
    closing = datetime.combine(day, hours.end, tzinfo=hours.timezone).astimezone(UTC)
    return (opening, closing) if opening < closing else None


def add_business_hours(
    start: datetime,
    hours: float | timedelta,
    departement: str,
    hours_def: BusinessHours = DEFAULT_BUSINESS_HOURS,
) -> datetime:
    """Return the earliest instant by which `hours` of business time have run since `start`, in `hours_def`'s zone.

    Outside business hours the count starts at the next opening; adding zero hours returns `start` itself.
    """
    _check_aware(start, "Start")
    remaining = _duration(hours, "Hours to add")
    subdivision = _subdivision(departement)
    cursor = start.astimezone(UTC)
    if not remaining:
        return cursor.astimezone(hours_def.timezone)
    day = cursor.astimezone(hours_def.timezone).date()
    closed_days = 0
    while True:
        window = _window(day, subdivision, hours_def)
        if window is not None and cursor < window[1]:
            closed_days = 0
            begin = max(cursor, window[0])
            available = window[1] - begin
            if remaining <= available:
                return (begin + remaining).astimezone(hours_def.timezone)
            remaining -= available
            cursor = window[1]
        else:
            closed_days += 1
            if closed_days > _LONGEST_CLOSURE:
                raise ValueError(f"No business hours within {_LONGEST_CLOSURE} days: check the business hours settings")
        day += timedelta(days=1)


def business_hours_between(
    start: datetime,
    end: datetime,
    departement: str,
    hours_def: BusinessHours = DEFAULT_BUSINESS_HOURS,
) -> timedelta:
    """Return the business time between two instants; negative when `end` is before `start`, zero when equal.

    So ``business_hours_between(cancelled_at, appointment, dep) < timedelta(hours=48)`` is a late
    cancellation, including one made after the appointment.
    """
    _check_aware(start, "Start")
    _check_aware(end, "End")
    begin, finish = start.astimezone(UTC), end.astimezone(UTC)
    if finish < begin:
        return -business_hours_between(end, start, departement, hours_def)
    subdivision = _subdivision(departement)
    total = timedelta(0)
    day = begin.astimezone(hours_def.timezone).date()
    last = finish.astimezone(hours_def.timezone).date()
    while day <= last:
        window = _window(day, subdivision, hours_def)
        if window is not None:
            overlap = min(finish, window[1]) - max(begin, window[0])
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return total


def add_calendar_hours(
    start: datetime, hours: float | timedelta, hours_def: BusinessHours = DEFAULT_BUSINESS_HOURS
) -> datetime:
    """Return `start` plus `hours` of real elapsed time (a clock change does not stretch it), in `hours_def`'s zone."""
    _check_aware(start, "Start")
    return (start.astimezone(UTC) + _duration(hours, "Hours to add")).astimezone(hours_def.timezone)


def add_hours(
    start: datetime,
    hours: float | timedelta,
    departement: str,
    reading: str,
    hours_def: BusinessHours = DEFAULT_BUSINESS_HOURS,
) -> datetime:
    """Return `start` plus `hours` counted as `reading` says: "calendar" counts every hour, "business" only
    business hours in `departement`."""
    if check_reading(reading) == "calendar":
        validate_departement(departement)  # holidays do not count, but a wrong département is still an error
        return add_calendar_hours(start, hours, hours_def)
    return add_business_hours(start, hours, departement, hours_def)


def check_reading(reading: str) -> str:
    """Return `reading` when it is one of `READINGS`; raise ValueError naming them otherwise."""
    if reading not in READINGS:
        raise ValueError(f"Reading {reading!r} is not valid: expected one of {', '.join(READINGS)}")
    return reading


def replacement_deadline(
    noted_at: datetime,
    departement: str,
    reading: str,
    hours: float | timedelta = 72,
    hours_def: BusinessHours = DEFAULT_BUSINESS_HOURS,
) -> datetime:
    """Return when a failed device must be replaced (clause 4): `hours` after the failure was noted.

    `reading` is the ``calendar.replacement_hours`` setting: "calendar" counts every hour, "business" only
    business hours.
    """
    return add_hours(noted_at, hours, departement, reading, hours_def)
