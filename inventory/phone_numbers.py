"""French telephone numbers of customer lines: read them as people write them and store them in E.164.

Numbers of metropolitan France and of the overseas départements and collectivities that share the
French numbering plan are accepted; short codes (15, 112, 3949...) are not line numbers and are refused.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberFormat, PhoneNumberType, shortnumberinfo

ALLOWED_REGIONS = frozenset({"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF"})

# Regions tried, in order, for a number written with a French national prefix that belongs to an
# overseas département. GP before BL/MF: all three share +590, so the E.164 form is the same.
_OVERSEAS_ORDER = ("GP", "MQ", "GF", "RE", "YT", "BL", "MF")

# National prefixes that the French numbering plan routes to an overseas département (0590 Guadeloupe,
# 0596 Martinique, 0262 La Réunion, 0269 Mayotte, 0694 Guyane...). phonenumbers reads some of them as
# metropolitan numbers (+33 596...), which is not the number the carrier presents, so they are re-read
# in the overseas regions.
_OVERSEAS_PREFIXES = (
    "262", "263", "2689", "269", "590", "594", "596",
    "639", "690", "691", "692", "693", "694", "696", "697",
    "7090", "7091", "7092", "7093",
)  # fmt: skip

_WRITTEN = re.compile(r"[0-9+().\-/\s]+")
_E164 = re.compile(r"\+[1-9][0-9]{5,14}")

_EXPECTED = "expected a French number such as 01 23 45 67 89 or +33 1 23 45 67 89"

_KIND_BY_PREFIX = {
    "1": "fixed", "2": "fixed", "3": "fixed", "4": "fixed", "5": "fixed",
    "6": "mobile", "7": "mobile",
    "8": "special",
    "9": "voip",
}  # fmt: skip


def _shown(value: str) -> str:
    """Quote a user's value for a message, cut short so a pasted paragraph does not flood the log."""
    return repr(value if len(value) <= 40 else value[:40] + "...")


def _parse(text: str, region: str) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None


def _is_french_plan(number: PhoneNumber) -> bool:
    return phonenumbers.is_valid_number(number) and phonenumbers.region_code_for_number(number) in ALLOWED_REGIONS


def _overseas(national_significant: str) -> PhoneNumber | None:
    """Read a 9-digit French national number with an overseas prefix in its overseas region, if valid there."""
    for region in _OVERSEAS_ORDER:
        number = _parse("0" + national_significant, region)
        if number is not None and _is_french_plan(number):
            return number
    return None


def to_e164(value: str) -> str:
    """Return the French telephone number in `value` in E.164 form, e.g. ``+33123456789``; else raise ValueError."""
    if not isinstance(value, str):
        raise ValueError(f"Telephone number must be text, not {type(value).__name__}: {_EXPECTED}")
    text = value.strip()
    if not text:
        raise ValueError(f"Telephone number is empty: {_EXPECTED}")
    if not _WRITTEN.fullmatch(text):
        raise ValueError(
            f"Telephone number {_shown(value)} contains characters other than digits, spaces, "
            f"'+', '.', '-', '/' and parentheses: {_EXPECTED}"
        )
    number = _parse(text, "FR")
    if number is None:
        raise ValueError(f"Telephone number {_shown(value)} is not valid: {_EXPECTED}")
    if number.country_code == 33:
        national = phonenumbers.national_significant_number(number)
        if len(national) == 9 and national.startswith(_OVERSEAS_PREFIXES):
            overseas = _overseas(national)
            if overseas is None:
                raise ValueError(
                    f"Telephone number {_shown(value)} is not a valid number of an overseas département: {_EXPECTED}"
                )
            number = overseas
    if not phonenumbers.is_valid_number(number):
        if shortnumberinfo.is_valid_short_number_for_region(number, "FR"):
            raise ValueError(
                f"Telephone number {_shown(value)} is a short code (emergency or service number), "
                f"not a line number: {_EXPECTED}"
            )
        raise ValueError(f"Telephone number {_shown(value)} is not valid: {_EXPECTED}")
    region = phonenumbers.region_code_for_number(number)
    if region not in ALLOWED_REGIONS:
        raise ValueError(
            f"Telephone number {_shown(value)} is a foreign number (region {region}): "
            "expected a number of metropolitan France or of an overseas département"
        )
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def number_kind(e164: str) -> str:
    """Return "fixed", "mobile", "special" or "voip" for a French number in E.164 form, by its national prefix."""
    if not isinstance(e164, str) or not _E164.fullmatch(e164):
        shown = _shown(e164) if isinstance(e164, str) else type(e164).__name__
        raise ValueError(f"Telephone number {shown} is not in E.164 form: expected e.g. +33123456789")
    number = _parse(e164, "ZZ")
    if number is None or not _is_french_plan(number):
        raise ValueError(
            f"Telephone number {_shown(e164)} is not a valid number of France or of an overseas département"
        )
    national = phonenumbers.national_significant_number(number)
    if len(national) == 9:
        # 0 + national significant number is how the number is dialled in France: 01..05, 06/07, 08, 09.
        return _KIND_BY_PREFIX[national[0]]
    # Saint-Pierre-et-Miquelon keeps 6-digit numbers outside the French plan; ask the library instead.
    if phonenumbers.number_type(number) == PhoneNumberType.MOBILE:
        return "mobile"
    return "fixed"
