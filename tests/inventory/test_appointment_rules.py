"""The appointment rules (inventory/appointment_rules.py) as tables of cases: busy time with travel buffers, the
technician's day, free slots, and the 48-business-hour late cancellation, over holidays, week-ends, the eve of a
holiday, Corsica, Alsace-Moselle and both clock changes of Europe/Paris."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inventory.appointment_rules import (
    ZONE,
    TechnicianProfile,
    Visit,
    WorkingHours,
    first_conflict,
    fit_problem,
    free_slots,
    overlap,
    parse_day_hours,
    read_cancellation,
    served_departement,
)


def paris(text: str) -> datetime:
    """A wall-clock time in Paris, "2026-06-08 09:00" (the first of two equal ones in October)."""
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


def visit(start: str, minutes: int, buffer: int = 0, ident: str = "") -> Visit:
    return Visit(paris(start), timedelta(minutes=minutes), timedelta(minutes=buffer), ident)


WEEK = WorkingHours.parse({day: "08:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")})


# -- busy time ------------------------------------------------------------------------------------

@pytest.mark.parametrize("first, second, expected", [
    (visit("2026-06-08 10:00", 60, 30), visit("2026-06-08 12:00", 60, 30), False),  # 11:30 end meets 11:30 start
    (visit("2026-06-08 10:00", 60, 30), visit("2026-06-08 11:59", 60, 30), True),   # one minute into the buffer
    (visit("2026-06-08 10:00", 60, 0), visit("2026-06-08 11:00", 60, 0), False),    # back to back, no travel
    (visit("2026-06-08 10:00", 60, 0), visit("2026-06-08 11:30", 60, 45), True),    # the second's travel reaches back
    (visit("2026-06-08 10:00", 60, 45), visit("2026-06-08 11:45", 60, 0), False),   # the first's travel ends at 11:45
    (visit("2026-06-08 10:00", 240), visit("2026-06-08 11:00", 30), True),          # inside
    (visit("2026-06-08 10:00", 60, 60), visit("2026-06-09 09:00", 60, 60), False),  # another day
])
def test_overlap_counts_each_visits_travel_buffer_on_both_sides(first, second, expected) -> None:
    assert overlap(first, second) is expected
    assert overlap(second, first) is expected


def test_the_first_conflict_is_the_earliest_and_a_visit_never_conflicts_with_itself() -> None:
    booked = [visit("2026-06-08 13:00", 60, 30, "b"), visit("2026-06-08 10:00", 60, 30, "a")]
    assert first_conflict(visit("2026-06-08 11:00", 120, 30), booked).ident == "a"
    assert first_conflict(visit("2026-06-08 10:00", 60, 30, "a"), booked[1:]) is None
    assert first_conflict(visit("2026-06-08 15:00", 60, 30), booked) is None


@pytest.mark.parametrize("start, minutes, end_utc", [
    ("2026-03-29 01:30", 90, "2026-03-29T02:00:00+00:00"),  # clocks go 02:00 -> 03:00: ends 04:00 Paris
    ("2026-10-25 01:30", 120, "2026-10-25T01:30:00+00:00"),  # clocks go 03:00 -> 02:00: ends 02:30 CET
    ("2026-06-08 10:00", 60, "2026-06-08T09:00:00+00:00"),
])
def test_a_visit_lasts_real_elapsed_time_across_a_clock_change(start, minutes, end_utc) -> None:
    ends = visit(start, minutes).end
    assert ends.astimezone(UTC) == datetime.fromisoformat(end_utc)
    assert ends.astimezone(UTC) - paris(start).astimezone(UTC) == timedelta(minutes=minutes)


# -- the technician's day -------------------------------------------------------------------------

@pytest.mark.parametrize("start, minutes, buffer, departement, why", [
    ("2026-06-08 08:30", 60, 30, "75", None),                    # 08:00-10:00 with travel
    ("2026-06-08 08:15", 60, 30, "75", "outside the technician's working hours 08:00-17:00"),
    ("2026-06-08 16:00", 30, 30, "75", None),                    # travel back ends at 17:00 exactly
    ("2026-06-08 16:01", 30, 30, "75", "outside"),
    ("2026-06-13 10:00", 60, 0, "75", "does not work on sat 2026-06-13"),  # week-end
    ("2026-05-14 10:00", 60, 0, "75", "public holiday in département 75"),  # Ascension
    ("2026-05-13 10:00", 60, 0, "75", None),                     # the eve of Ascension is a working day
    ("2026-04-03 10:00", 60, 0, "57", "public holiday in département 57"),  # Good Friday in Moselle
    ("2026-04-03 10:00", 60, 0, "67", "public holiday in département 67"),  # and in Alsace
    ("2026-04-03 10:00", 60, 0, "75", None),                     # not in Paris
    ("2026-04-03 10:00", 60, 0, "2A", None),                     # nor in Corsica
    ("2026-12-28 10:00", 60, 0, "68", None),
    ("2026-11-11 10:00", 60, 0, "2B", "public holiday in département 2B"),
])
def test_a_visit_fits_the_working_hours_of_a_day_that_is_no_holiday_of_the_site(start, minutes, buffer,
                                                                               departement, why) -> None:
    problem = fit_problem(visit(start, minutes, buffer), WEEK, departement)
    assert (problem is None) if why is None else (why in problem), problem


@pytest.mark.parametrize("start, minutes, fits", [
    ("2026-03-29 01:30", 90, True),   # across the spring change, inside a 00:00-24:00 Sunday
    ("2026-03-29 22:00", 120, True),  # up to midnight
    ("2026-03-29 22:30", 120, False),  # past midnight
    ("2026-10-25 23:00", 60, True),   # the 25-hour day ends at midnight too
])
def test_working_hours_of_a_day_with_a_clock_change(start, minutes, fits) -> None:
    sundays = WorkingHours.parse({"sun": "00:00-24:00"})
    assert (fit_problem(visit(start, minutes), sundays, "75") is None) is fits
    window = sundays.window(paris(start).date())
    hours = (window[1] - window[0]).total_seconds() / 3600 if window else None
    assert hours == {"03": 23, "10": 25}[start[5:7]]


@pytest.mark.parametrize("text", ["8:00-17:00", "17:00-08:00", "08:00-08:00", "08:00-24:30", "", "08:00"])
def test_working_hours_that_make_no_range_are_refused(text) -> None:
    with pytest.raises(ValueError):
        parse_day_hours(text)
    with pytest.raises(ValueError):
        WorkingHours.parse({"mon": text})


def test_week_days_are_named_as_the_calendar_settings_name_them() -> None:
    with pytest.raises(ValueError, match="not a week day"):
        WorkingHours.parse({"monday": "08:00-17:00"})


@pytest.mark.parametrize("code, expected", [("75", "75"), ("2a", "2A"), ("2B", "2B"), ("57", "57")])
def test_installations_cover_the_mainland_and_corsica(code, expected) -> None:
    assert served_departement(code) == expected


@pytest.mark.parametrize("code, why", [("971", "overseas"), ("974", "overseas"), ("20", "2A"), ("99", "not valid")])
def test_installations_refuse_overseas_and_unknown_departements(code, why) -> None:
    with pytest.raises(ValueError, match=why):
        served_departement(code)


# -- free slots -----------------------------------------------------------------------------------

def tech(ident: str, zones: set[str], hours: dict[str, str] | None = None, skills: set[str] = frozenset(),
         buffer: int = 30) -> TechnicianProfile:
    return TechnicianProfile(ident, f"Tech {ident}", WorkingHours.parse(hours or {"mon": "09:00-12:00"}),
                             frozenset(zones), frozenset(skills), {}, buffer)


def starts(slots) -> list[tuple[str, str]]:
    return [(slot.technician, f"{slot.start:%Y-%m-%d %H:%M}") for slot in slots]


MONDAY = paris("2026-06-08 00:00")


@pytest.mark.parametrize("case, departement, technicians, booked, skills, expected", [
    ("an empty morning", "75", [tech("a", {"75"})], {}, (),
     [("a", "2026-06-08 09:30"), ("a", "2026-06-08 10:00"), ("a", "2026-06-08 10:30")]),
    ("around a booked visit with both buffers", "75", [tech("a", {"75"})],
     {"a": [visit("2026-06-08 09:30", 15, 15, "x")]}, (), [("a", "2026-06-08 10:30")]),
    ("Corsica apart: 2B is not 2A", "2A", [tech("a", {"2B"}), tech("b", {"2A"}, buffer=0)], {}, (),
     [("b", "2026-06-08 09:00"), ("b", "2026-06-08 09:30"), ("b", "2026-06-08 10:00"), ("b", "2026-06-08 10:30"),
      ("b", "2026-06-08 11:00")]),
    ("skills", "75", [tech("a", {"75"}), tech("b", {"75"}, skills={"fibre"}, buffer=60)], {}, ("fibre",),
     [("b", "2026-06-08 10:00")]),
    ("nobody in the zone", "57", [tech("a", {"75"})], {}, (), []),
])
def test_free_slots(case, departement, technicians, booked, skills, expected) -> None:
    found = free_slots(departement, timedelta(minutes=60), MONDAY, 1, technicians, booked, skills)
    assert starts(found) == expected, case


def test_free_slots_skip_holidays_of_the_site_and_start_no_earlier_than_asked() -> None:
    technician = tech("a", {"57", "75"}, {"fri": "09:00-11:00", "mon": "09:00-11:00"}, buffer=0)
    thursday = paris("2026-04-02 00:00")  # Good Friday 3 April in Moselle, Easter Monday 6 April everywhere
    moselle = free_slots("57", timedelta(minutes=60), thursday, 6, [technician], {})
    paris_ = free_slots("75", timedelta(minutes=60), thursday, 6, [technician], {})
    assert {slot.start.date().isoformat() for slot in moselle} == set()
    assert {slot.start.date().isoformat() for slot in paris_} == {"2026-04-03"}
    later = free_slots("75", timedelta(minutes=60), paris("2026-04-03 09:40"), 1, [technician], {})
    assert starts(later) == [("a", "2026-04-03 09:45")]  # the next quarter hour


def test_free_slots_on_the_day_of_the_spring_clock_change() -> None:
    technician = tech("a", {"75"}, {"sun": "01:00-04:00"}, buffer=0)
    found = free_slots("75", timedelta(minutes=60), paris("2026-03-29 00:00"), 1, [technician], {})
    # 01:00 to 04:00 Paris is two real hours that day (02:00-03:00 does not exist): three one-hour starts.
    assert [slot.start.astimezone(UTC).strftime("%H:%M") for slot in found] == ["00:00", "00:30", "01:00"]
    assert all(slot.end.astimezone(UTC) - slot.start.astimezone(UTC) == timedelta(hours=1) for slot in found)


def test_free_slots_refuse_an_overseas_site() -> None:
    with pytest.raises(ValueError, match="overseas"):
        free_slots("974", timedelta(minutes=60), MONDAY, 1, [tech("a", {"75"})], {})


# -- late cancellation ----------------------------------------------------------------------------

@pytest.mark.parametrize("case, cancelled, start, departement, hours, late", [
    ("two days before", "2026-06-08 09:00", "2026-06-10 15:00", "75", 24, True),
    ("exactly 48 business hours: not late", "2026-06-08 09:00", "2026-06-15 12:00", "75", 48, False),
    ("one minute less", "2026-06-08 09:00", "2026-06-15 11:59", "75", 48 - 1 / 60, True),
    ("a week-end runs no business hour", "2026-06-12 09:00", "2026-06-16 18:00", "75", 27, True),
    ("a cancellation on Saturday counts from Monday", "2026-06-13 10:00", "2026-06-19 09:00", "75", 36, True),
    ("Ascension runs none either", "2026-05-11 09:00", "2026-05-18 12:00", "75", 39, True),
    ("the same week without a holiday", "2026-06-01 09:00", "2026-06-08 12:00", "75", 48, False),
    ("on the eve of 14 July", "2026-07-13 09:00", "2026-07-21 12:00", "75", 48, False),
    ("on the eve of 14 July, one hour less", "2026-07-13 10:00", "2026-07-21 12:00", "75", 47, True),
    ("Easter in Paris", "2026-03-31 09:00", "2026-04-08 12:00", "75", 48, False),
    ("Easter in Moselle: Good Friday too", "2026-03-31 09:00", "2026-04-08 12:00", "57", 39, True),
    ("Easter in Bas-Rhin", "2026-03-31 09:00", "2026-04-08 12:00", "67", 39, True),
    ("Easter in Haut-Rhin", "2026-03-31 09:00", "2026-04-08 12:00", "68", 39, True),
    ("Easter in Corse-du-Sud: metropolitan holidays", "2026-03-31 09:00", "2026-04-08 12:00", "2A", 48, False),
    ("Easter in Haute-Corse", "2026-03-31 09:00", "2026-04-08 12:00", "2B", 48, False),
    ("26 December in Moselle", "2025-12-22 09:00", "2025-12-30 12:00", "57", 39, True),
    ("26 December in Paris", "2025-12-22 09:00", "2025-12-30 12:00", "75", 48, False),
    ("across the spring clock change", "2026-03-23 09:00", "2026-03-30 12:00", "75", 48, False),
    ("across it, a minute less", "2026-03-23 09:00", "2026-03-30 11:59", "75", 48 - 1 / 60, True),
    ("across the autumn clock change", "2026-10-19 09:00", "2026-10-26 12:00", "75", 48, False),
    ("across it, a minute less", "2026-10-19 09:01", "2026-10-26 12:00", "75", 48 - 1 / 60, True),
    ("after the start", "2026-06-10 16:00", "2026-06-10 15:00", "75", -1, True),
    ("at night, counted from the next opening", "2026-06-07 23:00", "2026-06-12 18:00", "75", 45, True),
])
def test_a_customer_cancellation_is_late_under_48_business_hours(case, cancelled, start, departement, hours,
                                                               late) -> None:
    reading = read_cancellation(paris(cancelled), paris(start), departement, "customer")
    assert reading.business_hours_before == timedelta(hours=hours), case
    assert (reading.late, reading.charged) == (late, late), case


def test_the_provider_cancelling_late_is_never_charged() -> None:
    reading = read_cancellation(paris("2026-06-10 09:00"), paris("2026-06-10 15:00"), "75", "provider")
    assert (reading.late, reading.charged) == (True, False)


@pytest.mark.parametrize("cancelled, start, by, why", [
    (datetime(2026, 6, 8, 9), paris("2026-06-10 15:00"), "customer", "time zone"),
    (paris("2026-06-08 09:00"), paris("2026-06-10 15:00"), "someone", "customer"),
    (paris("2026-06-08 09:00"), paris("2026-06-10 15:00"), "customer", None),
])
def test_cancellation_inputs_are_checked(cancelled, start, by, why) -> None:
    if why is None:
        assert read_cancellation(cancelled, start, "2A", by).late is True
        with pytest.raises(ValueError, match="2A"):
            read_cancellation(cancelled, start, "20", by)
        return
    with pytest.raises(ValueError, match=why):
        read_cancellation(cancelled, start, "75", by)
