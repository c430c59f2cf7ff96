"""Devices behind on their configuration, on the support pages, with a re-sync of one device or of every device
shown: `outdated_devices` (GET /api/v1/provisioning/outdated's function) over one page of the devices that may be
behind, read from the database a page at a time, and `queue_resync` (POST /api/v1/resync's code) per device.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inventory.equipment import Equipment
from inventory.mac import normalize_mac
from inventory.resync_requests import ResyncRequest, summary
from provisioner.outdated import OUTDATED_STATES, Outdated, outdated_devices
from provisioner.provisioning.pipeline import Provisioner
from provisioner.resync_queueing import ResyncRefused, queue_resync
from provisioner.resync_targets import Target
from provisioner.web.support.support_page import SupportPage

RESYNC_ROLES = ("support",)  # and admin, as the API
#: Devices checked a page: each one's file is rendered to compare its revision.
PER_PAGE = 25
RECENT_REQUESTS = 10


@dataclass(frozen=True)
class Cursor:
    """Where a page of devices that may be behind starts: a state of OUTDATED_STATES and an offset within it."""

    state: int = 0
    offset: int = 0

    @classmethod
    def parse(cls, text: str) -> "Cursor":
        """The cursor of ?from=<state>-<offset>; the first page for anything else."""
        state, _, offset = text.partition("-")
        if state.isdigit() and offset.isdigit() and int(state) < len(OUTDATED_STATES) and len(offset) < 9:
            return cls(int(state), int(offset))
        return cls()

    def __str__(self) -> str:
        return f"{self.state}-{self.offset}"


def read_page(provisioner: Provisioner, cursor: Cursor) -> tuple[list[Outdated], int, Cursor | None]:
    """The devices behind among the PER_PAGE devices that may be from `cursor` on (state by state, each read by
    equality on its index, in stored order: NX-27017 scans for `$in`, and sorts slowly), how many were checked,
    and where the next page starts (None at the end). No count: NX-27017 reads every matching id to count."""
    collection = Equipment._get_collection()
    ids: list[Any] = []
    state, offset = cursor.state, cursor.offset
    while len(ids) < PER_PAGE and state < len(OUTDATED_STATES):
        wanted = PER_PAGE - len(ids)
        got = [raw["_id"] for raw in collection.find({"state": OUTDATED_STATES[state]}, {"_id": 1})
               .skip(offset).limit(wanted + 1)]
        ids += got[:wanted]
        if len(got) > wanted:
            offset += wanted
        else:
            state, offset = state + 1, 0
    items = [Equipment._from_son(raw) for raw in collection.find({"_id": {"$in": ids}})] if ids else []
    order = {item_id: n for n, item_id in enumerate(ids)}
    items.sort(key=lambda item: order[item.pk])
    following = Cursor(state, offset) if state < len(OUTDATED_STATES) else None
    return outdated_devices(provisioner, items), len(items), following


def recent_requests() -> list[dict[str, Any]]:
    """The latest re-sync requests, newest first, with how many devices answered each way."""
    return [{"request": request, "summary": summary(request.results)}
            for request in ResyncRequest.objects.order_by("-requested_at").limit(RECENT_REQUESTS)]


def queue_all(macs: list[str], sip_enabled: bool, username: str, request_id: str) -> tuple[int, list[str]]:
    """Queue a re-sync per device; how many were queued, and why each other one was not."""
    queued, refused = 0, []
    for mac in macs:
        try:
            queue_resync(Target("device", normalize_mac(mac)), sip_enabled, username, request_id)
            queued += 1
        except ValueError:
            refused.append(mac)
        except ResyncRefused as refusal:
            refused.append(refusal.message)
    return queued, refused


class OutdatedPage(SupportPage):
    """GET: the devices behind on their configuration, ?from= (where the page starts). POST: re-sync one device (mac) or those shown (macs)."""

    roles = RESYNC_ROLES
    route = "/staff/support/devices/outdated"

    async def get(self) -> None:
        await self.show(Cursor.parse(self.get_query_argument("from", "")))

    async def show(self, cursor: Cursor, queued: int | None = None, refused: list[str] | None = None,
                   status: int = 200) -> None:
        found, checked, following = await self.off_loop(read_page, self.provisioner, cursor)
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
        await self.show(page, queued, refused, 202 if queued and not refused else (200 if queued else 409))
