"""Creating and editing a configuration template override (admin), with the API's fields, render check and
version rule (provisioner/record_writes.py over RESOURCES["template-overrides"]): an override that breaks a
file is refused before anything is saved, and the page shows the error at its line of the text sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tornado.escape

from inventory.catalogue import VENDORS
from inventory.customers import Customer, Site
from inventory.errors import DuplicateValue, InvalidRecord, VersionConflict
from inventory.template_overrides import MAX_SOURCE, SCOPES, TemplateOverride
from provisioner.provisioning.template_check import OverrideError, OverrideRefused
from provisioner.record_writes import create_record, parse_values, update_record
from provisioner.web.admin.admin_forms import field_messages
from provisioner.web.admin.override_list import OVERRIDES, load_override, owner_name, owners_of
from provisioner.web.admin.source_excerpt import lines_around
from provisioner.web.navigation import ADMIN_ROLES
from provisioner.web.page_handler import PageError, PageHandler

LABELS = {"scope": "templates.scope", "customer": "templates.customer", "site": "templates.site",
          "vendor": "templates.vendor", "template": "templates.template", "source": "templates.source",
          "comment": "templates.comment"}
EXAMPLE = "{% extends 'base:yealink/device.cfg.j2' %}"


@dataclass
class OverrideEntries:
    """What the admin typed in an override form, kept to show again when it is refused."""

    scope: str = "customer"
    customer: str = ""  # the customer's reference
    site: str = ""  # the site's name, for the site scope
    vendor: str = "yealink"
    template: str = "device.cfg.j2"
    source: str = ""
    comment: str = ""


def posted_source(text: str) -> str:
    """The textarea's text as the API would have it: browsers send CRLF line ends, phones' files want LF."""
    return text.replace("\r\n", "\n")


class OverrideForm(PageHandler):
    """What the new and edit pages share: the render error with its excerpt, the other refusals, saving off the
    event loop (every file of the vendor is rendered for every model)."""

    roles = ADMIN_ROLES

    def show(self, entries: OverrideEntries, errors: dict[str, str], status: int = 200, override: Any = None,
             problem: OverrideError | None = None, alert: str | None = None, owner: str = "") -> None:
        """The form, with the render error at its line (and the lines around it) when there is one."""
        excerpt = lines_around(entries.source, problem.line) if problem and problem.in_override else []
        self.render_page("override_form.html", status=status, entries=entries, errors=errors, override=override,
                         problem=problem, excerpt=excerpt, alert=alert, owner=owner, scopes=SCOPES,
                         vendors=sorted(VENDORS), max_source=MAX_SOURCE, example=EXAMPLE)

    def refused(self, refusal: Exception, entries: OverrideEntries, override: Any = None, owner: str = "") -> None:
        """Show the form again with why it was refused; nothing was saved."""
        if isinstance(refusal, OverrideRefused):
            self.show(entries, {"source": ""}, 422, override, refusal.error, owner=owner)
        elif isinstance(refusal, DuplicateValue):
            self.show(entries, {"template": self.t("templates.duplicate")}, 409, override, owner=owner)
        elif isinstance(refusal, InvalidRecord):
            self.show(entries, field_messages(refusal, self.t, LABELS), 422, override, alert="templates.not_saved",
                      owner=owner)
        else:
            raise refusal

    def saved(self, override: TemplateOverride) -> None:
        """Back to the list, which shows the saved override."""
        self.redirect(f"/staff/admin/templates?done=saved&name={tornado.escape.url_escape(override.name)}")


class OverrideNewPage(OverrideForm):
    """GET: the form of a new override; POST: check that every file still renders with it, then save it."""

    route = "/staff/admin/templates/new"

    def get(self) -> None:
        self.show(OverrideEntries(), {})

    async def post(self) -> None:
        arg = self.get_body_argument
        entries = OverrideEntries(arg("scope", "customer"), arg("customer", "").upper(), arg("site", ""),
                                  arg("vendor", ""), arg("template", ""),
                                  posted_source(arg("source", "", strip=False)), arg("comment", ""))
        body, errors = self.body(entries)
        if errors:
            self.show(entries, errors, 422, alert="templates.not_saved")
            return
        try:
            override = await self.off_loop(self.create, body)
        except (InvalidRecord, DuplicateValue) as refusal:
            self.refused(refusal, entries)
            return
        self.saved(override)

    def body(self, entries: OverrideEntries) -> tuple[dict[str, Any], dict[str, str]]:
        """The API's body for these entries: the customer found by reference, the site by name among its sites."""
        customer = Customer.objects(reference=entries.customer).only("id").first() if entries.customer else None
        if customer is None:
            return {}, {"customer": self.t("templates.no_customer", reference=entries.customer or "—")}
        body = {"scope": entries.scope, "customer": str(customer.pk), "vendor": entries.vendor,
                "template": entries.template, "source": entries.source, "comment": entries.comment}
        if entries.scope == "site":
            if not entries.site:
                return {}, {"site": self.t("templates.need_site")}
            site = Site.objects(customer=customer, name=entries.site).only("id").first()
            if site is None:
                return {}, {"site": self.t("templates.no_site", reference=entries.customer, name=entries.site)}
            body["site"] = str(site.pk)
        return body, {}

    def create(self, body: dict[str, Any]) -> TemplateOverride:
        """Create the override as POST /api/v1/template-overrides does."""
        values, secrets = parse_values(OVERRIDES, body, creating=True)
        override, _ = create_record(OVERRIDES, values, secrets, self.services, self.actor)
        return override


