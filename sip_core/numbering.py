"""The French numbering plan: which class of destination a dialled number reaches.

Clause 7.1 of the contract defines the unlimited plans by prefix (national fixed 01-05 and 09, national mobiles
06 and 07, fixed lines of a list of countries), so every call is first classified here; what is allowed or
counted is decided elsewhere (`sip_core.fraud`, the configuration). Pure functions over strings, no I/O.

Decisions, so that nobody has to rediscover them:

* Accepted forms: a national number ``0XXXXXXXXX``, ``+`` or ``00`` followed by a country code, short
  numbers, and the customer's own extensions. Spaces, dots, dashes, slashes and parentheses are ignored, and
  ``+33 (0)1 ...`` is read as ``+33 1 ...``. A bare ``33612345678`` is INVALID: digits without ``+``, ``00``
  or a leading 0 are only short numbers or extensions (otherwise ``612345678`` would become Australia).
  Taking the user part out of a SIP URI (``;phone-context=...``, ``;user=phone``) is the caller's job.
* Overseas departments are French numbers: dialled 0262/0263/0269/0590/0594/0596 they are FIXED, dialled
  0639/069x/0709x they are MOBILE (the contract goes by prefix), with ``country="FR"``, the territory's ISO code
  in `territory`, and an E.164 form under the territory's own country code (+262, +590, +594, +596); dialled
  internationally (``+262 692 ...``) they are classified the same way. Overseas 09 numbers keep +33.
* SPECIAL is 080x (0800-0805 free, 0806-0809 charged as a normal call); PREMIUM is 081x-089x (the
  "numéros à valeur ajoutée" of ARCEP) and 118xyz directory enquiries.
* EMERGENCY is 15, 17, 18, 112, 114, 115, 119, 191, 196, 197 and the six-digit 116xyz EU numbers.
  SHORT is the four-digit 3BPQ numbers (their price depends on each number, so they are not PREMIUM) and the
  10XY operator service numbers. Carrier-selection prefixes (16XY + number) are INVALID.
* INTERNAL: a number whose length is one of the customer's extension lengths (2 to 6 digits); an emergency
  number never is, but an extension plan of four digits hides the 3BPQ numbers (customers choose the length).
* International: the full table of ITU country codes (longest prefix wins), with sub-prefixes for the codes
  shared by several countries (the NANP area codes of Canada and the Caribbean, Guernsey/Jersey/Man under +44,
  Kazakhstan under +7...). A number of an included country is INTERNATIONAL_INCLUDED only when it is not in
  that country's "not a fixed line" pattern (mobiles, free, shared-cost and premium ranges): a small best-effort
  table; US and Canadian mobiles cannot be told from fixed lines. Satellite and other global codes (+881...)
  have no country and are INTERNATIONAL_OTHER.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class DestinationClass(str, Enum):
    """What kind of line a dialled number reaches; the unit of the allow/block rules."""

    EMERGENCY = "emergency"
    SHORT = "short"
    FIXED = "fixed"
    MOBILE = "mobile"
    SPECIAL = "special"
    PREMIUM = "premium"
    INTERNATIONAL_INCLUDED = "international_included"
    INTERNATIONAL_OTHER = "international_other"
    INTERNAL = "internal"
    INVALID = "invalid"


@dataclass(frozen=True)
class Classification:
    """A dialled number's class, its E.164 form when it has one, and the country it reaches (ISO 3166 alpha-2)."""

    destination_class: DestinationClass
    e164: str | None = None
    country: str | None = None
    territory: str | None = None  # an overseas department's own ISO code (RE, YT, GP, GF, MQ)


#: The contract's "40 destinations internationales": the text says 40 but names these 44 countries.
CONTRACT_COUNTRIES: frozenset[str] = frozenset(
    "DE AD AR AU AT BE BR BG CA CL CN CY KR HR DK ES EE US FI GR HK HU IE IS IL IT JP MY MT MC NZ PA NL PE PL PT CZ GB "
    "SG SK SI SE CH TW".split())

#: Classes no rule may block.
ALWAYS_ALLOWED: frozenset[DestinationClass] = frozenset({DestinationClass.EMERGENCY})

EMERGENCY_NUMBERS: frozenset[str] = frozenset({"15", "17", "18", "112", "114", "115", "119", "191", "196", "197"})
_EU_HARMONISED = re.compile(r"116\d{3}")
_SHORT = re.compile(r"3\d{3}|10\d{2}")
_DIRECTORY_ENQUIRIES = re.compile(r"118\d{3}")
_NATIONAL = re.compile(r"0[1-9]\d{8}")
_SEPARATORS = re.compile(r"[\s.\-/()]")
#: Longest input read; anything longer is INVALID unread.
MAX_INPUT = 64
#: E.164 allows at most 15 digits after the +; fewer than 4 after the country code is no subscriber.
_MAX_E164_DIGITS, _MIN_SUBSCRIBER_DIGITS = 15, 4
EXTENSION_LENGTHS = range(2, 7)

