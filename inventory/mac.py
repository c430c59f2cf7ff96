"""MAC addresses of phones: read them in the notations vendors print on labels and store one canonical form.

The canonical form is 12 lowercase hexadecimal digits without separators, e.g. ``001565aabbcc``.
"""

from __future__ import annotations

import re

_EXPECTED = "expected 12 hexadecimal digits such as 00:15:65:aa:bb:cc, 0015.65AA.BBCC or 001565AABBCC"

# One pattern per accepted notation; a value mixing separators or grouping matches none of them.
_NOTATIONS = (
    re.compile(r"[0-9a-f]{2}(?::[0-9a-f]{2}){5}", re.IGNORECASE),  # 00:15:65:aa:bb:cc
    re.compile(r"[0-9a-f]{2}(?:-[0-9a-f]{2}){5}", re.IGNORECASE),  # 00-15-65-AA-BB-CC
    re.compile(r"[0-9a-f]{4}(?:\.[0-9a-f]{4}){2}", re.IGNORECASE),  # 0015.65AA.BBCC
    re.compile(r"[0-9a-f]{12}", re.IGNORECASE),  # 001565AABBCC
)

_SEPARATORS = (":", "-", "")


def _shown(value: str) -> str:
    """Quote a user's value for a message, cut short so a pasted paragraph does not flood the log."""
    return repr(value if len(value) <= 40 else value[:40] + "...")


def normalize_mac(value: str) -> str:
    """Return the MAC address in `value` as 12 lowercase hex digits; raise ValueError if it is not a phone's MAC."""
    if not isinstance(value, str):
        raise ValueError(f"MAC address must be text, not {type(value).__name__}: {_EXPECTED}")
    text = value.strip()
    if not any(notation.fullmatch(text) for notation in _NOTATIONS):
        raise ValueError(f"MAC address {_shown(value)} is not valid: {_EXPECTED}")
    mac = re.sub(r"[:.\-]", "", text).lower()
    if mac == "000000000000":
        raise ValueError(f"MAC address {_shown(value)} is all zeros: expected the address printed on the phone")
    if int(mac[:2], 16) & 1:
        raise ValueError(
            f"MAC address {_shown(value)} is a multicast or broadcast address (lowest bit of the first byte set): "
            "expected the unicast address printed on the phone"
        )
    return mac


def format_mac(mac: str, separator: str = ":") -> str:
    """Return `mac` (any accepted notation) as lowercase pairs joined by `separator`, e.g. ``00:15:65:aa:bb:cc``."""
    if separator not in _SEPARATORS:
        raise ValueError(f"MAC separator {separator!r} is not supported: expected ':', '-' or ''")
    canonical = normalize_mac(mac)
    return separator.join(canonical[i : i + 2] for i in range(0, 12, 2))
