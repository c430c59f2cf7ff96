"""Public holidays follow the site's département, and business days and hours give the contract's deadlines."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.business_calendar import (
    DEFAULT_BUSINESS_HOURS,
    HOLIDAY_SUBDIVISIONS,
    BusinessHours,
    add_business_hours,
    add_calendar_hours,
    business_hours_between,
    holidays_of,
    is_business_day,
    is_holiday,
    next_business_day,
    replacement_deadline,
    return_due_date,
)
from inventory.departements import ALSACE_MOSELLE, DEPARTEMENTS

PARIS = ZoneInfo("Europe/Paris")
H = timedelta(hours=1)


def at(year, month, day, hour=0, minute=0):
    """A wall-clock time in Paris."""
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


# --- holidays ------------------------------------------------------------------------------------------

# Every public holiday of metropolitan France, 2025-2027 (Easter: 2025-04-20, 2026-04-05, 2027-03-28).
NATIONAL_HOLIDAYS = [
    (date(year, month, day), name)
    for year in (2025, 2026, 2027)
    for (month, day), name in [
        ((1, 1), "Jour de l'an"),
        ((5, 1), "Fête du Travail"),
        ((5, 8), "Fête de la Victoire"),
        ((7, 14), "Fête nationale"),
        ((8, 15), "Assomption"),
        ((11, 1), "Toussaint"),
        ((11, 11), "Armistice"),
        ((12, 25), "Noël"),
    ]
] + [
    (date(2025, 4, 21), "Lundi de Pâques"),
    (date(2025, 5, 29), "Ascension"),
    (date(2025, 6, 9), "Lundi de Pentecôte"),
    (date(2026, 4, 6), "Lundi de Pâques"),
    (date(2026, 5, 14), "Ascension"),
    (date(2026, 5, 25), "Lundi de Pentecôte"),
    (date(2027, 3, 29), "Lundi de Pâques"),
    (date(2027, 5, 6), "Ascension"),
    (date(2027, 5, 17), "Lundi de Pentecôte"),
]

SAMPLE_DEPARTEMENTS = ["75", "01", "2A", "2B", "54", "57", "67", "68", "971", "972", "973", "974", "975", "976"]


@pytest.mark.parametrize(("day", "name"), NATIONAL_HOLIDAYS, ids=str)
def test_national_holidays_everywhere(day, name):
    for departement in SAMPLE_DEPARTEMENTS:
        assert is_holiday(day, departement), departement
        assert not is_business_day(day, departement), departement
        assert holidays_of(departement, day.year)[day] == name, departement


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_metropolitan_year_has_exactly_the_eleven_holidays(year):
    expected = {day for day, _ in NATIONAL_HOLIDAYS if day.year == year}
    assert set(holidays_of("75", year)) == expected
    assert list(holidays_of("75", year)) == sorted(expected)


# Good Friday (Vendredi saint) and 26 December (Saint-Étienne) of Alsace-Moselle local law.
ALSACE_MOSELLE_DAYS = [date(2025, 4, 18), date(2025, 12, 26), date(2026, 4, 3), date(2026, 12, 26),
                       date(2027, 3, 26), date(2027, 12, 26)]  # fmt: skip


@pytest.mark.parametrize(
    ("departement", "expected"),
    [
        ("57", True),
        ("67", True),
        ("68", True),
        ("75", False),
        ("2A", False),
        ("2B", False),
        ("54", False),  # Meurthe-et-Moselle, next door but not Moselle
        ("51", False),  # Marne, also in the Grand Est region
        ("88", False),  # Vosges
        ("90", False),  # Territoire de Belfort, once part of Alsace
    ],
)
def test_good_friday_and_saint_stephen_only_in_alsace_moselle(departement, expected):
    for day in ALSACE_MOSELLE_DAYS:
        assert is_holiday(day, departement) is expected, day


def test_alsace_moselle_is_exactly_the_three_departements():
    good_friday = date(2026, 4, 3)
    assert {code for code in DEPARTEMENTS if code < "97" and is_holiday(good_friday, code)} == ALSACE_MOSELLE


# The abolition of slavery, one date per overseas département (décret n° 83-1003).
@pytest.mark.parametrize(
    ("departement", "day"),
    [
        ("971", date(2026, 5, 27)),  # Guadeloupe
        ("972", date(2026, 5, 22)),  # Martinique
        ("973", date(2026, 6, 10)),  # Guyane
        ("974", date(2026, 12, 20)),  # La Réunion
        ("976", date(2026, 4, 27)),  # Mayotte
    ],
)
def test_overseas_abolition_of_slavery(departement, day):
    assert holidays_of(departement, day.year)[day] == "Abolition de l'esclavage"
    assert not is_business_day(day, departement)
    assert not is_holiday(day, "75")
    others = [code for code in ("971", "972", "973", "974", "976") if code != departement]
    assert not any(is_holiday(day, code) for code in others)


@pytest.mark.parametrize("departement", ["2A", "2B", "975", "01", "13", "54", "59", "95"])
def test_departements_without_a_subdivision_have_the_metropolitan_holidays(departement):
    for year in (2025, 2026, 2027):
        assert holidays_of(departement, year) == holidays_of("75", year)


def test_subdivision_table_covers_known_departements_only():
    assert set(HOLIDAY_SUBDIVISIONS) <= set(DEPARTEMENTS)
    assert ALSACE_MOSELLE <= set(HOLIDAY_SUBDIVISIONS)


def test_departement_codes_are_read_like_everywhere_else():
    assert is_holiday(date(2026, 4, 3), " 57 ")
    assert holidays_of("2a", 2026) == holidays_of("2A", 2026)


def test_holidays_of_returns_a_copy():
    table = holidays_of("75", 2026)
    table.clear()
    assert holidays_of("75", 2026)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: holidays_of("20", 2026), "no longer used"),
        (lambda: holidays_of("99", 2026), "is not valid"),
        (lambda: is_holiday(date(2026, 1, 1), "Paris"), "is not valid"),
        (lambda: holidays_of("75", "2026"), "Year '2026' is not valid"),
        (lambda: is_holiday(datetime(2026, 1, 1, 12), "75"), "not a datetime"),
        (lambda: is_business_day("2026-01-02", "75"), "expected a datetime.date"),
        (lambda: return_due_date(None, "75"), "Contract end None"),
        (lambda: next_business_day(date(2026, 1, 1), "2C"), "is not valid"),
    ],
)
def test_wrong_days_and_departements_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- business days and return due dates (clause 3.6) --------------------------------------------------

RETURN_DUE_DATES = [
    # (contract ends, département, due back on, why)
    (date(2026, 6, 5), "75", date(2026, 6, 8), "Friday -> Monday"),
    (date(2026, 6, 6), "75", date(2026, 6, 8), "Saturday -> Monday"),
    (date(2026, 6, 7), "75", date(2026, 6, 8), "Sunday -> Monday"),
    (date(2026, 6, 8), "75", date(2026, 6, 9), "Monday -> Tuesday: strictly after"),
    (date(2026, 4, 3), "75", date(2026, 4, 7), "Friday before Easter Monday -> Tuesday"),
    (date(2026, 5, 22), "75", date(2026, 5, 26), "Friday before Whit Monday -> Tuesday"),
    (date(2025, 6, 6), "2B", date(2025, 6, 10), "Friday before Whit Monday, Corsica -> Tuesday"),
    (date(2026, 5, 13), "75", date(2026, 5, 15), "eve of Ascension -> Friday"),
    (date(2026, 4, 30), "75", date(2026, 5, 4), "eve of 1 May (a Friday) -> Monday"),
    (date(2026, 5, 7), "75", date(2026, 5, 11), "eve of 8 May (a Friday) -> Monday"),
    (date(2026, 7, 13), "75", date(2026, 7, 15), "eve of 14 July -> 15 July"),
    (date(2026, 7, 13), "57", date(2026, 7, 15), "eve of 14 July in Moselle -> 15 July"),
    (date(2027, 8, 13), "75", date(2027, 8, 16), "Friday before 15 August (a Sunday) -> Monday 16"),
    (date(2026, 8, 14), "75", date(2026, 8, 17), "eve of 15 August (a Saturday) -> Monday"),
    (date(2026, 10, 30), "75", date(2026, 11, 2), "Friday before 1 November (a Sunday) -> Monday"),
    (date(2025, 10, 31), "75", date(2025, 11, 3), "eve of 1 November (a Saturday) -> Monday"),
    (date(2026, 11, 10), "75", date(2026, 11, 12), "eve of 11 November -> Thursday"),
    (date(2026, 12, 24), "75", date(2026, 12, 28), "Christmas Eve, 26 a Saturday -> Monday"),
    (date(2026, 12, 24), "57", date(2026, 12, 28), "Christmas Eve in Moselle, 26 a Saturday -> Monday"),
    (date(2025, 12, 24), "75", date(2025, 12, 26), "Christmas Eve 2025 in Paris -> Friday 26"),
    (date(2025, 12, 24), "57", date(2025, 12, 29), "Christmas Eve 2025 in Moselle: 26 a holiday -> Monday 29"),
    (date(2025, 12, 24), "67", date(2025, 12, 29), "Christmas Eve 2025 in Bas-Rhin -> Monday 29"),
    (date(2026, 4, 2), "75", date(2026, 4, 3), "Thursday before Good Friday in Paris -> Friday"),
    (date(2026, 4, 2), "57", date(2026, 4, 7), "Thursday before Good Friday in Moselle -> Tuesday"),
    (date(2026, 4, 2), "67", date(2026, 4, 7), "same in Bas-Rhin"),
    (date(2026, 4, 2), "68", date(2026, 4, 7), "same in Haut-Rhin"),
    (date(2026, 4, 2), "2A", date(2026, 4, 3), "Corsica is metropolitan -> Friday"),
    (date(2026, 12, 31), "75", date(2027, 1, 4), "New Year's Eve, 1 January a Friday -> Monday"),
    (date(2026, 5, 26), "75", date(2026, 5, 27), "Paris on 27 May -> Wednesday"),
    (date(2026, 5, 26), "971", date(2026, 5, 28), "Guadeloupe, 27 May abolition -> Thursday"),
    (date(2027, 12, 17), "974", date(2027, 12, 21), "Réunion, Monday 20 December abolition -> Tuesday"),
    (date(2027, 12, 17), "75", date(2027, 12, 20), "Paris, same Friday -> Monday"),
]


@pytest.mark.parametrize(("ended", "departement", "due", "why"), RETURN_DUE_DATES, ids=[c[3] for c in RETURN_DUE_DATES])
def test_return_due_date(ended, departement, due, why):
    assert return_due_date(ended, departement) == due
    assert is_business_day(due, departement)


@pytest.mark.parametrize(
    ("day", "departement", "expected"),
    [
        (date(2026, 6, 8), "75", True),  # Monday
        (date(2026, 6, 12), "75", True),  # Friday
        (date(2026, 6, 13), "75", False),  # Saturday
        (date(2026, 6, 14), "75", False),  # Sunday
        (date(2026, 5, 25), "75", False),  # Whit Monday counts as a holiday
        (date(2026, 4, 3), "75", True),  # Good Friday outside Alsace-Moselle
        (date(2026, 4, 3), "57", False),
        (date(2025, 12, 26), "68", False),
        (date(2025, 12, 26), "69", True),
    ],
)
def test_is_business_day(day, departement, expected):
    assert is_business_day(day, departement) is expected


# --- business hours -----------------------------------------------------------------------------------

ADD_BUSINESS_HOURS = [
    # (start, hours, département, expected, why)
    (at(2026, 6, 8, 10), 2, "75", at(2026, 6, 8, 12), "within one day"),
    (at(2026, 6, 8, 9), 9, "75", at(2026, 6, 8, 18), "a whole day ends at closing, not next opening"),
    (at(2026, 6, 8, 9), timedelta(hours=9, minutes=1), "75", at(2026, 6, 9, 9, 1), "one minute more"),
    (at(2026, 6, 8, 17), 1.5, "75", at(2026, 6, 9, 9, 30), "overnight, fractional hours"),
    (at(2026, 6, 5, 17), 2, "75", at(2026, 6, 8, 10), "across a weekend"),
    (at(2026, 6, 6, 10), 2, "75", at(2026, 6, 8, 11), "from a Saturday: counting starts Monday 09:00"),
    (at(2026, 6, 8, 7), 2, "75", at(2026, 6, 8, 11), "before opening"),
    (at(2026, 6, 8, 20), 2, "75", at(2026, 6, 9, 11), "after closing"),
    (at(2026, 5, 13, 17), 2, "75", at(2026, 5, 15, 10), "across Ascension"),
    (at(2026, 5, 22, 17), 2, "75", at(2026, 5, 26, 10), "across a weekend and Whit Monday"),
    (at(2026, 4, 2, 17), 2, "75", at(2026, 4, 3, 10), "Good Friday is worked in Paris"),
    (at(2026, 4, 2, 17), 2, "57", at(2026, 4, 7, 10), "Good Friday and Easter Monday off in Moselle"),
    (at(2026, 3, 27, 17), 3, "75", at(2026, 3, 30, 11), "across the spring clock change (29 March)"),
    (at(2026, 10, 23, 17), 3, "75", at(2026, 10, 26, 11), "across the autumn clock change (25 October)"),
    (at(2026, 6, 8, 10), 0, "75", at(2026, 6, 8, 10), "zero hours inside hours"),
    (at(2026, 6, 6, 10), 0, "75", at(2026, 6, 6, 10), "zero hours outside hours: the start itself"),
    (at(2026, 6, 8, 10), 48, "75", at(2026, 6, 15, 13), "48 hours: five days and three hours"),
    (at(2026, 6, 5, 15), 72, "75", at(2026, 6, 17, 15), "72 hours: eight days"),
]


@pytest.mark.parametrize(
    ("start", "hours", "departement", "expected", "why"), ADD_BUSINESS_HOURS, ids=[c[4] for c in ADD_BUSINESS_HOURS]
)
def test_add_business_hours(start, hours, departement, expected, why):
    result = add_business_hours(start, hours, departement)
    assert result == expected
    assert result.tzinfo == PARIS
    assert result.utcoffset() == expected.utcoffset()


def test_clock_changes_give_the_local_offset():
    assert add_business_hours(at(2026, 3, 27, 17), 3, "75").utcoffset() == 2 * H  # CEST after the change
    assert add_business_hours(at(2026, 10, 23, 17), 3, "75").utcoffset() == H  # CET after the change


def test_start_in_another_zone_gives_a_result_in_the_business_zone():
    start = datetime(2026, 6, 8, 6, tzinfo=UTC)  # 08:00 in Paris
    result = add_business_hours(start, 1, "75")
    assert result == at(2026, 6, 8, 10)
    assert result.tzinfo == PARIS
    assert add_calendar_hours(start, 1).tzinfo == PARIS


BETWEEN = [
    # (start, end, département, expected, why)
    (at(2026, 6, 3, 17), at(2026, 6, 8, 10), "75", 20 * H, "Wednesday 17:00 to Monday 10:00"),
    (at(2026, 6, 5, 16), at(2026, 6, 15, 10), "75", 48 * H, "exactly 48 business hours"),
    (at(2026, 6, 5, 16, 1), at(2026, 6, 15, 10), "75", 48 * H - timedelta(minutes=1), "one minute short of 48"),
    (at(2026, 5, 20, 17), at(2026, 5, 26, 10), "75", 20 * H, "Whit Monday does not count"),
    (at(2026, 5, 20, 17), at(2026, 5, 26, 10), "57", 20 * H, "nor in Moselle"),
    (at(2026, 3, 31, 17), at(2026, 4, 7, 10), "75", 29 * H, "Good Friday counts in Paris"),
    (at(2026, 3, 31, 17), at(2026, 4, 7, 10), "57", 20 * H, "but not in Moselle"),
    (at(2026, 3, 27, 17), at(2026, 3, 30, 11), "75", 3 * H, "across the spring clock change"),
    (at(2026, 6, 6, 8), at(2026, 6, 7, 20), "75", timedelta(0), "a weekend has no business time"),
    (at(2026, 6, 8, 10), at(2026, 6, 8, 10), "75", timedelta(0), "same instant"),
    (at(2026, 6, 8, 12), at(2026, 6, 8, 10), "75", -2 * H, "end before start: negative"),
    (at(2026, 6, 8, 10), at(2026, 6, 3, 17), "75", -20 * H, "cancelled after the appointment"),
]


@pytest.mark.parametrize(("start", "end", "departement", "expected", "why"), BETWEEN, ids=[c[4] for c in BETWEEN])
def test_business_hours_between(start, end, departement, expected, why):
    assert business_hours_between(start, end, departement) == expected


@pytest.mark.parametrize(
    ("cancelled_at", "late"),
    [
        (at(2026, 6, 10, 17), True),  # the previous Wednesday 17:00: 20 business hours
        (at(2026, 6, 5, 16, 1), True),  # 47 h 59 min
        (at(2026, 6, 5, 16), False),  # exactly 48 h: not "less than 48"
        (at(2026, 6, 5, 15, 59), False),
        (at(2026, 6, 1, 9), False),  # two weeks earlier: 91 h
        (at(2026, 6, 15, 11), True),  # after the appointment
    ],
)
def test_forty_eight_hour_cancellation_reading(cancelled_at, late):
    appointment = at(2026, 6, 15, 10)  # a Monday
    assert (business_hours_between(cancelled_at, appointment, "75") < 48 * H) is late


# --- custom business hours ----------------------------------------------------------------------------

MORNINGS = BusinessHours.from_settings(
    business_days=["mon", "tue", "wed", "thu", "fri", "sat"], business_hours_start="08:00", business_hours_end="12:00"
)


@pytest.mark.parametrize(
    ("start", "hours", "expected", "why"),
    [
        (at(2026, 6, 5, 11), 6, at(2026, 6, 8, 9), "Friday 1 h, Saturday 4 h, Monday 1 h"),
        (at(2026, 6, 5, 14), 1, at(2026, 6, 6, 9), "Friday afternoon is closed: Saturday 08:00 + 1 h"),
        (at(2026, 8, 14, 11), 2, at(2026, 8, 17, 9), "Saturday 15 August is a holiday"),
        (at(2026, 6, 6, 11), 1, at(2026, 6, 6, 12), "Saturday until noon: ends at closing"),
        (at(2026, 6, 6, 11, 30), 1, at(2026, 6, 8, 8, 30), "Saturday until noon only, then Monday"),
    ],
)
def test_custom_business_hours(start, hours, expected, why):
    assert add_business_hours(start, hours, "75", MORNINGS) == expected
    assert business_hours_between(start, expected, "75", MORNINGS) == hours * H


def test_custom_business_days():
    assert is_business_day(date(2026, 6, 6), "75", MORNINGS)
    assert not is_business_day(date(2026, 6, 7), "75", MORNINGS)
    assert next_business_day(date(2026, 6, 5), "75", MORNINGS) == date(2026, 6, 6)
    assert next_business_day(date(2026, 8, 14), "75", MORNINGS) == date(2026, 8, 17)
    assert return_due_date(date(2026, 6, 5), "75", MORNINGS) == date(2026, 6, 6)


# Business time is real elapsed time between wall-clock edges: a window over a clock change is shorter or longer.
NIGHTS = BusinessHours.from_settings(
    business_days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    business_hours_start="01:00",
    business_hours_end="04:00",
)


@pytest.mark.parametrize(
    ("day", "expected"),
    [(date(2026, 3, 28), 3 * H), (date(2026, 3, 29), 2 * H), (date(2026, 10, 25), 4 * H)],
)
def test_windows_over_a_clock_change_count_real_hours(day, expected):
    start = datetime.combine(day, time(0), tzinfo=PARIS)
    end = datetime.combine(day, time(6), tzinfo=PARIS)
    assert business_hours_between(start, end, "75", NIGHTS) == expected


def test_default_business_hours():
    assert DEFAULT_BUSINESS_HOURS == BusinessHours(frozenset(range(5)), time(9), time(18), PARIS)
    assert BusinessHours.from_settings(business_days=(" Mon", "TUE")).days == frozenset({0, 1})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"timezone": "Europe/Nowhere"}, "Time zone 'Europe/Nowhere' is not valid"),
        ({"business_days": ["monday"]}, "Business day 'monday' is not valid"),
        ({"business_days": []}, "Business days are empty"),
        ({"business_days": "mon"}, "expected a list"),
        ({"business_hours_start": "9h"}, "Time '9h' is not valid"),
        ({"business_hours_end": "24:00"}, "Time '24:00' is not valid"),
        ({"business_hours_start": "18:00", "business_hours_end": "09:00"}, "must be earlier"),
        ({"business_hours_start": "09:00", "business_hours_end": "09:00"}, "must be earlier"),
    ],
)
def test_wrong_settings_are_refused(values, message):
    with pytest.raises(ValueError, match=message):
        BusinessHours.from_settings(**values)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: add_business_hours(datetime(2026, 6, 8, 10), 1, "75"), "has no time zone"),
        (lambda: add_business_hours(date(2026, 6, 8), 1, "75"), "expected a timezone-aware datetime"),
        (lambda: add_business_hours(at(2026, 6, 8, 10), -1, "75"), "is negative"),
        (lambda: add_business_hours(at(2026, 6, 8, 10), float("nan"), "75"), "expected a number of hours"),
        (lambda: add_business_hours(at(2026, 6, 8, 10), "2", "75"), "expected a number of hours"),
        (lambda: add_business_hours(at(2026, 6, 8, 10), 1, "20"), "no longer used"),
        (lambda: business_hours_between(at(2026, 6, 8), datetime(2026, 6, 9), "75"), "End .* has no time zone"),
        (lambda: add_calendar_hours(datetime(2026, 6, 8), 1), "has no time zone"),
        (lambda: replacement_deadline(at(2026, 6, 8), "75", "weekly"), "expected one of calendar, business"),
        (lambda: replacement_deadline(at(2026, 6, 8), "99", "calendar"), "is not valid"),
    ],
)
def test_wrong_arguments_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- 72-hour replacement (clause 4) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("noted_at", "reading", "expected", "why"),
    [
        (at(2026, 6, 5, 15), "calendar", at(2026, 6, 8, 15), "calendar: three days later"),
        (at(2026, 3, 27, 12), "calendar", at(2026, 3, 30, 13), "calendar across the spring change: 72 real hours"),
        (at(2026, 10, 23, 12), "calendar", at(2026, 10, 26, 11), "calendar across the autumn change"),
        (at(2026, 6, 5, 15), "business", at(2026, 6, 17, 15), "business: eight business days"),
    ],
)
def test_replacement_deadline(noted_at, reading, expected, why):
    assert replacement_deadline(noted_at, "75", reading) == expected


def test_replacement_deadline_hours_can_be_changed():
    assert replacement_deadline(at(2026, 6, 8, 10), "75", "business", hours=4) == at(2026, 6, 8, 14)
    assert replacement_deadline(at(2026, 6, 8, 10), "75", "calendar", hours=timedelta(hours=4)) == at(2026, 6, 8, 14)


# --- properties ---------------------------------------------------------------------------------------

starts = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(PARIS))
amounts = st.integers(min_value=0, max_value=200 * 60).map(lambda minutes: timedelta(minutes=minutes))
departements = st.sampled_from(["75", "57", "2A", "971"])


@settings(max_examples=200, deadline=None)
@given(start=starts, amount=amounts, departement=departements)
def test_adding_then_measuring_gives_the_amount_back(start, amount, departement):
    end = add_business_hours(start, amount, departement)
    assert end >= start
    assert business_hours_between(start, end, departement) == amount
    assert business_hours_between(end, start, departement) == -amount


@settings(max_examples=100, deadline=None)
@given(start=starts, amount=amounts.filter(bool))
def test_the_result_is_the_earliest_such_instant(start, amount):
    end = add_business_hours(start, amount, "75")
    assert business_hours_between(start, end - timedelta(microseconds=1), "75") < amount
    local = end.astimezone(PARIS)
    assert is_business_day(local.date(), "75")
    assert time(9) < local.time() <= time(18)


@settings(max_examples=100, deadline=None)
@given(day=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)), departement=departements)
def test_next_business_day_skips_only_closed_days(day, departement):
    following = next_business_day(day, departement)
    assert following > day
    assert is_business_day(following, departement)
    gap = (following - day).days
    assert all(not is_business_day(day + timedelta(days=n), departement) for n in range(1, gap))


@settings(max_examples=100, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 3, 27), max_value=datetime(2026, 3, 31), timezones=st.just(PARIS))
    | st.datetimes(min_value=datetime(2026, 10, 23), max_value=datetime(2026, 10, 27), timezones=st.just(PARIS)),
    amount=st.integers(min_value=0, max_value=12 * 60).map(lambda minutes: timedelta(minutes=minutes)),
)
def test_adding_then_measuring_over_clock_changes(start, amount):
    end = add_business_hours(start, amount, "75", NIGHTS)
    assert business_hours_between(start, end, "75", NIGHTS) == amount
