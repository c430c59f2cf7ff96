"""French numbers are read as people write them and stored in E.164; short codes and foreign numbers are refused."""

import re

import pytest

from inventory.phone_numbers import number_kind, to_e164

VALID = [
    # The ways a metropolitan number is written.
    ("01 23 45 67 89", "+33123456789"),
    ("01.23.45.67.89", "+33123456789"),
    ("01-23-45-67-89", "+33123456789"),
    ("0123456789", "+33123456789"),
    ("+33 1 23 45 67 89", "+33123456789"),
    ("+33123456789", "+33123456789"),
    ("0033123456789", "+33123456789"),
    ("00 33 1 23 45 67 89", "+33123456789"),
    ("+33 (0)1 23 45 67 89", "+33123456789"),
    ("  01 23 45 67 89  ", "+33123456789"),
    ("04 78 12 34 56", "+33478123456"),
    ("06 12 34 56 78", "+33612345678"),
    ("07 81 23 45 67", "+33781234567"),
    ("0800 12 34 56", "+33800123456"),
    ("09 70 12 34 56", "+33970123456"),
    # Overseas départements written with the French national prefix get their own country code.
    ("0590 27 12 34", "+590590271234"),  # Guadeloupe
    ("0690 12 34 56", "+590690123456"),  # Guadeloupe mobile
    ("0596 61 12 34", "+596596611234"),  # Martinique
    ("0696 12 34 56", "+596696123456"),  # Martinique mobile
    ("0594 29 12 34", "+594594291234"),  # Guyane
    ("0694 20 12 34", "+594694201234"),  # Guyane mobile
    ("0262 21 12 34", "+262262211234"),  # La Réunion
    ("0692 12 34 56", "+262692123456"),  # La Réunion mobile
    ("0269 61 12 34", "+262269611234"),  # Mayotte
    ("0639 01 23 45", "+262639012345"),  # Mayotte mobile
    # ... also when someone wrote them behind +33.
    ("+33 590 27 12 34", "+590590271234"),
    ("0033 596 61 12 34", "+596596611234"),
    # Overseas numbers in international form.
    ("+590 590 27 12 34", "+590590271234"),
    ("+596 596 61 12 34", "+596596611234"),
    ("+262 262 21 12 34", "+262262211234"),
    ("+262 269 61 12 34", "+262269611234"),
    ("+508 41 23 45", "+508412345"),  # Saint-Pierre-et-Miquelon
    ("+590 590 87 12 34", "+590590871234"),  # Saint-Barthélemy
]

INVALID = [
    ("", "is empty"),
    ("   ", "is empty"),
    ("15", "is a short code"),
    ("112", "is a short code"),
    ("17", "is a short code"),
    ("3949", "is a short code"),
    ("3615", "is a short code"),
    ("01 23 45 67", "is not valid"),
    ("01 23 45 67 89 0", "is not valid"),
    ("00 00 00 00 00", "is not valid"),
    ("+33 1 23 45 67", "is not valid"),
    ("0639 12 34 56", "not a valid number of an overseas département"),
    ("+44 20 7946 0958", "foreign number (region GB)"),
    ("+377 93 12 34 56", "foreign number (region MC)"),
    ("+1 212 555 0123", "foreign number (region US)"),
    ("0800 FLOWERS", "contains characters other than digits"),
    ("01 23 45 67 89 ext. 12", "contains characters other than digits"),
    ("01 23 45 67 89;ext=12", "contains characters other than digits"),
    ("+", "is not valid"),
]


@pytest.mark.parametrize(("value", "expected"), VALID)
def test_to_e164_accepts_french_numbers(value, expected):
    assert to_e164(value) == expected


@pytest.mark.parametrize(("value", "fragment"), INVALID)
def test_to_e164_rejects_with_clear_message(value, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        to_e164(value)


def test_rejection_says_what_is_expected():
    with pytest.raises(ValueError) as caught:
        to_e164("15")
    assert "'15'" in str(caught.value)
    assert "expected a French number such as 01 23 45 67 89" in str(caught.value)


@pytest.mark.parametrize("value", [None, 123456789, b"0123456789"])
def test_to_e164_rejects_non_text(value):
    with pytest.raises(ValueError, match="must be text"):
        to_e164(value)


@pytest.mark.parametrize("value", [e164 for _, e164 in VALID])
def test_to_e164_is_idempotent(value):
    assert to_e164(value) == value


KINDS = [
    ("+33123456789", "fixed"),
    ("+33234567890", "fixed"),
    ("+33345678901", "fixed"),
    ("+33478123456", "fixed"),
    ("+33556123456", "fixed"),
    ("+33612345678", "mobile"),
    ("+33781234567", "mobile"),
    ("+33800123456", "special"),
    ("+33890123456", "special"),
    ("+33970123456", "voip"),
    ("+590590271234", "fixed"),
    ("+590690123456", "mobile"),
    ("+596596611234", "fixed"),
    ("+262262211234", "fixed"),
    ("+262692123456", "mobile"),
    ("+262639012345", "mobile"),
    ("+594694201234", "mobile"),
    ("+508412345", "fixed"),
    ("+508551234", "mobile"),
]


@pytest.mark.parametrize(("e164", "kind"), KINDS)
def test_number_kind(e164, kind):
    assert number_kind(e164) == kind


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("01 23 45 67 89", "is not in E.164 form"),
        ("0123456789", "is not in E.164 form"),
        ("+33 1 23 45 67 89", "is not in E.164 form"),
        ("", "is not in E.164 form"),
        (None, "is not in E.164 form"),
        ("+3315", "is not in E.164 form"),
        ("+33112", "is not in E.164 form"),
        ("+331123", "is not a valid number of France"),
        ("+442079460958", "is not a valid number of France"),
        ("+37793123456", "is not a valid number of France"),
        ("+33123456", "is not a valid number of France"),
    ],
)
def test_number_kind_rejects(value, fragment):
    with pytest.raises(ValueError, match=fragment):
        number_kind(value)
