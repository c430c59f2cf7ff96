"""The values a configuration template sees: the device, its lines, its site, and the provider's platform.

Plain dictionaries of strings, numbers and lists, so templates cannot reach records or the database.
"""

from __future__ import annotations

from typing import Any

import phonenumbers

from inventory.customers import Customer, Site
from inventory.equipment import Equipment
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


def device_context(item: Equipment, box: SecretBox, settings: Settings, masked: bool = False) -> dict[str, Any]:
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
        },
        "lines": [line_context(i, line, box, masked) for i, line in enumerate(item.lines or [], start=1)],
        "site": {"name": site.name, "city": site.city, "postcode": site.postcode,
                 "departement": site.departement, "zone": site.zone} if site else None,
        "customer": {"name": customer.name, "reference": customer.reference} if customer else None,
        "provider": provider_context(settings),
    }


def common_context(vendor: str, model: str | None, settings: Settings) -> dict[str, Any]:
    """What a vendor's or model's shared file may show: the provider's platform, never a device's secrets."""
    return {"vendor": vendor, "model": model, "provider": provider_context(settings)}
