"""Example template contexts shaped exactly like provisioner.provisioning.context builds them."""

from __future__ import annotations

from typing import Any

from inventory.firmware import PinnedFirmware
from provisioner.provisioning.context import common_context, firmware_context, provider_context
from provisioner.settings import load_settings


def example_settings():  # type: ignore[no-untyped-def]
    return load_settings(None, {}, {})


def example_context(vendor: str, model: str, lines: int = 2, transport: str = "udp",
                    firmware: PinnedFirmware | None = None) -> dict[str, Any]:
    """A device context with `lines` accounts, made of plain values (no database); `firmware` pinned if given."""
    provider = provider_context(example_settings())
    provider.update(sip_transport=transport, srtp=transport == "tls")
    return {
        "device": {"mac": "805ec0a1b2c3", "mac_upper": "805EC0A1B2C3", "mac_colon": "80:5e:c0:a1:b2:c3",
                   "serial": "SN-TEST-0001", "vendor": vendor, "model": model, "kind": "phone",
                   "admin_password": "Adm1nSecretXyz987", "provisioning_username": "805ec0a1b2c3",
                   "provisioning_password": "ProvSecret4Download", "config_key": "K3yK3yK3yK3yK3y1"},
        "lines": [{"index": i, "extension": f"{100 + i}", "number": f"+3314266100{i}",
                   "number_national": f"014266100{i}", "display_name": f"Poste {i} & Cie <Accueil>",
                   "sip_username": f"u0000000000{i}", "sip_password": f"SipSecret{i}Abc123", "voicemail": True}
                  for i in range(1, lines + 1)],
        "site": {"name": "Siège", "city": "Paris", "postcode": "75008", "departement": "75", "zone": "metropolitan"},
        "customer": {"name": "Acme SARL", "reference": "ACME-01"},
        "provider": provider,
        "firmware": firmware_context(vendor, model, example_settings(), lambda _vendor, _model: firmware),
    }


def example_common_context(vendor: str, model: str | None = None,
                           firmware: PinnedFirmware | None = None) -> dict[str, Any]:
    return common_context(vendor, model, example_settings(), lambda _vendor, _model: firmware)
