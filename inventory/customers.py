"""Business customers and their sites (where equipment is installed and phones connect from)."""

from __future__ import annotations

import ipaddress

import mongoengine as me

from inventory.departements import departement_for_postcode, validate_departement, zone_for_departement
from inventory.phone_numbers import to_e164
from inventory.references import Reference
from inventory.versioned import VersionedDocument

REFERENCE_PATTERN = r"^[A-Z0-9][A-Z0-9-]{2,31}$"
ZONES = ("metropolitan", "corsica", "overseas")


def siren_problem(siren: str) -> str | None:
    """Why a SIREN number is invalid (9 digits passing the Luhn check), or None when it is valid."""
    digits = siren.replace(" ", "")
    if len(digits) != 9 or not digits.isdigit():
        return "expected 9 digits, such as 732 829 320"
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return None if total % 10 == 0 else "the check digit is wrong (Luhn)"


def _normalize_phone(record: me.Document, field: str, problems: dict[str, str]) -> None:
    value = getattr(record, field)
    if value:
        try:
            setattr(record, field, to_e164(value))
        except ValueError as exc:
            problems[field] = str(exc)


class Customer(VersionedDocument):
    """A business that holds contracts with the provider."""

    reference = me.StringField(required=True, regex=REFERENCE_PATTERN)
    name = me.StringField(required=True, min_length=1, max_length=200)
    siren = me.StringField(max_length=11)
    email = me.EmailField(max_length=200)
    phone = me.StringField(max_length=20)
    billing_address = me.StringField(max_length=500)
    notes = me.StringField(max_length=2000)

    meta = {"collection": "customers", "indexes": [{"fields": ["reference"], "unique": True}, "name"]}
    unique_fields = ("reference",)
    formats = {"reference": "3 to 32 upper-case letters, digits or dashes, such as ACME-01"}

    def normalize(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        if self.reference:
            self.reference = self.reference.strip().upper()
        if self.siren:
            self.siren = self.siren.replace(" ", "")
            why = siren_problem(self.siren)
            if why:
                problems["siren"] = why
        _normalize_phone(self, "phone", problems)
        return problems


class Site(VersionedDocument):
    """A customer's premises: address, département and zone, and the networks its phones come from."""

    customer = Reference(Customer, required=True)
    name = me.StringField(required=True, min_length=1, max_length=200)
    address = me.StringField(required=True, min_length=1, max_length=500)
    postcode = me.StringField(required=True, regex=r"^\d{5}$")
    city = me.StringField(required=True, min_length=1, max_length=100)
    departement = me.StringField(max_length=3)
    zone = me.StringField(choices=ZONES)
    allowed_networks = me.ListField(me.StringField(max_length=50), max_length=64)
    contact_name = me.StringField(max_length=200)
    contact_phone = me.StringField(max_length=20)
    contact_email = me.EmailField(max_length=200)

    meta = {"collection": "sites", "indexes": ["customer", "departement", "postcode"]}
    formats = {"postcode": "a French postcode of 5 digits, such as 75008"}

    def normalize(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        if self.postcode:
            self.postcode = self.postcode.strip()
            try:
                derived = departement_for_postcode(self.postcode)
            except ValueError as exc:
                problems["postcode"] = str(exc)
                derived = None
            try:
                self.departement = validate_departement(self.departement) if self.departement else derived
            except ValueError as exc:
                problems["departement"] = str(exc)
        if self.departement and "departement" not in problems:
            self.zone = zone_for_departement(self.departement)
        networks = []
        for index, text in enumerate(self.allowed_networks or []):
            try:
                networks.append(str(ipaddress.ip_network(str(text).strip(), strict=False)))
            except ValueError:
                problems[f"allowed_networks.{index}"] = (
                    f"{text!r} is not an address range: expected CIDR such as 203.0.113.0/24 or 2001:db8::/48"
                )
        self.allowed_networks = networks
        _normalize_phone(self, "contact_phone", problems)
        return problems
