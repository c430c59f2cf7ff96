"""The preview of a device's configuration on the support pages: each file it fetches exactly as it would receive
it now, through `configuration_preview.preview` (GET /api/v1/equipment/{id}/configuration's code), with the
secrets masked unless the caller is admin."""

from __future__ import annotations

from inventory.equipment import Equipment
from inventory.references import record_by_id
from provisioner.configuration_preview import device_files, preview
from provisioner.provisioning.answers import Miss
from provisioner.web.page_handler import PageError
from provisioner.web.support.support_page import SupportPage

PREVIEW_ROLES = ("support", "technician")  # and admin, as the API


class ConfigurationPage(SupportPage):
    """GET: device {id}'s own file, or ?file= another of its files."""

    roles = PREVIEW_ROLES
    route = "/staff/support/devices/{id}/configuration"

    async def get(self, item_id: str) -> None:
        item = await self.off_loop(record_by_id, Equipment, item_id)
        if item is None:
            raise PageError(404, "support.no_device")
        asked = self.get_query_argument("file", None)
        masked = not self.caller.may(())
        try:
            shown = await self.off_loop(preview, self.provisioner, item, asked, masked)
        except Miss:
            self.render_page("support_configuration.html", status=404, item=item, shown=None,
                             files=device_files(item), asked=asked, masked=masked, state_name=self.state_name)
            return
        self.render_page("support_configuration.html", item=item, shown=shown, files=list(shown.files), asked=asked,
                         masked=masked, state_name=self.state_name)
