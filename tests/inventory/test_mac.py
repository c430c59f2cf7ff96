"""MAC addresses are read in every vendor notation and anything that is not a phone's address is refused."""

import pytest

from inventory.mac import format_mac, normalize_mac

VALID = [
    ("00:15:65:aa:bb:cc", "001565aabbcc"),
    ("00:15:65:AA:BB:CC", "001565aabbcc"),
    ("00-15-65-AA-BB-CC", "001565aabbcc"),
    ("0015.65AA.BBCC", "001565aabbcc"),
    ("0015.65aa.bbcc", "001565aabbcc"),
    ("001565AABBCC", "001565aabbcc"),
    ("  00:04:f2:01:02:03 \n", "0004f2010203"),
    ("80:5E:C0:12:34:56", "805ec0123456"),
    ("02:00:00:00:00:01", "020000000001"),  # locally administered but unicast: allowed
]

INVALID = [
    ("00:15:zz", "expected 12 hexadecimal digits"),
    ("", "expected 12 hexadecimal digits"),
    ("   ", "expected 12 hexadecimal digits"),
    ("00:15:65:aa:bb", "is not valid"),
    ("00:15:65:aa:bb:cc:dd", "is not valid"),
    ("001565AABBC", "is not valid"),
    ("001565AABBCCD", "is not valid"),
    ("00:15:65:aa:bb:cg", "is not valid"),
    ("00:15:65-aa:bb:cc", "is not valid"),  # mixed separators
    ("0015:65aa:bbcc", "is not valid"),  # colon where a dot notation is expected
    ("00.15.65.aa.bb.cc", "is not valid"),  # dots between pairs
    ("001.565.AAB.BCC", "is not valid"),  # misplaced dots
    ("0:15:65:aa:bb:cc", "is not valid"),  # unpadded octet
    ("00 15 65 aa bb cc", "is not valid"),
    ("00:00:00:00:00:00", "all zeros"),
    ("000000000000", "all zeros"),
    ("01:00:5e:00:00:01", "multicast"),
    ("ff:ff:ff:ff:ff:ff", "multicast"),
    ("33:33:00:00:00:01", "multicast"),
]


@pytest.mark.parametrize(("value", "expected"), VALID)
def test_normalize_mac_accepts_vendor_notations(value, expected):
    assert normalize_mac(value) == expected


@pytest.mark.parametrize(("value", "fragment"), INVALID)
def test_normalize_mac_rejects_with_clear_message(value, fragment):
    with pytest.raises(ValueError, match=fragment):
        normalize_mac(value)


def test_rejection_names_the_value_and_the_expected_forms():
    with pytest.raises(ValueError) as caught:
        normalize_mac("00:15:zz")
    assert str(caught.value) == (
        "MAC address '00:15:zz' is not valid: expected 12 hexadecimal digits "
        "such as 00:15:65:aa:bb:cc, 0015.65AA.BBCC or 001565AABBCC"
    )


@pytest.mark.parametrize("value", [None, 1565, b"001565aabbcc"])
def test_normalize_mac_rejects_non_text(value):
    with pytest.raises(ValueError, match="must be text"):
        normalize_mac(value)


def test_long_input_is_cut_short_in_the_message():
    with pytest.raises(ValueError) as caught:
        normalize_mac("x" * 5000)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize(
    ("mac", "separator", "expected"),
    [
        ("001565aabbcc", ":", "00:15:65:aa:bb:cc"),
        ("001565aabbcc", "-", "00-15-65-aa-bb-cc"),
        ("001565aabbcc", "", "001565aabbcc"),
        ("0015.65AA.BBCC", ":", "00:15:65:aa:bb:cc"),
    ],
)
def test_format_mac(mac, separator, expected):
    assert format_mac(mac, separator) == expected


def test_format_mac_default_separator_is_colon():
    assert format_mac("001565aabbcc") == "00:15:65:aa:bb:cc"


@pytest.mark.parametrize(
    ("mac", "separator", "fragment"),
    [
        ("001565aabbcc", ".", "separator '.' is not supported"),
        ("001565aabbcc", "::", "separator '::' is not supported"),
        ("not a mac", ":", "is not valid"),
    ],
)
def test_format_mac_rejects(mac, separator, fragment):
    with pytest.raises(ValueError, match=fragment):
        format_mac(mac, separator)


@pytest.mark.parametrize("value", [mac for mac, _ in VALID])
def test_normalized_form_round_trips(value):
    canonical = normalize_mac(value)
    assert normalize_mac(format_mac(canonical)) == canonical
