"""The rules of installation appointments, as pure functions over plain values: when a technician is busy
(the visit plus the travel buffer on each side), whether a visit fits the technician's day, which slots are
free, and whether a customer's cancellation is late (the installation clause: "less than 48 business hours").

Every time is an aware datetime; working hours are wall-clock times in Europe/Paris (``ZONE``), durations are
real elapsed time, so a visit across a clock change lasts what it says. See docs/installations.rst.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from inventory.business_calendar import (
    DAY_NAMES,
    DEFAULT_BUSINESS_HOURS,
    BusinessHours,
    business_hours_between,
    is_holiday,
)
from inventory.departements import validate_departement, zone_for_departement
from inventory.refusals import Reason, because

ZONE = ZoneInfo("Europe/Paris")
#: Installation clause: a customer's cancellation with less business time than this before the visit is billed.
LATE_CANCELLATION = timedelta(hours=48)
#: The installation service covers metropolitan France and Corsica (contract, clause 3, last paragraph).
SERVED_ZONES = ("metropolitan", "corsica")
#: Free-slot suggestions start on multiples of this many minutes past the hour.
SLOT_MINUTES = 15
_RANGE = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])")


def check_aware(moment: datetime, what: str) -> datetime:
    """`moment` itself; ValueError when it is not a timezone-aware datetime."""
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{what} {moment!r} is not valid: expected a date and time with its time zone")
    return moment


def served_departement(code: str) -> str:
    """The canonical code of a département the installation service covers; ValueError for overseas ones."""
    canonical = validate_departement(code)
    if zone_for_departement(canonical) not in SERVED_ZONES:
        raise ValueError(f"Département {canonical} is overseas: installations cover metropolitan France and "
                         "Corsica only (2A, 2B and the mainland codes)")
    return canonical


# -- working hours --------------------------------------------------------------------------------


def parse_day_hours(text: str) -> tuple[time, time]:
    """One day's working hours from "HH:MM-HH:MM" (end up to 24:00); ValueError saying what is expected."""
    match = _RANGE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f'{text!r} is not a range of working hours: expected "HH:MM-HH:MM" such as "08:00-17:30"')
    start = time(int(match[1]), int(match[2]))
    end = time.max if (int(match[3]), int(match[4])) == (24, 0) else None
    if end is None:
        if int(match[3]) == 24:
            raise ValueError(f"{text!r}: 24:00 is the only time past 23:59")
        end = time(int(match[3]), int(match[4]))
    if start >= end:
        raise ValueError(f"{text!r}: the start must be earlier than the end")
    return start, end


@dataclass(frozen=True)
class WorkingHours:
    """A technician's working hours: weekday number (0 = Monday) to (start, end) wall-clock times."""

    days: Mapping[int, tuple[time, time]]

    @classmethod
    def parse(cls, given: Mapping[str, str]) -> WorkingHours:
        """From {"mon": "08:00-17:00", ...}; a day left out is not worked."""
        days = {}
        for name, text in given.items():
            if name not in DAY_NAMES:
                raise ValueError(f"{name!r} is not a week day: expected one of {', '.join(DAY_NAMES)}")
            days[DAY_NAMES.index(name)] = parse_day_hours(text)
        return cls(days)

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working window of one local day as UTC instants, or None when the day is not worked.

        UTC, because Python compares and subtracts two datetimes of the same zone by their wall clocks.
        """
        hours = self.days.get(day.weekday())
        if hours is None:
            return None
        opening = datetime.combine(day, hours[0], tzinfo=ZONE)
        closing = (datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZONE) if hours[1] == time.max
                   else datetime.combine(day, hours[1], tzinfo=ZONE))
        return opening.astimezone(UTC), closing.astimezone(UTC)


# -- busy time ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """A visit of a technician: when it starts, how long it lasts, and the travel buffer around it."""

    start: datetime
    duration: timedelta
    buffer: timedelta = timedelta(0)
    #: The appointment's id, to name it in a conflict ("" for a visit not booked yet).
    ident: str = ""

    def __post_init__(self) -> None:
        check_aware(self.start, "Start")
        if self.duration <= timedelta(0):
            raise ValueError(f"Duration {self.duration} is not valid: expected more than zero minutes")
        if self.buffer < timedelta(0):
            raise ValueError(f"Travel buffer {self.buffer} is not valid: expected zero or more minutes")

    @property
    def end(self) -> datetime:
        """When the visit ends: real elapsed time after its start (a clock change does not stretch it)."""
        return (self.start.astimezone(UTC) + self.duration).astimezone(ZONE)

    @property
    def occupied(self) -> tuple[datetime, datetime]:
        """The time the technician is taken: from `buffer` before the start to `buffer` after the end."""
        start = self.start.astimezone(UTC)
        return start - self.buffer, start + self.duration + self.buffer


def overlap(first: Visit, second: Visit) -> bool:
    """Whether two visits' occupied times overlap; one ending exactly when the other begins does not."""
    a_start, a_end = first.occupied
    b_start, b_end = second.occupied
    return a_start < b_end and b_start < a_end


def first_conflict(visit: Visit, booked: Iterable[Visit]) -> Visit | None:
    """The earliest booked visit (other than `visit` itself, by ident) whose occupied time overlaps `visit`'s."""
    clashes = [other for other in booked if (not visit.ident or other.ident != visit.ident) and overlap(visit, other)]
    return min(clashes, key=lambda other: (other.start.astimezone(UTC), other.ident)) if clashes else None


