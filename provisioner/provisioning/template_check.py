"""Checking a template override before it is saved: every file of its vendor must still render, for every model.

An override that breaks any of them is refused with the template and line of the first error, so a
device is never served a half-rendered file because of a bad edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inventory.catalogue import VENDORS as CATALOGUE
from inventory.errors import InvalidRecord
from inventory.firmware import PinnedFirmware
from inventory.template_overrides import TemplateOverride
from provisioner.provisioning.context import MASK, common_context, firmware_context, provider_context
from provisioner.provisioning.templates import RenderError, make_environment, render
from provisioner.settings import Settings
from provisioner.vendors import VENDORS

SAMPLE_MAC = "0c383e00aa01"
#: A pinned image, so that overrides are checked with and without firmware pinning.
SAMPLE_FIRMWARE = PinnedFirmware("1.0.0.1", "sample-firmware-1.0.0.1.bin", "0" * 64)


def sample_device_context(settings: Settings, vendor: str, model: str,
                          firmware: PinnedFirmware | None = None) -> dict[str, Any]:
    """A device context with as many lines as the model holds, made of sample values (`firmware` pinned, if given)."""
    entry = CATALOGUE[vendor][model]
    return {
        "device": {"mac": SAMPLE_MAC, "mac_upper": SAMPLE_MAC.upper(), "mac_colon": "0c:38:3e:00:aa:01",
                   "serial": "SAMPLE-0001", "vendor": vendor, "model": model, "kind": entry.kind,
                   "admin_password": MASK, "provisioning_username": SAMPLE_MAC, "provisioning_password": MASK,
                   "config_key": MASK},
        "lines": [{"index": i, "extension": f"{100 + i}", "number": f"+3314266{1000 + i}",
                   "number_national": f"014266{1000 + i}", "display_name": f"Poste {i}",
                   "sip_username": f"u{i:011d}", "sip_password": MASK, "voicemail": True}
                  for i in range(1, entry.max_lines + 1)],
        "site": {"name": "Site", "city": "Paris", "postcode": "75008", "departement": "75", "zone": "metropolitan"},
        "customer": {"name": "Client", "reference": "SAMPLE-01"},
        "provider": provider_context(settings),
        "firmware": firmware_context(vendor, model, settings, lambda _vendor, _model: firmware),
    }


@dataclass(frozen=True)
class OverrideError:
    """The first rendering error an override causes: what went wrong (`reason`), in which template and at which
    line (`line` is the override's own line when `in_override`), and which file and model showed it."""

    message: str  # the whole error, as the API says it
    reason: str
    line: int | None
    in_override: bool
    file: str
    model: str
    pinned: str | None  # the pinned firmware version it was rendered with, if any


class OverrideRefused(InvalidRecord):
    """An override that would break a file: the record's `source` problem, with the structured `error`."""

    def __init__(self, error: OverrideError):
        super().__init__({"source": error.message})
        self.error = error


def check_override_renders(override: TemplateOverride, settings: Settings) -> None:
    """Refuse (OverrideRefused) an override that makes any file of its vendor fail to render."""
    error = override_error(override, settings)
    if error is not None:
        raise OverrideRefused(error)


def override_error(override: TemplateOverride, settings: Settings) -> OverrideError | None:
    """The first rendering error the override causes in any file of its vendor, or None when all render."""
    vendor = VENDORS[override.vendor]
    environment = make_environment(overrides={override.name: override.source})
    for model in CATALOGUE[override.vendor]:
        for name in vendor.device_files(SAMPLE_MAC, model):
            match = vendor.match_file(name)
            if match is None:
                continue
            for firmware in (None, SAMPLE_FIRMWARE):
                context = (sample_device_context(settings, vendor.name, model, firmware) if match.per_device
                           else common_context(vendor.name, match.model or model, settings,
                                               lambda _vendor, _model, pin=firmware: pin))
                try:
                    render(environment, vendor.name, match.template, match.model or model, context)
                except RenderError as exc:
                    pinned = f", firmware {firmware.version} pinned" if firmware else ""
                    # Its own source is "<template>" at run time and its name in a syntax error.
                    own = exc.line is not None and exc.template in ("<template>", override.name)
                    return OverrideError(f"{exc} (rendering {name} for a {model}{pinned})", exc.reason,
                                         exc.line, own, name, model, firmware.version if firmware else None)
    return None
