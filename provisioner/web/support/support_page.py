"""What the support pages share: the server's provisioner, paging arguments, and deadlines, amounts and
times left said in the user's language."""

from __future__ import annotations

import datetime as dt

from inventory.ticket_deadlines import Calendar
from provisioner.provisioning.pipeline import Provisioner
from provisioner.services import Services
from provisioner.ticket_calendar import ticket_calendar
from provisioner.web.page_handler import PageHandler
from provisioner.web.support.ticket_urgency import duration_parts

#: The roles of the API's ticket readers (provisioner/api/tickets.py READERS) and writers.
TICKET_READERS = ("support", "technician")
TICKET_WRITERS = ("support",)


class SupportPage(PageHandler):
    """Base of the support pages: given the server's Provisioner too (previews and out-of-date devices)."""

    def initialize(self, services: Services, provisioner: Provisioner | None = None) -> None:  # type: ignore[override]
        super().initialize(services)
        self.provisioner = provisioner

    @property
    def calendar(self) -> Calendar:
        return ticket_calendar(self.services.settings)

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def local_time(self, text: str) -> dt.datetime | None:
        """A time typed in a datetime-local field, in the server's time zone; None when it is not one."""
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        return moment.replace(tzinfo=self.zone) if moment.tzinfo is None else moment

    def duration(self, minutes: int) -> str:
        """A length of time in words: "2 j 3 h 05 min" / "2 d 3 h 05 min"."""
        days, hours, mins = duration_parts(minutes)
        if days:
            return self.t("support.days", days=days, hours=hours, minutes=f"{mins:02d}")
        if hours:
            return self.t("support.hours", hours=hours, minutes=f"{mins:02d}")
        return self.t("support.minutes", minutes=mins)

    def left_text(self, minutes: int | None) -> str:
        """Time left before a deadline, or how late it is, in words ("" when none runs)."""
        if minutes is None:
            return ""
        if minutes <= 0:
            return self.t("support.late_by", duration=self.duration(minutes))
        return self.t("support.left", duration=self.duration(minutes))