class OverridePage(OverrideForm):
    """GET: one override's source and comment to edit; POST: check it renders, then save it at the version read."""

    route = "/staff/admin/templates/{id}"

    def get(self, override_id: str) -> None:
        override = load_override(override_id)
        self.show(self.entries_of(override, override.source, override.comment or ""), {}, override=override,
                  owner=self.owner(override))

    def entries_of(self, override: TemplateOverride, source: str, comment: str) -> OverrideEntries:
        """The edit form's entries: the override's own scope and template, and the text to show."""
        return OverrideEntries(override.scope, "", "", override.vendor, override.template, source, comment)

    def owner(self, override: TemplateOverride) -> str:
        """Whose devices the override reaches, by name."""
        raw = TemplateOverride._get_collection().find_one({"_id": override.pk}, {"customer": 1, "site": 1})
        return owner_name(raw, owners_of([raw]))

    async def post(self, override_id: str) -> None:
        override = load_override(override_id)
        version = self.get_body_argument("version", "")
        if not (version.isascii() and version.isdigit()) or len(version) > 18:
            raise PageError(400, "error.400")
        source = posted_source(self.get_body_argument("source", "", strip=False))
        comment = self.get_body_argument("comment", "").strip()
        entries = self.entries_of(override, source, comment)
        try:
            await self.off_loop(self.change, override, {"source": source, "comment": comment}, int(version))
        except VersionConflict as conflict:
            if conflict.current_version is None:
                raise PageError(404, "error.404") from None
            fresh = load_override(override_id)  # the stored version, with the admin's text kept in the form
            self.show(entries, {}, 409, fresh, alert="templates.conflict", owner=self.owner(fresh))
            return
        except (InvalidRecord, DuplicateValue) as refusal:
            self.refused(refusal, entries, load_override(override_id), self.owner(override))
            return
        self.saved(override)

    def change(self, override: TemplateOverride, body: dict[str, Any], version: int) -> TemplateOverride:
        """Change the override as PATCH /api/v1/template-overrides/{id} does, at the version read."""
        values, secrets = parse_values(OVERRIDES, body, creating=False)
        return update_record(OVERRIDES, override, values, secrets, version, self.services, self.actor)
