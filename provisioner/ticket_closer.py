"""The job that closes failure tickets left without the customer's answer for 48 hours (contract clause 4).

It runs every INTERVAL_SECONDS in one process of the server (worker 0, with TFTP and SIP) and holds no state of
its own: each pass reads the tickets waiting on the customer from the database, so a restart, or a pass missed
while the server was down, closes them at the next pass (with the closing time the rule says, not the pass's).
Each ticket is closed by one conditional write (inventory/ticket_moves.py), so a second process or server
running the same job never closes one twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from inventory.events import Actor
from inventory.ticket_deadlines import Calendar
from inventory.ticket_moves import TicketRefused, close_expired

log = logging.getLogger("provisioner.tickets")

INTERVAL_SECONDS = 60.0
ACTOR = Actor.system("ticket-closer")


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class TicketCloser:
    """Closes the tickets whose 48 hours without an answer are over; `start()`, then `await stop()`."""

    def __init__(self, calendar: Calendar, clock: Callable[[], dt.datetime] = _utc_now,
                 interval: float = INTERVAL_SECONDS):
        self.calendar, self.clock, self.interval = calendar, clock, interval
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def run_once(self) -> list[str]:
        """One pass, now by the clock: the numbers of the tickets it closed."""
        closed = close_expired(self.clock(), ACTOR, self.calendar, on_conflict=self._conflict)
        for number in closed:
            log.info("ticket %s closed: no answer from the customer within 48 hours (clause 4)", number)
        return closed

    @staticmethod
    def _conflict(number: str, refused: TicketRefused) -> None:
        log.info("ticket %s not closed by this pass: %s", number, refused.message)

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                await loop.run_in_executor(None, self.run_once)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database may be away a moment: the next pass tries again
                log.warning("tickets waiting on customers not checked: %s: %s", type(exc).__name__, exc)
            await asyncio.sleep(self.interval)
