"""Writes handed over by the event loop and made by a thread, a batch at a time: the loop never waits on the database.

`put(key, value)` only queues (a later value for the same key replaces the one waiting); every `interval`
seconds a thread hands what waits to `write` in one call. A batch the database refused for a passing reason
(not reachable, timed out) waits for the next flush, behind anything newer for the same keys; documents the
database rejects one by one (a bulk write's write errors) are dropped and logged. `close()` writes what is left.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Generic, Hashable, TypeVar

from pymongo.errors import BulkWriteError, PyMongoError

log = logging.getLogger("provisioner.write_behind")

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class WriteBehind(Generic[K, V]):
    """A queue of pending writes by key, flushed by its own thread every `interval` seconds."""

    def __init__(self, write: Callable[[dict[K, V]], None], name: str, interval: float = 0.1,
                 max_pending: int = 100_000):
        self.write, self.name, self.interval, self.max_pending = write, name, interval, max_pending
        self.dropped = 0  # values refused because too many were waiting, or rejected by the database
        self._pending: dict[K, V] = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one flush at a time (the thread's, close()'s, a test's)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the flushing thread."""
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def put(self, key: K, value: V) -> None:
        """Queue `value` under `key`, replacing a value still waiting there; never blocks on the database."""
        with self._lock:
            if key not in self._pending and len(self._pending) >= self.max_pending:
                self.dropped += 1
                return
            self._pending[key] = value

    def pending(self) -> int:
        """How many writes wait."""
        with self._lock:
            return len(self._pending)

    def flush(self) -> int:
        """Write what waits, in one call; how many were written (0 when the database failed: they wait)."""
        with self._flush_lock:
            with self._lock:
                batch, self._pending = self._pending, {}
            if not batch:
                return 0
            try:
                self.write(batch)
            except BulkWriteError as exc:
                errors = exc.details.get("writeErrors", [])
                self.dropped += len(errors)
                log.warning("%s: %d of %d writes rejected by the database and dropped (first: %s)", self.name,
                            len(errors), len(batch), errors[0].get("errmsg") if errors else "-")
                return len(batch) - len(errors)
            except PyMongoError as exc:
                with self._lock:
                    self._pending = {**batch, **self._pending}  # newer values queued meanwhile win
                log.warning("%s: %d writes not made yet, tried again shortly: %s", self.name, len(batch), exc)
                return 0
            return len(batch)

    def close(self, timeout: float = 10.0) -> None:
        """Stop the thread after a last flush (or flush here if it never started)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        else:
            self.flush()
        left = self.pending()
        if left:
            log.warning("%s: %d writes lost at stop (the database did not take them)", self.name, left)

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            self._flush_quietly()
        self._flush_quietly()

    def _flush_quietly(self) -> None:
        try:
            self.flush()
        except Exception:  # noqa: BLE001 - the thread must outlive a bug in one batch; it is logged with its trace
            log.exception("%s: writing a batch failed", self.name)
