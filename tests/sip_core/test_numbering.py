"""The French numbering plan: every dialled form, every class, and each contract country's fixed lines."""

from __future__ import annotations

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType

from sip_core.numbering import (
    CONTRACT_COUNTRIES,
    COUNTRY_CODES,
    Classification,
    DestinationClass,
    classify,
    country_of,
)

D = DestinationClass


def of(dialled: str, extensions: frozenset[int] = frozenset()) -> Classification:
    return classify(dialled, included_countries=CONTRACT_COUNTRIES, extension_lengths=extensions)


@pytest.mark.parametrize("dialled, destination, e164", [
    ("0123456789", D.FIXED, "+33123456789"),
    ("01 23 45 67 89", D.FIXED, "+33123456789"),
    ("01.23.45.67.89", D.FIXED, "+33123456789"),
    ("01-23-45-67-89", D.FIXED, "+33123456789"),
    ("+33 1 23 45 67 89", D.FIXED, "+33123456789"),
    ("+33 (0)1 23 45 67 89", D.FIXED, "+33123456789"),
    ("0033123456789", D.FIXED, "+33123456789"),
    ("0033 0123456789", D.FIXED, "+33123456789"),
    ("0512345678", D.FIXED, "+33512345678"),
    ("0912345678", D.FIXED, "+33912345678"),
    ("0612345678", D.MOBILE, "+33612345678"),
    ("+33612345678", D.MOBILE, "+33612345678"),
    ("0033612345678", D.MOBILE, "+33612345678"),
    ("0712345678", D.MOBILE, "+33712345678"),
    ("0800123456", D.SPECIAL, "+33800123456"),
    ("0805123456", D.SPECIAL, "+33805123456"),
    ("0809123456", D.SPECIAL, "+33809123456"),
    ("0812345678", D.PREMIUM, "+33812345678"),
    ("0899123456", D.PREMIUM, "+33899123456"),
    ("+33899123456", D.PREMIUM, "+33899123456"),
])
def test_national_numbers(dialled, destination, e164):
    assert of(dialled) == Classification(destination, e164=e164, country="FR")


@pytest.mark.parametrize("dialled, destination, e164, territory", [
    ("0262123456", D.FIXED, "+262262123456", "RE"),
    ("0269601234", D.FIXED, "+262269601234", "YT"),
    ("0590123456", D.FIXED, "+590590123456", "GP"),
    ("0594123456", D.FIXED, "+594594123456", "GF"),
    ("0596123456", D.FIXED, "+596596123456", "MQ"),
    ("0639012345", D.MOBILE, "+262639012345", "YT"),
    ("0690123456", D.MOBILE, "+590690123456", "GP"),
    ("0692123456", D.MOBILE, "+262692123456", "RE"),
    ("0694123456", D.MOBILE, "+594694123456", "GF"),
    ("0696123456", D.MOBILE, "+596696123456", "MQ"),
    ("0709312345", D.MOBILE, "+594709312345", "GF"),
    ("0709362345", D.MOBILE, "+262709362345", "YT"),
    ("+262 692 12 34 56", D.MOBILE, "+262692123456", "RE"),
    ("00596596123456", D.FIXED, "+596596123456", "MQ"),
    ("+33692123456", D.MOBILE, "+262692123456", "RE"),
])
def test_overseas_departments_are_french_numbers_under_their_own_code(dialled, destination, e164, territory):
    assert of(dialled) == Classification(destination, e164=e164, country="FR", territory=territory)


@pytest.mark.parametrize("dialled, destination", [
    ("15", D.EMERGENCY), ("17", D.EMERGENCY), ("18", D.EMERGENCY), ("112", D.EMERGENCY), ("114", D.EMERGENCY),
    ("115", D.EMERGENCY), ("119", D.EMERGENCY), ("191", D.EMERGENCY), ("196", D.EMERGENCY),
    ("197", D.EMERGENCY), ("116000", D.EMERGENCY), ("116117", D.EMERGENCY), ("116 006", D.EMERGENCY),
    ("3949", D.SHORT), ("3631", D.SHORT), ("3646", D.SHORT), ("1014", D.SHORT), ("1023", D.SHORT),
    ("118712", D.PREMIUM), ("118218", D.PREMIUM),
    ("16", D.INVALID), ("113", D.INVALID), ("1234", D.INVALID), ("16330612345678", D.INVALID),
    ("39490", D.INVALID), ("1160000", D.INVALID),
])
def test_short_numbers(dialled, destination):
    assert of(dialled).destination_class is destination
    assert of(dialled).e164 is None


