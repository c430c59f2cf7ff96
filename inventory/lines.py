"""Lines (user licences): extension, public number, display name and the SIP account a phone registers with."""

from __future__ import annotations

import secrets as _random

import mongoengine as me

from inventory.contracts import Contract
from inventory.customers import Customer, Site
from inventory.phone_numbers import to_e164
from inventory.references import Reference
from inventory.secret_box import SecretBox, random_secret
from inventory.versioned import VersionedDocument


def new_sip_username() -> str:
    """A random SIP user name: unguessable, so account names cannot be enumerated from extensions."""
    return "u" + "".join(_random.choice("0123456789") for _ in range(11))


class Line(VersionedDocument):
    """One user licence on a customer's site; its SIP password is stored encrypted."""

    customer = Reference(Customer, required=True)
    site = Reference(Site, required=True)
    contract = Reference(Contract)
    extension = me.StringField(required=True, regex=r"^\d{2,6}$")
    number = me.StringField(max_length=16)
    display_name = me.StringField(required=True, min_length=1, max_length=80)
    sip_username = me.StringField(required=True, regex=r"^[A-Za-z0-9._-]{4,64}$")
    sip_password_enc = me.StringField(required=True)
    voicemail = me.BooleanField(default=True)

    meta = {
        "collection": "lines",
        "indexes": [
            {"fields": ["sip_username"], "unique": True},
            {"fields": ["number"], "unique": True, "sparse": True},
            {"fields": ["customer", "extension"], "unique": True},
            "site",
            "contract",
        ],
    }
    unique_fields = ("sip_username", "number", ("customer", "extension"))
    formats = {"extension": "2 to 6 digits", "sip_username": "4 to 64 letters, digits, dots, dashes or underscores"}

    def set_sip_password(self, box: SecretBox, password: str | None = None) -> str:
        """Store a new SIP password (random when not given) and return it, for showing once."""
        password = password or random_secret(16)
        self.sip_password_enc = box.encrypt(password)
        return password

    def sip_password(self, box: SecretBox) -> str:
        """The SIP password in clear, for the SIP core and configuration templates only."""
        return box.decrypt(self.sip_password_enc)

    def normalize(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        if not self.sip_username:
            self.sip_username = new_sip_username()
        if self.number:
            try:
                self.number = to_e164(self.number)
            except ValueError as exc:
                problems["number"] = str(exc)
        if self.site is not None:
            self.customer = self.site.customer
        if self.contract is not None and self.customer is not None and self.contract.customer != self.customer:
            problems["contract"] = "the contract belongs to another customer than the site"
        return problems
