"""Queueing a re-sync request once its target is known: the target must name a record and the SIP core must be on.

Shared by POST /api/v1/resync and the staff page of devices behind on their configuration; the request is then
taken by the process running the SIP core (provisioner/resync_poller.py).
"""

from __future__ import annotations

from inventory.refusals import Refusal, because
from inventory.resync_requests import ResyncRequest, queue
from provisioner.resync_targets import Target, missing


class ResyncRefused(Refusal):
    """A request not queued: `status` 404 (the target names nothing) or 503 (no SIP core), and why
    (inventory/refusals.py)."""

    subject = "resync"


def queue_resync(target: Target, sip_enabled: bool, requested_by: str, request_id: str = "") -> ResyncRequest:
    """Queue a re-sync of `target` for `requested_by`; ResyncRefused when it names nothing or SIP is off."""
    why = missing(target)
    if why:
        raise ResyncRefused(404, because("no_device", why, mac=target.value) if target.kind == "device"
                            else because("no_site", why, id=target.value[:40]))
    if not sip_enabled:
        raise ResyncRefused(503, because("sip_off", "the SIP core is disabled on this server (sip.enabled: false): "
                                                    "no NOTIFY can be sent, so nothing was queued"))
    return queue(target.kind, target.value, requested_by, request_id)