@pytest.mark.parametrize("dialled, lengths, destination", [
    ("42", frozenset({2}), D.INTERNAL),
    ("201", frozenset({3}), D.INTERNAL),
    ("2001", frozenset({3, 4}), D.INTERNAL),
    ("123456", frozenset({6}), D.INTERNAL),
    ("201", frozenset({4}), D.INVALID),
    ("15", frozenset({2}), D.EMERGENCY),
    ("17", frozenset({2}), D.EMERGENCY),
    ("112", frozenset({3}), D.EMERGENCY),
    ("116000", frozenset({6}), D.EMERGENCY),
    ("3949", frozenset({4}), D.INTERNAL),  # a four-digit extension plan hides the 3BPQ numbers
    ("3949", frozenset({3}), D.SHORT),
    ("0612345678", frozenset({4}), D.MOBILE),
])
def test_extensions_never_hide_emergency_numbers(dialled, lengths, destination):
    assert of(dialled, lengths).destination_class is destination


@pytest.mark.parametrize("lengths", [frozenset({1}), frozenset({7}), frozenset({4, 10})])
def test_extension_lengths_out_of_range_are_refused(lengths):
    with pytest.raises(ValueError, match="between 2 and 6"):
        of("42", lengths)


@pytest.mark.parametrize("dialled", [
    "", "+", "00", "0", "abc", "06123456ab", "061234567", "06123456789", "+33", "+3361234567",
    "+336123456789", "+33 0", "33612345678", "612345678", "+1234567890123456", "001234567890123456",
    "+0612345678", "000612345678", "++33612345678", "+33+612345678", "*31#0612345678", "06 12 34 56 7８",
    "+280123456", "+1 416 555", "+1 016 555 0123", "+49 12", "0" * 65, "sip:0612345678",
])
def test_invalid_numbers(dialled):
    assert of(dialled) == Classification(D.INVALID)


@pytest.mark.parametrize("dialled, destination, country", [
    ("+49 30 1234567", D.INTERNATIONAL_INCLUDED, "DE"),
    ("0049301234567", D.INTERNATIONAL_INCLUDED, "DE"),
    ("+49 151 12345678", D.INTERNATIONAL_OTHER, "DE"),
    ("+49 171 1234567", D.INTERNATIONAL_OTHER, "DE"),
    ("+49 900 1234567", D.INTERNATIONAL_OTHER, "DE"),
    ("+44 20 7946 0000", D.INTERNATIONAL_INCLUDED, "GB"),
    ("+44 7700 900000", D.INTERNATIONAL_OTHER, "GB"),
    ("+44 1481 123456", D.INTERNATIONAL_OTHER, "GG"),
    ("+44 1534 123456", D.INTERNATIONAL_OTHER, "JE"),
    ("+34 91 123 45 67", D.INTERNATIONAL_INCLUDED, "ES"),
    ("+34 612 345 678", D.INTERNATIONAL_OTHER, "ES"),
    ("+39 06 1234 5678", D.INTERNATIONAL_INCLUDED, "IT"),
    ("+39 312 345 6789", D.INTERNATIONAL_OTHER, "IT"),
    ("+32 2 123 45 67", D.INTERNATIONAL_INCLUDED, "BE"),
    ("+32 4 123 45 67", D.INTERNATIONAL_INCLUDED, "BE"),  # Liège: eight digits
    ("+32 470 12 34 56", D.INTERNATIONAL_OTHER, "BE"),
    ("+41 22 123 45 67", D.INTERNATIONAL_INCLUDED, "CH"),
    ("+41 79 123 45 67", D.INTERNATIONAL_OTHER, "CH"),
    ("+31 20 123 4567", D.INTERNATIONAL_INCLUDED, "NL"),
    ("+31 6 12345678", D.INTERNATIONAL_OTHER, "NL"),
    ("+351 21 123 4567", D.INTERNATIONAL_INCLUDED, "PT"),
    ("+351 912 345 678", D.INTERNATIONAL_OTHER, "PT"),
    ("+1 212 555 0123", D.INTERNATIONAL_INCLUDED, "US"),
    ("+1 416 555 0123", D.INTERNATIONAL_INCLUDED, "CA"),
    ("+1 514 555 0123", D.INTERNATIONAL_INCLUDED, "CA"),
    ("+1 800 555 0123", D.INTERNATIONAL_OTHER, "US"),
    ("+1 900 555 0123", D.INTERNATIONAL_OTHER, "US"),
    ("+1 876 555 0123", D.INTERNATIONAL_OTHER, "JM"),
    ("+1 809 555 0123", D.INTERNATIONAL_OTHER, "DO"),
    ("+1 284 555 0123", D.INTERNATIONAL_OTHER, "VG"),
    ("+377 93 12 34 56", D.INTERNATIONAL_INCLUDED, "MC"),
    ("+376 712 345", D.INTERNATIONAL_INCLUDED, "AD"),
    ("+7 495 123 45 67", D.INTERNATIONAL_OTHER, "RU"),
    ("+7 727 123 45 67", D.INTERNATIONAL_OTHER, "KZ"),
    ("+234 1 234 5678", D.INTERNATIONAL_OTHER, "NG"),
    ("+53 7 123 4567", D.INTERNATIONAL_OTHER, "CU"),
    ("+881 6 1234 5678", D.INTERNATIONAL_OTHER, None),
    ("+882 1234 5678", D.INTERNATIONAL_OTHER, None),
    ("+979 1234 5678", D.INTERNATIONAL_OTHER, None),
])
def test_international_numbers(dialled, destination, country):
    result = of(dialled)
    assert (result.destination_class, result.country) == (destination, country)
    assert result.e164 == "+" + "".join(c for c in dialled if c.isdigit()).removeprefix("00")


