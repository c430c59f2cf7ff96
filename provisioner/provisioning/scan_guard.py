"""Counting provisioning misses per source address, and blocking a source that misses too often.

A scanner guessing MAC addresses misses on almost every request, so it is blocked after a few; a
customer site's phones behind one NAT address ask for their own files, which are excused by the caller,
so the site is never blocked by its own phones. Counts live in each server process's memory, shared by
its front ends (the IOLoop's HTTP and the TFTP thread), hence the lock.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from typing import Callable

MAX_MISSES = 20
WINDOW_SECONDS = 60.0
BLOCK_SECONDS = 600.0
#: Sources remembered at most; the longest-idle are forgotten first, so a spray of addresses cannot exhaust memory.
MAX_SOURCES = 100_000


class ScanGuard:
    """Misses per source in a sliding window; MAX_MISSES within it blocks the source for BLOCK_SECONDS."""

    def __init__(self, max_misses: int = MAX_MISSES, window: float = WINDOW_SECONDS, block: float = BLOCK_SECONDS,
                 clock: Callable[[], float] = time.monotonic, max_sources: int = MAX_SOURCES):
        self.max_misses, self.window, self.block, self.clock, self.max_sources = max_misses, window, block, clock, max_sources
        self._misses: OrderedDict[str, deque[float]] = OrderedDict()
        self._blocked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def blocked(self, source: str) -> bool:
        """Whether requests from `source` are refused without being looked at."""
        with self._lock:
            until = self._blocked_until.get(source)
            if until is None:
                return False
            if until <= self.clock():
                del self._blocked_until[source]
                return False
            return True

    def miss(self, source: str) -> bool:
        """Count one miss from `source`; returns whether the source is now blocked."""
        with self._lock:
            now = self.clock()
            times = self._misses.pop(source, None) or deque()
            times.append(now)
            while times and times[0] <= now - self.window:
                times.popleft()
            self._misses[source] = times
            if len(self._misses) > self.max_sources:
                self._misses.popitem(last=False)
            if len(times) >= self.max_misses:
                self._blocked_until[source] = now + self.block
                del self._misses[source]
                if len(self._blocked_until) > self.max_sources:
                    self._blocked_until.pop(next(iter(self._blocked_until)))
                return True
            return False