#: Overseas departments' national prefixes (without the 0) -> territory; the country code follows the territory.
_OVERSEAS: dict[str, str] = {
    "262": "RE", "263": "RE", "2688": "RE", "692": "RE", "693": "RE", "7092": "RE",
    "269": "YT", "2689": "YT", "639": "YT", "70935": "YT", "70936": "YT", "70937": "YT",
    "590": "GP", "5987": "GP", "690": "GP", "691": "GP", "7090": "GP",
    "594": "GF", "5988": "GF", "694": "GF", "70930": "GF", "70931": "GF", "70932": "GF", "70933": "GF",
    "596": "MQ", "5989": "MQ", "696": "MQ", "697": "MQ", "7091": "MQ",
}
_TERRITORY_CODES = {"RE": "262", "YT": "262", "GP": "590", "GF": "594", "MQ": "596"}

# ITU-T E.164 country codes and the main country of each ("--": global services without a country).
_COUNTRY_CODE_TABLE = """
1 US  20 EG  211 SS  212 MA  213 DZ  216 TN  218 LY  220 GM  221 SN  222 MR  223 ML  224 GN  225 CI  226 BF
227 NE  228 TG  229 BJ  230 MU  231 LR  232 SL  233 GH  234 NG  235 TD  236 CF  237 CM  238 CV  239 ST  240 GQ
241 GA  242 CG  243 CD  244 AO  245 GW  246 IO  247 AC  248 SC  249 SD  250 RW  251 ET  252 SO  253 DJ  254 KE
255 TZ  256 UG  257 BI  258 MZ  260 ZM  261 MG  262 RE  263 ZW  264 NA  265 MW  266 LS  267 BW  268 SZ  269 KM
27 ZA  290 SH  291 ER  297 AW  298 FO  299 GL  30 GR  31 NL  32 BE  33 FR  34 ES  350 GI  351 PT  352 LU
353 IE  354 IS  355 AL  356 MT  357 CY  358 FI  359 BG  36 HU  370 LT  371 LV  372 EE  373 MD  374 AM  375 BY
376 AD  377 MC  378 SM  380 UA  381 RS  382 ME  383 XK  385 HR  386 SI  387 BA  389 MK  39 IT  40 RO  41 CH
420 CZ  421 SK  423 LI  43 AT  44 GB  45 DK  46 SE  47 NO  48 PL  49 DE  500 FK  501 BZ  502 GT  503 SV
504 HN  505 NI  506 CR  507 PA  508 PM  509 HT  51 PE  52 MX  53 CU  54 AR  55 BR  56 CL  57 CO  58 VE  590 GP
591 BO  592 GY  593 EC  594 GF  595 PY  596 MQ  597 SR  598 UY  599 CW  60 MY  61 AU  62 ID  63 PH  64 NZ
65 SG  66 TH  670 TL  672 NF  673 BN  674 NR  675 PG  676 TO  677 SB  678 VU  679 FJ  680 PW  681 WF  682 CK
683 NU  685 WS  686 KI  687 NC  688 TV  689 PF  690 TK  691 FM  692 MH  7 RU  800 --  808 --  81 JP  82 KR
84 VN  850 KP  852 HK  853 MO  855 KH  856 LA  86 CN  870 --  878 --  880 BD  881 --  882 --  883 --  886 TW
888 --  90 TR  91 IN  92 PK  93 AF  94 LK  95 MM  960 MV  961 LB  962 JO  963 SY  964 IQ  965 KW  966 SA
967 YE  968 OM  970 PS  971 AE  972 IL  973 BH  974 QA  975 BT  976 MN  977 NP  979 --  98 IR  992 TJ  993 TM
994 AZ  995 GE  996 KG  998 UZ
"""