def fit_problem(visit: Visit, hours: WorkingHours, departement: str) -> str | None:
    """Why `visit` does not fit the technician's day at a site of `departement`, or None when it fits.

    The whole occupied time (travel included) must lie within the working hours of the visit's local day, and
    that day must not be a public holiday of the site's département.
    """
    reason = fit_reason(visit, hours, departement)
    return None if reason is None else str(reason)


def fit_reason(visit: Visit, hours: WorkingHours, departement: str) -> Reason | None:
    """`fit_problem` as a reason with its code and params (inventory/refusals.py), or None when it fits."""
    day = visit.start.astimezone(ZONE).date()
    if is_holiday(day, departement):
        canonical = validate_departement(departement)
        return because("holiday", f"{day.isoformat()} is a public holiday in département {canonical}", day=day,
                       departement=canonical)
    window = hours.window(day)
    if window is None:
        return because("day_off", f"the technician does not work on {DAY_NAMES[day.weekday()]} {day.isoformat()}",
                       weekday=day.weekday(), day=day)
    begin, finish = visit.occupied
    if begin < window[0] or finish > window[1]:
        opening, closing = (f"{moment.astimezone(ZONE):%H:%M}" for moment in window)
        begins, ends = (f"{moment.astimezone(ZONE):%H:%M}" for moment in (begin, finish))
        return because("outside_hours", f"from {begins} to {ends} with travel, outside the technician's working "
                                        f"hours {opening}-{closing} on {day.isoformat()}",
                       begins=begins, ends=ends, opening=opening, closing=closing, day=day)
    return None


# -- free slots -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TechnicianProfile:
    """What the slot search reads of a technician."""

    ident: str
    name: str
    hours: WorkingHours
    zones: frozenset[str]
    skills: frozenset[str] = frozenset()
    #: Travel buffer in minutes per département; `default_buffer` for a zone without one.
    buffers: Mapping[str, int] = field(default_factory=dict)
    default_buffer: int = 30

    def buffer_for(self, departement: str) -> timedelta:
        """The travel buffer around a visit in `departement`."""
        return timedelta(minutes=self.buffers.get(departement, self.default_buffer))

    def covers(self, departement: str, skills: Iterable[str] = ()) -> bool:
        """Whether the technician works in `departement` and has every skill asked for."""
        return departement in self.zones and set(skills) <= self.skills


@dataclass(frozen=True)
class Slot:
    """A free start for a visit: which technician, from when to when (the visit itself, without travel)."""

    technician: str
    name: str
    start: datetime
    end: datetime


def _aligned(moment: datetime) -> datetime:
    """`moment`, or the next start on a multiple of SLOT_MINUTES past the hour (Paris is whole hours from UTC)."""
    moment = moment.astimezone(UTC)
    extra = (moment.minute % SLOT_MINUTES) * 60 + moment.second + moment.microsecond / 1e6
    if not extra:
        return moment
    return moment.replace(second=0, microsecond=0) + timedelta(minutes=SLOT_MINUTES - moment.minute % SLOT_MINUTES)


def free_slots(departement: str, duration: timedelta, start_from: datetime, days: int,
               technicians: Sequence[TechnicianProfile], booked: Mapping[str, Sequence[Visit]],
               skills: Iterable[str] = (), step: timedelta = timedelta(minutes=30), limit: int = 50) -> list[Slot]:
    """Free starts for a visit of `duration` at a site of `departement`, from `start_from` over `days` local days.

    Only technicians covering the département with every skill asked for are tried; each start is `step` apart
    from the first one a working day allows, and fits the rules of `fit_problem` and `first_conflict`. Sorted by
    start then technician name, at most `limit`.
    """
    check_aware(start_from, "From")
    served_departement(departement)
    if step <= timedelta(0) or days < 1:
        raise ValueError("the step must be positive and the days at least one")
    wanted = set(skills)
    slots: list[Slot] = []
    first_day = start_from.astimezone(ZONE).date()
    for profile in technicians:
        if not profile.covers(departement, wanted):
            continue
        buffer = profile.buffer_for(departement)
        mine = booked.get(profile.ident, ())
        for offset in range(days):
            day = first_day + timedelta(days=offset)
            window = profile.hours.window(day)
            if window is None or is_holiday(day, departement):
                continue
            candidate = _aligned(max(window[0] + buffer, start_from.astimezone(UTC)))
            while candidate + duration + buffer <= window[1]:
                visit = Visit(candidate.astimezone(ZONE), duration, buffer)
                if fit_problem(visit, profile.hours, departement) is None and first_conflict(visit, mine) is None:
                    slots.append(Slot(profile.ident, profile.name, visit.start, visit.end))
                candidate += step
    slots.sort(key=lambda slot: (slot.start, slot.name, slot.technician))
    return slots[:limit]


# -- cancellation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CancellationReading:
    """How a cancellation reads under the installation clause."""

    business_hours_before: timedelta  # negative when cancelled after the start
    late: bool
    charged: bool


def read_cancellation(cancelled_at: datetime, start: datetime, departement: str, by: str,
                      hours_def: BusinessHours = DEFAULT_BUSINESS_HOURS) -> CancellationReading:
    """Whether a cancellation is late (less than 48 business hours before the start, exactly 48 is not) and
    charged (late, and asked for by the customer: the provider's own cancellations are never billed)."""
    if by not in ("customer", "provider"):
        raise ValueError(f"A cancellation is by 'customer' or 'provider', not {by!r}")
    check_aware(cancelled_at, "Cancelled at")
    check_aware(start, "Start")
    before = business_hours_between(cancelled_at, start, departement, hours_def)
    late = before < LATE_CANCELLATION
    return CancellationReading(before, late, late and by == "customer")
