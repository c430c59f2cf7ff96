"""Configuration template overrides stored per customer or per site, applied before the shipped templates."""

from __future__ import annotations

import mongoengine as me

from inventory.catalogue import VENDORS
from inventory.customers import Customer, Site
from inventory.references import Reference
from inventory.versioned import VersionedDocument

SCOPES = ("customer", "site")
MAX_SOURCE = 60_000  # escaped as JSON, at most 6 bytes a character: well under the 1 MiB body limit


class TemplateOverride(VersionedDocument):
    """The source of one template (a path inside phone_templates/<vendor>/) for every device of a customer or a site."""

    scope = me.StringField(required=True, choices=SCOPES)
    customer = Reference(Customer)
    site = Reference(Site)
    scope_key = me.StringField(required=True)  # "customer:<id>" or "site:<id>", for the unique index
    vendor = me.StringField(required=True, choices=tuple(VENDORS))
    template = me.StringField(required=True, regex=r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*\.j2$",
                              max_length=200)
    source = me.StringField(required=True, max_length=MAX_SOURCE)
    comment = me.StringField(max_length=500)

    meta = {"collection": "template_overrides",
            "indexes": [{"fields": ["scope_key", "vendor", "template"], "unique": True}, "customer", "site"]}
    unique_fields = (("scope_key", "vendor", "template"),)
    formats = {"template": "a template path inside the vendor's folder ending in .j2, such as device.cfg.j2 "
                           "or models/T46U/device.cfg.j2"}

    def normalize(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        if self.scope == "site":
            if self.site is None:
                problems["site"] = "a site override needs its site"
            else:
                self.customer = None
                self.scope_key = f"site:{self.site.pk}"
        elif self.scope == "customer":
            if self.customer is None:
                problems["customer"] = "a customer override needs its customer"
            else:
                self.site = None
                self.scope_key = f"customer:{self.customer.pk}"
        return problems

    @property
    def name(self) -> str:
        """The template's full name, as the shipped template it replaces."""
        return f"{self.vendor}/{self.template}"


def overrides_for(site: Site | None) -> dict[str, str]:
    """Template name -> source for a device at `site`: the site's overrides win over its customer's."""
    if site is None:
        return {}
    keys = [f"customer:{site.customer.pk}", f"site:{site.pk}"]
    found: dict[str, str] = {}
    for key in keys:  # site last, so it wins
        for override in TemplateOverride.objects(scope_key=key):
            found[override.name] = override.source
    return found