# Country code + leading digits of countries sharing a code with another: NANP area codes of Canada (including
# its non-geographic 600 and 622) and of the Caribbean and Pacific members, and the smaller members elsewhere.
_SHARED_CODE_TABLE = """
CA 1204 1226 1236 1249 1250 1257 1263 1273 1289 1306 1343 1354 1365 1367 1368 1382 1403 1416 1418 1428 1431 1437
CA 1438 1450 1468 1474 1506 1514 1519 1548 1579 1581 1584 1587 1600 1604 1613 1622 1639 1647 1672 1683 1705
CA 1709 1742 1753 1778 1780 1782 1807 1819 1825 1867 1873 1879 1902 1905 1942
AG 1268  AI 1264  AS 1684  BB 1246  BM 1441  BS 1242  DM 1767  DO 1809 1829 1849  GD 1473  GU 1671  JM 1658 1876
KN 1869  KY 1345  LC 1758  MP 1670  MS 1664  PR 1787 1939  SX 1721  TC 1649  TT 1868  VC 1784  VG 1284  VI 1340
KZ 76 77  VA 3906698  GG 441481 447781 447839 447911  JE 441534 447509 447797 447829 447937  IM 441624
IM 447524 447624  SJ 4779  CX 6189164  CC 6189162  EH 2125288 2125289  YT 262269 262639  AX 35818  TA 2908
BQ 5993 5994 5997
"""

# Numbers of these countries that are not fixed lines (mobile, free, shared-cost, premium, personal), as a
# pattern over the national significant number. Best effort, for the contract's countries only.
_NOT_FIXED: dict[str, str] = {
    "AD": r"[1-69]\d+", "AR": r"9\d+|[68]\d+", "AT": r"6(?:50|6[04]|[7-9]\d)\d+|[89]\d+", "AU": r"[145]\d+",
    "BE": r"4[5-9]\d{7}|7[078]\d+|[89]0\d+", "BG": r"43\d{6}|(?:8[7-9]|9[89])\d{7}|[789]0\d+",
    "BR": r"\d\d9\d{8}|[3-589]00\d+", "CA": r"6(?:00|22)\d{7}", "CH": r"7[4-9]\d+|8[047]\d+|90\d+",
    "CL": r"9\d{8}|[68]00\d+", "CN": r"1[1-9]\d+|[48]00\d+", "CY": r"[5-9]\d+", "CZ": r"[6-9]\d+",
    "DE": r"1\d+|[3789]00\d+|32\d+", "DK": r"[89]0\d{6}", "EE": r"5\d+|[89]\d+|70\d+",
    "ES": r"[5-7]\d+|[89]0\d+", "FI": r"4\d+|50\d+|[3678]00\d+", "GB": r"[5-9]\d+", "GR": r"[5-9]\d+",
    "HK": r"[4-9]\d+", "HR": r"[6-9]\d+", "HU": r"(?:20|3[01]|50|70|[89]0)\d+", "IE": r"8[3-9]\d+|1[5-9]\d{8}|70\d+",
    "IL": r"[15]\d+", "IS": r"[6-9]\d+", "IT": r"[1-9]\d+", "JP": r"[2-9]0\d{8}|60\d+|120\d+|800\d+|570\d+|990\d+",
    "KR": r"1\d+|[568]0\d+", "MC": r"[346]\d+|90\d+", "MT": r"[5-9]\d+", "MY": r"1\d+", "NL": r"6\d+|8[0478]\d+|9\d+",
    "NZ": r"2\d+|[5789]0\d+", "PA": r"[68]\d+", "PE": r"9\d{8}|80\d+",
    "PL": r"(?:45|5[0137]|6[0469]|7[02389]|8[08])\d+", "PT": r"[6-9]\d+", "SE": r"7\d+|20\d+|9(?:00|39|44)\d+",
    "SG": r"[89]\d+|1\d+", "SI": r"(?:3[01]|4[01]|51|6\d|7[01])\d{6}|[89]0\d+", "SK": r"[6-9]\d+",
    "TW": r"9\d+|[28]0\d+", "US": r"(?:8(?:00|33|44|55|66|77|88)|900|5(?:00|2[1-9]|33|44|66|77|88))\d{7}",
}


def _parse_table(text: str) -> dict[str, str]:
    pairs = text.split()
    return {code: country for code, country in zip(pairs[::2], pairs[1::2], strict=True)}


def _parse_shared(text: str) -> dict[str, str]:
    table: dict[str, str] = {}
    country = ""
    for word in text.split():
        if word.isalpha():
            country = word
        else:
            table[word] = country
    return table


COUNTRY_CODES: dict[str, str] = _parse_table(_COUNTRY_CODE_TABLE)
_SHARED_CODES = _parse_shared(_SHARED_CODE_TABLE)
_NOT_FIXED_PATTERNS = {country: re.compile(pattern) for country, pattern in _NOT_FIXED.items()}
_NANP_NUMBER = re.compile(r"[2-9]\d{2}[2-9]\d{6}")


