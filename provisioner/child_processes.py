"""Ties between our processes and their children: liveness checks, dying with the parent, and stopping.

Linux's parent-death signal makes a child (the embedded database, a server worker) stop when the
process that started it dies, even by SIGKILL, so a crash never leaves orphans holding files or ports.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

_PR_SET_PDEATHSIG = 1


def pid_alive(pid: Any) -> bool:
    """True if `pid` names a running process (zombies count as dead)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (not Linux): trust kill(0)
    return stat.rpartition(")")[2].split()[0] != "Z"


def die_with_parent_hook() -> Any:
    """A preexec_fn that makes the child get SIGTERM when we die (Linux only).

    The kernel sends the signal when the *thread* that forked exits, so start
    the database from a long-lived thread (the main one).
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before fork
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
        if os.getppid() != parent:  # we died between fork and prctl
            os._exit(1)

    return preexec


def terminate(pid: int, grace: float) -> None:
    """SIGTERM `pid`, then SIGKILL it if it still runs after `grace` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and pid_alive(pid):
            time.sleep(0.05)
        if not pid_alive(pid):
            return


def die_with_parent(parent: int) -> None:
    """In a freshly forked worker: be killed when `parent` dies; exit now if it already has (Linux only).

    SIGKILL, not SIGTERM: a supervisor that died crashed, and a worker stuck waiting on a database that does
    not answer would never get to handle SIGTERM, keeping the ports the next start needs.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))
    if os.getppid() != parent:
        os._exit(1)
