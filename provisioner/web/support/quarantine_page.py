"""The quarantine of unknown devices on the support pages, a page at a time, latest seen first, and their claim into
stock (warehouse and admin, as the API) through `quarantine_claims.claim`, the code of
POST /api/v1/quarantine/{id}/claim; a refusal is said on the page and nothing is written.
"""

from __future__ import annotations

from typing import Any

from inventory.counts import count
from inventory.equipment import OWNERSHIPS
from inventory.errors import DuplicateValue, InvalidRecord
from inventory.provisioning_log import QuarantinedDevice
from inventory.references import record_by_id
from provisioner.quarantine_claims import ClaimRefused, claim
from provisioner.web.page_handler import PageError, page_count
from provisioner.web.support.support_page import SupportPage

QUARANTINE_ROLES = ("support", "warehouse")  # and admin, as GET /api/v1/quarantine
CLAIM_ROLES = ("warehouse",)  # and admin, as the API's claim
PER_PAGE = 50


def read_page(page: int) -> tuple[list[QuarantinedDevice], int]:
    """Page `page` of the quarantine, latest seen first, and how many devices it holds."""
    found = QuarantinedDevice.objects.order_by("-last_seen").skip((page - 1) * PER_PAGE).limit(PER_PAGE)
    return list(found), count(QuarantinedDevice._get_collection())


def entry_of(entry_id: str) -> QuarantinedDevice | None:
    """The quarantine entry with this id, or None."""
    return record_by_id(QuarantinedDevice, entry_id)


class QuarantinePage(SupportPage):
    """GET: the quarantined devices, ?page=. POST .../{id}/claim: claim one with its serial, model and ownership."""

    roles = QUARANTINE_ROLES
    route = "/staff/support/quarantine"

    async def get(self, entry_id: str | None = None) -> None:
        await self.show(self.page_number())

    async def show(self, page: int, status: int = 200, error: dict[str, Any] | None = None) -> None:
        entries, total = await self.off_loop(read_page, page)
        self.render_page("support_quarantine.html", status=status, entries=entries, total=total, page=page,
                         pages=page_count(total, PER_PAGE), may_claim=self.caller.may(CLAIM_ROLES),
                         ownerships=OWNERSHIPS, error=error, claimed=self.get_query_argument("claimed", ""))

    async def post(self, entry_id: str | None = None) -> None:
        if not self.caller.may(CLAIM_ROLES):
            raise PageError(403, "error.403", roles=self.role_names(CLAIM_ROLES))
        entry = await self.off_loop(entry_of, entry_id or "")
        if entry is None:
            raise PageError(404, "support.no_entry")
        given = {name: self.get_body_argument(name, "").strip() for name in ("serial", "model", "ownership")}
        given = {name: value for name, value in given.items() if value}
        problem = None
        if "serial" not in given:
            problem = self.t("support.claim.serial_required")
        elif given.get("ownership", "lent") not in OWNERSHIPS:
            problem = self.t("support.claim.bad_ownership")
        if problem is None:
            try:
                item = await self.off_loop(claim, entry, given, self.services.box, self.actor)
            except DuplicateValue as duplicate:
                names = {"serial": self.t("col.serial"), "mac": self.t("support.col.mac")}
                problem = self.t("support.claim.duplicate", field=names.get(duplicate.field, duplicate.field),
                                 value=given.get(duplicate.field, entry.mac if duplicate.field == "mac" else ""))
            except (InvalidRecord, ClaimRefused) as invalid:
                problem = self.claim_refused(invalid.problems)
            else:
                self.redirect(f"/staff/support/quarantine?claimed={item.serial}")
                return
        await self.show(1, 422, {"entry": str(entry.pk), "message": problem, "given": given})

    def claim_refused(self, problems: dict[str, Any]) -> str:
        """A refused claim, each field's problem said in the user's language (provisioner/web/refusals.py)."""
        words = self.refusal_words("quarantine")
        return self.t("support.claim.invalid", detail="; ".join(
            self.t("support.field_problem", field=words.field(name), problem=said)
            for name, said in sorted(words.problems(problems).items())))