def _longest_prefix(table: dict[str, str], digits: str, longest: int) -> str | None:
    for length in range(min(longest, len(digits)), 0, -1):
        if digits[:length] in table:
            return digits[:length]
    return None


def country_code_of(digits: str) -> str | None:
    """The ITU country code that `digits` (an international number without its +) starts with, or None."""
    return _longest_prefix(COUNTRY_CODES, digits, 3)


def country_of(digits: str) -> str | None:
    """The ISO alpha-2 country an international number (without its +) reaches; None for global services."""
    code = country_code_of(digits)
    if code is None:
        return None
    shared = _longest_prefix(_SHARED_CODES, digits, 8)
    country = _SHARED_CODES[shared] if shared is not None else COUNTRY_CODES[code]
    return None if country == "--" else country


def classify(dialled: str, *, included_countries: frozenset[str],
             extension_lengths: frozenset[int] = frozenset()) -> Classification:
    """Classify what a phone dialled; `included_countries` are ISO codes whose fixed lines the plan includes."""
    if any(length not in EXTENSION_LENGTHS for length in extension_lengths):
        raise ValueError(f"extension lengths must be between 2 and 6 digits, got {sorted(extension_lengths)}")
    if not dialled or len(dialled) > MAX_INPUT:
        return Classification(DestinationClass.INVALID)
    number = _SEPARATORS.sub("", dialled)
    if number.startswith("+"):
        return _international(number[1:], included_countries)
    if not number.isascii() or not number.isdigit():
        return Classification(DestinationClass.INVALID)
    if number.startswith("00"):
        return _international(number[2:], included_countries)
    if number.startswith("0") and len(number) == 10:
        return _national(number[1:])
    return _short(number, extension_lengths)


def _short(number: str, extension_lengths: frozenset[int]) -> Classification:
    if number in EMERGENCY_NUMBERS or _EU_HARMONISED.fullmatch(number):
        return Classification(DestinationClass.EMERGENCY, country="FR")
    if len(number) in extension_lengths:
        return Classification(DestinationClass.INTERNAL)
    if _SHORT.fullmatch(number):
        return Classification(DestinationClass.SHORT, country="FR")
    if _DIRECTORY_ENQUIRIES.fullmatch(number):
        return Classification(DestinationClass.PREMIUM, country="FR")
    return Classification(DestinationClass.INVALID)


def _national(significant: str) -> Classification:
    """A French number given by its 9-digit national significant number (the digits after 0 or +33)."""
    if not _NATIONAL.fullmatch("0" + significant):
        return Classification(DestinationClass.INVALID)
    first, second = significant[0], significant[1]
    if first in "12345" or first == "9":
        destination = DestinationClass.FIXED
    elif first in "67":
        destination = DestinationClass.MOBILE
    elif second == "0":
        destination = DestinationClass.SPECIAL
    else:
        destination = DestinationClass.PREMIUM
    territory = None
    if destination in (DestinationClass.FIXED, DestinationClass.MOBILE) and first != "9":
        prefix = _longest_prefix(_OVERSEAS, significant, 5)
        territory = _OVERSEAS[prefix] if prefix is not None else None
    code = _TERRITORY_CODES[territory] if territory else "33"
    return Classification(destination, e164=f"+{code}{significant}", country="FR", territory=territory)


def _international(digits: str, included_countries: frozenset[str]) -> Classification:
    if not digits.isascii() or not digits.isdigit() or len(digits) > _MAX_E164_DIGITS:
        return Classification(DestinationClass.INVALID)
    code = country_code_of(digits)
    if code is None:
        return Classification(DestinationClass.INVALID)
    significant = digits[len(code):]
    if code == "33":
        if len(significant) == 10 and significant.startswith("0"):  # "+33 (0)1 ..."
            significant = significant[1:]
        return _national(significant) if len(significant) == 9 else Classification(DestinationClass.INVALID)
    if code in _TERRITORY_CODES.values() and len(significant) == 9:
        french = _national(significant)
        if french.territory and _TERRITORY_CODES[french.territory] == code:
            return french
    if len(significant) < _MIN_SUBSCRIBER_DIGITS or (code == "1" and not _NANP_NUMBER.fullmatch(significant)):
        return Classification(DestinationClass.INVALID)
    country = country_of(digits)
    not_fixed = _NOT_FIXED_PATTERNS.get(country or "")
    included = (country in included_countries and not (not_fixed and not_fixed.fullmatch(significant)))
    destination = DestinationClass.INTERNATIONAL_INCLUDED if included else DestinationClass.INTERNATIONAL_OTHER
    return Classification(destination, e164="+" + digits, country=country)
