"""Configuration template overrides, listed for admin a page at a time (read page by page from the database,
without their sources), and deleted after a confirmation, with the API's delete (provisioner/record_writes.py)."""

from __future__ import annotations

from typing import Any

import tornado.escape
from bson import ObjectId

from inventory.counts import count
from inventory.customers import Customer, Site
from inventory.errors import VersionConflict
from inventory.template_overrides import TemplateOverride
from provisioner.api.resources import RESOURCES
from provisioner.record_writes import delete_record
from provisioner.web.navigation import ADMIN_ROLES
from provisioner.web.page_handler import PER_PAGE, PageError, PageHandler, page_count

OVERRIDES = RESOURCES["template-overrides"]
#: What the list says after a change sent the browser back to it (?done=...&name=...).
DONE = {"saved": "templates.saved", "deleted": "templates.deleted"}
LISTED = {"scope": 1, "customer": 1, "site": 1, "vendor": 1, "template": 1, "comment": 1, "updated_at": 1, "version": 1}


def owners_of(rows: list[dict[str, Any]]) -> dict[str, str]:
    """The name of each customer and site `rows` point to, by id: "Name (REF)" and "Site, Name (REF)"."""
    site_ids = [ObjectId(row["site"]) for row in rows if row.get("site")]
    sites = list(Site._get_collection().find({"_id": {"$in": site_ids}}, {"name": 1, "customer": 1}))
    customer_ids = {row["customer"] for row in rows if row.get("customer")} | {s["customer"] for s in sites}
    names = {str(c["_id"]): f"{c['name']} ({c['reference']})" for c in Customer._get_collection().find(
        {"_id": {"$in": [ObjectId(i) for i in customer_ids]}}, {"name": 1, "reference": 1})}
    for site in sites:
        owner = names.get(site["customer"], "")
        names[str(site["_id"])] = f"{site['name']}, {owner}" if owner else site["name"]
    return names


def owner_name(row: dict[str, Any], names: dict[str, str]) -> str:
    """Whose devices an override reaches, by name."""
    return names.get(row.get("site") or row.get("customer") or "", "")


class OverrideListPage(PageHandler):
    """GET: the overrides by customer or site, vendor and template (their unique index's order), ?page=."""

    roles = ADMIN_ROLES
    route = "/staff/admin/templates"

    def get(self) -> None:
        page = self.page_number()
        collection = TemplateOverride._get_collection()
        total = count(collection)  # NX-27017 reads every document for a count (docs/storage.rst)
        rows = list(collection.find({}, LISTED).sort([("scope_key", 1), ("vendor", 1), ("template", 1)])
                    .skip((page - 1) * PER_PAGE).limit(PER_PAGE))
        names = owners_of(rows)
        done = DONE.get(self.get_query_argument("done", ""))
        self.render_page("overrides.html", rows=rows, owner=lambda row: owner_name(row, names), page=page,
                         pages=page_count(total), total=total, done=done,
                         done_name=self.get_query_argument("name", "")[:250])


class OverrideDeletePage(PageHandler):
    """GET: what deleting the override would do, and a confirmation form; POST: delete it at the version read."""

    roles = ADMIN_ROLES
    route = "/staff/admin/templates/{id}/delete"

    def get(self, override_id: str) -> None:
        self.confirm(load_override(override_id))

    def confirm(self, override: TemplateOverride, status: int = 200, alert: str | None = None) -> None:
        """The confirmation page."""
        raw = TemplateOverride._get_collection().find_one({"_id": override.pk}, LISTED)
        self.render_page("override_delete.html", status=status, override=override,
                         owner=owner_name(raw, owners_of([raw])), alert=alert)

    async def post(self, override_id: str) -> None:
        override = load_override(override_id)
        version = self.get_body_argument("version", "")
        if not (version.isascii() and version.isdigit()) or len(version) > 18:
            raise PageError(400, "error.400")
        try:
            await self.off_loop(delete_record, OVERRIDES, override, int(version), self.services, self.actor)
        except VersionConflict as conflict:
            if conflict.current_version is None:
                raise PageError(404, "error.404") from None
            self.confirm(load_override(override_id), 409, "templates.delete_conflict")
            return
        self.redirect(f"/staff/admin/templates?done=deleted&name={tornado.escape.url_escape(override.name)}")


def load_override(override_id: str) -> TemplateOverride:
    """The override with this id, or the 404 page."""
    override = TemplateOverride.objects(pk=ObjectId(override_id)).first()
    if override is None:
        raise PageError(404, "error.404")
    return override
