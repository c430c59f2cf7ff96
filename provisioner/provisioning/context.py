"""The values a configuration template sees: the device, its lines, its site, and the provider's platform.

Plain dictionaries of strings, numbers and lists, so templates cannot reach records or the database.
"""

from __future__ import annotations

from typing import Any, Callable

import phonenumbers

from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.firmware import PinnedFirmware, pinned_firmware
from inventory.lines import Line
from inventory.mac import format_mac
from inventory.secret_box import SecretBox
from provisioner.settings import Settings

LANGUAGE, COUNTRY = "fr", "FR"


def national(number: str | None) -> str:
    """A French E.164 number in national form (+33142661000 -> 0142661000), or "" when there is none."""
    if not number:
        return ""
    parsed = phonenumbers.parse(number, None)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL).replace(" ", "")


def provider_context(settings: Settings) -> dict[str, Any]:
    """The provider's platform, the same for every device."""
    provider = settings.provider
    return {
        "sip_domain": provider.sip_domain,
        "sip_port": provider.sip_port,
        "sip_transport": provider.sip_transport,
        "srtp": provider.sip_transport == "tls",
        "provisioning_url": provider.provisioning_url.rstrip("/"),
        "ntp_servers": list(provider.ntp_servers),
        "management_networks": list(provider.management_networks),
        "voice_vlan": provider.voice_vlan,
        "voicemail_number": provider.voicemail_number,
        "timezone": settings.calendar.timezone,
        "language": LANGUAGE,
        "country": COUNTRY,
    }


#: What a secret reads as in a preview for someone who may not see it.
MASK = "********"

#: Finds the firmware image pinned for a vendor's model (the database's by default; tests give their own).
PinLookup = Callable[[str, str], PinnedFirmware | None]


def firmware_context(vendor: str, model: str | None, settings: Settings,
                     pinned: PinLookup = pinned_firmware) -> dict[str, str] | None:
    """The firmware a model must run, served by this server (None when no image is pinned for it)."""
    image = pinned(vendor, model) if model else None
    if image is None:
        return None
    return {"version": image.version, "filename": image.filename, "sha256": image.sha256,
            "url": f"{settings.provider.provisioning_url.rstrip('/')}/firmware/{image.filename}"}


def line_context(index: int, line: Line, box: SecretBox, masked: bool = False) -> dict[str, Any]:
    """One line (account) of a device, numbered from 1, with its SIP password in clear unless `masked`."""
    return {
        "index": index,
        "extension": line.extension,
        "number": line.number or "",
        "number_national": national(line.number),
        "display_name": line.display_name,
        "sip_username": line.sip_username,
        "sip_password": MASK if masked else line.sip_password(box),
        "voicemail": bool(line.voicemail),
    }


def device_context(item: Equipment, box: SecretBox, settings: Settings, masked: bool = False,
                   pinned: PinLookup = pinned_firmware) -> dict[str, Any]:
    """Everything a device's own configuration needs; `masked` hides its secrets (previews for non-admins)."""
    site: Site | None = item.site
    customer: Customer | None = item.customer
    return {
        "device": {
            "mac": item.mac,
            "mac_upper": item.mac.upper(),
            "mac_colon": format_mac(item.mac),
            "serial": item.serial,
            "vendor": item.vendor,
            "model": item.model,
            "kind": item.kind,
            "admin_password": MASK if masked else item.admin_password(box),
            # Its own credentials for fetching its files (digest, user name: the MAC), and its file key ("": none).
            "provisioning_username": item.mac,
            "provisioning_password": MASK if masked and item.provisioning_password_enc else item.provisioning_password(box),
            "config_key": MASK if masked and item.config_key_enc else item.config_key(box),
        },
        "lines": [line_context(i, line, box, masked) for i, line in enumerate(item.lines or [], start=1)],
        "site": {"name": site.name, "city": site.city, "postcode": site.postcode,
                 "departement": site.departement, "zone": site.zone} if site else None,
        "customer": {"name": customer.name, "reference": customer.reference} if customer else None,
        "provider": provider_context(settings),
        "firmware": firmware_context(item.vendor, item.model, settings, pinned),
    }


def common_context(vendor: str, model: str | None, settings: Settings,
                   pinned: PinLookup = pinned_firmware) -> dict[str, Any]:
    """What a vendor's or model's shared file may show: the provider's platform, never a device's secrets."""
    return {"vendor": vendor, "model": model, "provider": provider_context(settings),
            "firmware": firmware_context(vendor, model, settings, pinned)}
