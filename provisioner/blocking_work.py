"""Blocking work (database reads and writes, scrypt, rendering, files) run off the event loop, which keeps
serving the phones and the other requests meanwhile."""

from __future__ import annotations

from typing import Any

import tornado.ioloop


class OffLoop:
    """What the API handlers and the staff pages share to run blocking work: `await self.off_loop(work, *args)`."""

    async def off_loop(self, work: Any, *args: Any) -> Any:
        """Run blocking work (database, scrypt, rendering) off the event loop, in the default executor."""
        return await tornado.ioloop.IOLoop.current().run_in_executor(None, work, *args)
