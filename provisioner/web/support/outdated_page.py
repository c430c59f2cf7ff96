"""Devices behind on their configuration, on the support pages, with a re-sync of one device or of every device
shown: `read_page` (GET /api/v1/provisioning/outdated's function) over PER_PAGE devices that may be behind, and
`queue_resync` (POST /api/v1/resync's code) per device.
"""

from __future__ import annotations

from typing import Any

from inventory.mac import normalize_mac
from inventory.resync_requests import ResyncRequest, summary
from provisioner.outdated import Cursor, read_page
from provisioner.resync_queueing import ResyncRefused, queue_resync
from provisioner.resync_targets import Target
from provisioner.web.support.support_page import SupportPage

RESYNC_ROLES = ("support",)  # and admin, as the API
#: Devices checked a page: each one's file is rendered to compare its revision.
PER_PAGE = 25
RECENT_REQUESTS = 10


def recent_requests() -> list[dict[str, Any]]:
    """The latest re-sync requests, newest first, with how many devices answered each way."""
    return [{"request": request, "summary": summary(request.results)}
            for request in ResyncRequest.objects.order_by("-requested_at").limit(RECENT_REQUESTS)]


def queue_all(macs: list[str], sip_enabled: bool, username: str,
              request_id: str) -> tuple[int, list[ResyncRefused | str]]:
    """Queue a re-sync per device; how many were queued, and each one not: its refusal, or the text sent when it is
    no MAC address."""
    queued, refused = 0, []
    for mac in macs:
        try:
            queue_resync(Target("device", normalize_mac(mac)), sip_enabled, username, request_id)
            queued += 1
        except ValueError:
            refused.append(mac)
        except ResyncRefused as refusal:
            refused.append(refusal)
    return queued, refused


class OutdatedPage(SupportPage):
    """GET: the devices behind on their configuration, ?from= (where the page starts). POST: re-sync one device (mac) or those shown (macs)."""

    roles = RESYNC_ROLES
    route = "/staff/support/devices/outdated"

    async def get(self) -> None:
        await self.show(Cursor.parse(self.get_query_argument("from", "")))

    async def show(self, cursor: Cursor, queued: int | None = None, refused: list[str] | None = None,
                   status: int = 200) -> None:
        found, checked, following = await self.off_loop(read_page, self.provisioner, cursor, PER_PAGE)
        requests = await self.off_loop(recent_requests)
        self.render_page("support_outdated.html", status=status, found=found, checked=checked, cursor=cursor,
                         following=following, first=cursor == Cursor(), requests=requests, queued=queued,
                         refused=refused or [], sip=self.services.settings.sip.enabled)

    async def post(self) -> None:
        page = Cursor.parse(self.get_body_argument("from", ""))
        one = self.get_body_argument("mac", "")
        macs = [one] if one else self.get_body_arguments("macs")[:PER_PAGE]
        if not macs:
            await self.show(page, 0, [self.t("support.resync.none")], 400)
            return
        queued, refused = await self.off_loop(queue_all, macs, self.services.settings.sip.enabled,
                                              self.caller.username, self.request_id)
        words = self.refusal_words("resync")
        said = [words.refusal(why) if isinstance(why, ResyncRefused)
                else self.t("support.resync.bad_mac", mac=why[:40]) for why in refused]
        await self.show(page, queued, said, 202 if queued and not refused else (200 if queued else 409))
