"""The technician's calendar feed: create or renew its secret URL (shown once, as webcal:// and https://) and
revoke it, through the functions of the API's FeedTokenHandler (provisioner/api/technicians.py). A technician
manages their own feed; an admin any technician's (?technician=)."""

from __future__ import annotations

from inventory.technicians import Technician
from provisioner.api.technicians import issue_feed_token, revoke_feed_token
from provisioner.web.installations.appointment_access import (
    feed_owner,
    own_technician,
    picked_technician,
    technician_choices,
)
from provisioner.web.page_handler import PageError, PageHandler

FEED_ROLES = ("technician",)  # and admin, as the API's FeedTokenHandler


def webcal(url: str) -> str:
    """The feed's address for calendar clients that subscribe on a webcal:// link."""
    return "webcal://" + url.split("://", 1)[1]


class CalendarFeedPage(PageHandler):
    """GET: whether the feed is on (its hint), the how-to, and the buttons. POST action=renew|revoke."""

    roles = FEED_ROLES
    route = "/staff/appointments/calendar"

    def technician(self, asked: str) -> Technician | None:
        """Whose feed: the caller's own record, or for an admin the technician asked for (None: pick one)."""
        if not self.caller.may(("admin",)):
            own = own_technician(self.caller) or Technician.objects(user=self.caller.user_id).first()
            if own is None:
                raise PageError(403, "appt.not_technician")
            return feed_owner(self.caller, str(own.pk))
        chosen = picked_technician(asked)
        return None if chosen is None else feed_owner(self.caller, str(chosen.pk))

    def get(self) -> None:
        self.show(self.technician(self.get_query_argument("technician", "")))

    async def post(self) -> None:
        technician = self.technician(self.get_body_argument("technician", ""))
        if technician is None:
            raise PageError(400, "appt.pick_technician_first")
        action, actor = self.get_body_argument("action", ""), self.actor
        if action == "renew":
            base = f"{self.request.protocol}://{self.request.host}"
            url = await self.off_loop(issue_feed_token, technician, actor, base)
            self.show(technician, url=url)
        elif action == "revoke":
            await self.off_loop(revoke_feed_token, technician, actor)
            self.show(technician, revoked=True)
        else:
            raise PageError(400, "error.400")

    def show(self, technician: Technician | None, url: str | None = None, revoked: bool = False) -> None:
        admin = self.caller.may(("admin",))
        self.render_page("calendar_feed.html", technician=technician, url=url, webcal=webcal(url) if url else None,
                         revoked=revoked, admin=admin, choices=technician_choices() if admin else [])
