"""Staff endpoints about provisioning: preview a device's files, list devices behind on their configuration, the quarantine."""

from __future__ import annotations

from inventory.counts import count
from inventory.equipment import Equipment
from inventory.provisioning_log import QuarantinedDevice
from provisioner.api.base import ApiError, BaseHandler, record_or_404
from provisioner.api.fields import Field, bounded_int
from provisioner.configuration_preview import preview
from provisioner.outdated import Cursor, read_page
from provisioner.provisioning.answers import Miss
from provisioner.provisioning.pipeline import Provisioner
from provisioner.quarantine_claims import ClaimRefused, claim

_TIME = Field("moment", "datetime").render
#: Devices checked per page of the outdated list, by default and at most (each one's file is rendered).
OUTDATED_PER_PAGE = 100
MAX_OUTDATED_PER_PAGE = 500


def _equipment(record_id: str) -> Equipment:
    return record_or_404(Equipment, record_id, "equipment record")


class ProvisioningHandler(BaseHandler):
    """Base of the provisioning endpoints: they share the server's Provisioner."""

    def initialize(self, services, provisioner: Provisioner) -> None:  # type: ignore[override]
        super().initialize(services)
        self.provisioner = provisioner


class PreviewHandler(ProvisioningHandler):
    """GET: the files a device fetches, or one of them (?file=) exactly as served; secrets masked unless admin."""

    roles = ("support", "technician")
    route = "/api/v1/equipment/{id}/configuration"

    def get(self, record_id: str) -> None:
        item = _equipment(record_id)
        try:
            shown = preview(self.provisioner, item, self.get_query_argument("file", None),
                            masked=not self.caller.may(()))
        except Miss as miss:
            raise ApiError(404, str(miss)) from None
        self.send({"file": shown.file, "files": list(shown.files), "revision": shown.served.revision,
                   "content_type": shown.served.content_type, "masked": shown.masked, "content": shown.content})


class OutdatedHandler(ProvisioningHandler):
    """GET: devices whose configuration changed since they last fetched it (to re-sync), and those never fetched.

    A page checks ?per_page= devices that may be behind, from ?from= (the previous page's `next`) on, and lists
    those that are: a page may list fewer than it checked, or none, before the end (`next` null).
    """

    roles = ("support",)
    route = "/api/v1/provisioning/outdated"

    async def get(self) -> None:
        problems: dict[str, str] = {}
        asked = self.get_query_argument("from", "")
        cursor = Cursor.parse(asked)
        if asked and str(cursor) != asked:
            problems["from"] = "must be a cursor given as `next` by the previous page"
        per_page = bounded_int(self.get_query_argument("per_page", str(OUTDATED_PER_PAGE)), 1, MAX_OUTDATED_PER_PAGE,
                               "per_page", problems)
        if problems:
            raise ApiError(400, "the query is not valid", problems)
        # Each device checked is rendered: off the event loop, which serves the devices' own requests.
        found, checked, following = await self.off_loop(read_page, self.provisioner, cursor, per_page)
        items = [{"equipment": str(each.item.pk), "mac": each.item.mac, "vendor": each.item.vendor,
                  "model": each.item.model, "file": each.file, "current_revision": each.current_revision,
                  "fetched_revision": each.fetched.revision if each.fetched else None,
                  "fetched_at": _TIME(each.fetched.at) if each.fetched else None} for each in found]
        self.send({"items": items, "checked": checked, "next": str(following) if following else None})


class QuarantineHandler(BaseHandler):
    """GET: devices that asked for a configuration without being in the inventory, latest first."""

    roles = ("support", "warehouse")
    route = "/api/v1/quarantine"

    def get(self) -> None:
        problems: dict[str, str] = {}
        page = bounded_int(self.get_query_argument("page", "1"), 1, 1_000_000, "page", problems)
        per_page = bounded_int(self.get_query_argument("per_page", "50"), 1, 500, "per_page", problems)
        if problems:
            raise ApiError(400, "the query is not valid", problems)
        found = QuarantinedDevice.objects.order_by("-last_seen")
        items = [{"id": str(q.pk), "mac": q.mac, "vendor": q.vendor, "model": q.model, "firmware": q.firmware,
                  "source": q.source, "first_seen": _TIME(q.first_seen), "last_seen": _TIME(q.last_seen),
                  "requests": q.requests} for q in found.skip((page - 1) * per_page).limit(per_page)]
        self.send({"items": items, "total": count(QuarantinedDevice._get_collection()), "page": page,
                   "per_page": per_page})


class ClaimHandler(BaseHandler):
    """POST: take a quarantined device into stock as equipment (serial required; model and ownership optional)."""

    roles = ("warehouse",)
    route = "/api/v1/quarantine/{id}/claim"

    def post(self, entry_id: str) -> None:
        entry = record_or_404(QuarantinedDevice, entry_id, "quarantined device")
        try:
            item = claim(entry, self.json_body(), self.services.box, self.actor)
        except ClaimRefused as refused:
            raise ApiError(422, str(refused), refused.fields) from None
        self.set_header("Location", f"/api/v1/equipment/{item.pk}")
        self.send({"equipment": str(item.pk), "mac": item.mac, "vendor": item.vendor, "model": item.model,
                   "serial": item.serial, "state": item.state}, status=201)
