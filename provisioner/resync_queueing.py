"""Queueing a re-sync request once its target is known: the target must name a record and the SIP core must be on.

Shared by POST /api/v1/resync and the staff page of devices behind on their configuration; the request is then
taken by the process running the SIP core (provisioner/resync_poller.py).
"""

from __future__ import annotations

from inventory.resync_requests import ResyncRequest, queue
from provisioner.resync_targets import Target, missing


class ResyncRefused(Exception):
    """A request not queued: `status` 404 (the target names nothing) or 503 (no SIP core), and why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def queue_resync(target: Target, sip_enabled: bool, requested_by: str, request_id: str = "") -> ResyncRequest:
    """Queue a re-sync of `target` for `requested_by`; ResyncRefused when it names nothing or SIP is off."""
    why = missing(target)
    if why:
        raise ResyncRefused(404, why)
    if not sip_enabled:
        raise ResyncRefused(503, "the SIP core is disabled on this server (sip.enabled: false): no NOTIFY can be "
                                 "sent, so nothing was queued")
    return queue(target.kind, target.value, requested_by, request_id)