def test_included_countries_are_the_configuration_not_the_contract():
    assert classify("+49301234567", included_countries=frozenset({"CH"})).destination_class is D.INTERNATIONAL_OTHER
    assert classify("+41221234567", included_countries=frozenset({"CH"})).destination_class \
        is D.INTERNATIONAL_INCLUDED
    assert classify("0612345678", included_countries=frozenset()).destination_class is D.MOBILE


def test_the_contract_lists_44_countries():
    assert len(CONTRACT_COUNTRIES) == 44
    assert {"DE", "AD", "CA", "US", "HK", "TW", "MC", "PA"} <= CONTRACT_COUNTRIES and "FR" not in CONTRACT_COUNTRIES


def _example(region: str, kind: PhoneNumberType) -> str | None:
    number = phonenumbers.example_number_for_type(region, kind)
    return None if number is None else phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@pytest.mark.parametrize("region", sorted(CONTRACT_COUNTRIES - {"CL"}))  # Chile's example "fixed line" is a 600
def test_each_contract_country_s_fixed_lines_are_included(region):
    dialled = _example(region, PhoneNumberType.FIXED_LINE)
    assert of(dialled) == Classification(D.INTERNATIONAL_INCLUDED, e164=dialled, country=region)
    assert of("00" + dialled[1:]).destination_class is D.INTERNATIONAL_INCLUDED


def test_a_chilean_fixed_line_is_included():
    assert of("+56 2 2123 4567").destination_class is D.INTERNATIONAL_INCLUDED


# Where mobiles cannot be told from fixed lines by their number.
SAME_NUMBERING = {"US", "CA", "DK", "CL"}
NOT_FIXED_KINDS = (PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE, PhoneNumberType.PREMIUM_RATE,
                   PhoneNumberType.SHARED_COST, PhoneNumberType.PERSONAL_NUMBER, PhoneNumberType.PAGER)


@pytest.mark.parametrize("region, kind", [
    (region, kind) for region in sorted(CONTRACT_COUNTRIES) for kind in NOT_FIXED_KINDS
    if _example(region, kind) and not (region in SAME_NUMBERING and kind is PhoneNumberType.MOBILE)])
def test_contract_countries_mobile_and_premium_numbers_are_not_included(region, kind):
    assert of(_example(region, kind)).destination_class is D.INTERNATIONAL_OTHER


@pytest.mark.parametrize("code, regions", sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items()))
def test_the_country_code_table_is_complete(code, regions):
    assert COUNTRY_CODES[str(code)] == (regions[0] if regions[0] != "001" else "--")


@pytest.mark.parametrize("region", sorted(
    region for regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.values() for region in regions
    if region not in ("001", "FR", "RE", "YT", "GP", "GF", "MQ", "BL", "MF")))
def test_every_country_s_fixed_lines_are_found(region):
    dialled = _example(region, PhoneNumberType.FIXED_LINE) or _example(region, PhoneNumberType.MOBILE)
    if dialled is None:
        pytest.skip(f"no example number for {region}")
    assert country_of(dialled[1:]) == region
