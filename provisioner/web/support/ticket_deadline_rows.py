"""The two deadlines of a failure ticket as the support pages show them: the 4-hour restoration target (from the
ticket's view, counted as the target is) and the device's 72-hour replacement (as the device records it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from provisioner.web.support.ticket_urgency import REPLACEMENT_MARGIN, RESTORATION_MARGIN, urgency


@dataclass(frozen=True)
class Deadline:
    """One deadline: when it falls, the minutes left (negative once past; None when it no longer runs), its level."""

    due_at: dt.datetime | None
    minutes_left: int | None
    level: str | None


def restoration(view: dict[str, Any]) -> Deadline:
    """The 4-hour target of a ticket's view: it runs until the ticket is restored or closed."""
    minutes = view.get("minutes_left")
    left = None if minutes is None else dt.timedelta(minutes=minutes)
    return Deadline(view.get("restoration_due_at"), minutes, urgency(left, RESTORATION_MARGIN))


def replacement(view: dict[str, Any], now: dt.datetime) -> Deadline:
    """The 72-hour replacement of the ticket's device: it runs while the device is failed and owed one."""
    device = view.get("equipment_replacement") or {}
    due_at = device.get("replacement_due_at")
    if due_at is None:
        return Deadline(None, None, None)
    if device.get("state") != "failed" or device.get("replacement") != "due":
        return Deadline(due_at, None, None)
    left = due_at - now
    return Deadline(due_at, int(left.total_seconds() // 60), urgency(left, REPLACEMENT_MARGIN))
