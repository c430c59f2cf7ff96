"""Several server processes on the same listening sockets: fork the workers, restart one that dies, stop all on a signal.

Tornado's own `fork_processes` leaves the parent unable to stop its children cleanly or to stop the
embedded database after them; this small supervisor does both, and bounds restarts so a worker that
keeps crashing stops the server instead of looping.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from typing import Callable

from provisioner.child_processes import die_with_parent

log = logging.getLogger("provisioner.workers")

#: More restarts than this within RESTART_WINDOW seconds means something is wrong: stop everything.
MAX_RESTARTS = 5
RESTART_WINDOW = 60.0
STOP_GRACE = 10.0


class _Stop(Exception):
    """Raised in the supervisor by SIGTERM or SIGINT."""


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop()


def _fork(index: int, work: Callable[[int], int]) -> int:
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        die_with_parent(parent)
        status = work(index)
    except BaseException:  # noqa: BLE001 - a worker must never return into the supervisor's code
        log.exception("worker %d failed", index)
    finally:
        os._exit(status)


def supervise(count: int, work: Callable[[int], int], on_exit: Callable[[int], None] = lambda pid: None) -> int:
    """Run `work(index)` in `count` forked processes until SIGTERM or SIGINT; returns the exit status.

    `on_exit(pid)` is called for every worker that ends, to clean what it leaves behind.
    """
    children = {_fork(index, work): index for index in range(count)}
    restarts: list[float] = []
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    status = 0
    try:
        while children:
            pid, code = os.wait()
            index = children.pop(pid, None)
            if index is None:
                continue
            on_exit(pid)
            now = time.monotonic()
            restarts = [moment for moment in restarts if now - moment < RESTART_WINDOW] + [now]
            if len(restarts) > MAX_RESTARTS:
                log.error("workers keep dying (%d restarts in %.0f s); stopping", MAX_RESTARTS, RESTART_WINDOW)
                status = 1
                break
            log.warning("worker %d (pid %d) ended with status %d; starting it again", index, pid, os.waitstatus_to_exitcode(code))
            children[_fork(index, work)] = index
    except _Stop:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop_all(children)
    return status


def _stop_all(children: dict[int, int]) -> None:
    for pid in children:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + STOP_GRACE
    waiting = set(children)
    while waiting and time.monotonic() < deadline:
        for pid in list(waiting):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                waiting.discard(pid)
        time.sleep(0.05)
    for pid in waiting:
        log.warning("worker pid %d did not stop within %.0f s; killing it", pid, STOP_GRACE)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
