"""The devices the provider supplies: vendors, their models, what kind of device each is and how many lines it holds.

Data, not code: adding a model is one line here (and, for provisioning, its templates).
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("phone", "router", "adapter")


@dataclass(frozen=True)
class Model:
    """One supplied model: its kind and the number of SIP accounts it can carry."""

    vendor: str
    name: str
    kind: str
    max_lines: int


def _models(vendor: str, kind: str, lines_by_model: dict[str, int]) -> dict[str, Model]:
    return {name: Model(vendor, name, kind, n) for name, n in lines_by_model.items()}


VENDORS: dict[str, dict[str, Model]] = {
    "yealink": _models("yealink", "phone", {"T43U": 12, "T46U": 16, "T48U": 16, "T53W": 12, "T54W": 16, "T57W": 16}),
    "polycom": _models("polycom", "phone", {"VVX250": 4, "VVX350": 6, "VVX450": 12}),
    "cisco": _models("cisco", "phone", {"SPA504G": 4, "SPA525G2": 5, "CP-7841-3PCC": 4, "CP-8851-3PCC": 10}),
    "grandstream": {
        **_models("grandstream", "phone", {"GXP2160": 6, "GRP2614": 4, "GRP2616": 6}),
        **_models("grandstream", "adapter", {"HT802": 2}),
    },
    "snom": _models("snom", "phone", {"D315": 4, "D385": 12, "D735": 12, "D785": 12}),
    "fanvil": _models("fanvil", "phone", {"X4U": 12, "X5U": 16, "X6U": 20}),
    "openwrt": _models("openwrt", "router", {"GL-MT6000": 0, "Archer-C7": 0, "x86-64": 0}),
    "mikrotik": _models("mikrotik", "router", {"hEX-S": 0, "hAP-ax2": 0, "RB5009": 0}),
}


def find_model(vendor: str, model: str) -> Model:
    """The catalogue entry for a vendor and model (model names are matched case-insensitively)."""
    models = VENDORS.get(vendor)
    if models is None:
        raise ValueError(f"unknown vendor {vendor!r}: expected one of {', '.join(sorted(VENDORS))}")
    for name, entry in models.items():
        if name.lower() == model.lower():
            return entry
    raise ValueError(f"unknown {vendor} model {model!r}: expected one of {', '.join(models)}")
