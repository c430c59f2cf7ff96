"""Staff endpoints to re-sync devices: queue a request (POST /api/v1/resync), follow it (GET /api/v1/resync/<id>).

The request is only queued here: the process running the SIP core (worker 0) takes it within about a second and
sends the NOTIFYs (provisioner/resync_poller.py), so any worker can answer.
"""

from __future__ import annotations

from typing import Any

from inventory.mac import normalize_mac
from inventory.resync_requests import ResyncRequest, find, summary
from provisioner.api.base import ApiError, BaseHandler
from provisioner.api.fields import Field
from provisioner.resync_queueing import ResyncRefused, queue_resync
from provisioner.resync_targets import Target

_TIME = Field("moment", "datetime").render
TARGET_FIELDS = ("device", "site", "out_of_date")
EXPECTED = 'send one of {"device": "<MAC>"}, {"site": "<site id>"} or {"out_of_date": true}'


def target_of(body: dict[str, Any]) -> Target:
    """The target a request body names, or a 400 saying what is wrong with it."""
    unknown = sorted(set(body) - set(TARGET_FIELDS))
    if unknown:
        raise ApiError(400, f"unknown field(s) {', '.join(unknown)}: {EXPECTED}",
                       {name: "unknown field" for name in unknown})
    named = [name for name in TARGET_FIELDS if name in body]
    if len(named) != 1:
        raise ApiError(400, f"{'no target' if not named else 'several targets: ' + ', '.join(named)}: {EXPECTED}")
    name, value = named[0], body[named[0]]
    if name == "out_of_date":
        if value is not True:
            raise ApiError(400, f"out_of_date must be true: {EXPECTED}", {name: "must be true"})
        return Target("out_of_date")
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, f"{name} must be a non-empty string: {EXPECTED}", {name: "a non-empty string"})
    if name == "device":
        try:
            return Target("device", normalize_mac(value))
        except ValueError as exc:
            raise ApiError(400, str(exc), {name: str(exc)}) from None
    return Target("site", value.strip())


def request_view(request: ResyncRequest) -> dict[str, Any]:
    """The JSON form of a request: its target, who asked, where it stands, and what every device answered."""
    results = request.results
    return {"id": str(request.pk), "target": {"kind": request.target_kind, "value": request.target},
            "requested_by": request.requested_by, "requested_at": _TIME(request.requested_at),
            "state": request.state, "taken_at": _TIME(request.taken_at), "done_at": _TIME(request.done_at),
            "attempts": request.attempts, "error": request.error, "devices": request.devices,
            "summary": summary(results), "results": [result.as_dict() for result in results]}


class ResyncHandler(BaseHandler):
    """POST: queue a re-sync of one device, a site's installed devices, or every device out of date (202)."""

    roles = ("support",)  # and admin, who may do everything
    route = "/api/v1/resync"

    def post(self) -> None:
        target = target_of(self.json_body())
        try:
            request = queue_resync(target, self.services.settings.sip.enabled,
                                   self.caller.username if self.caller else "", self.request_id)
        except ResyncRefused as refused:
            raise ApiError(refused.status, refused.message) from None
        self.set_header("Location", f"/api/v1/resync/{request.pk}")
        self.send(request_view(request), status=202)


class ResyncItemHandler(BaseHandler):
    """GET: a re-sync request: queued, taken or done, and the results written so far."""

    roles = ("support",)
    route = "/api/v1/resync/{id}"

    def get(self, request_id: str) -> None:
        request = find(request_id)
        if request is None:
            raise ApiError(404, f"no re-sync request with id {request_id[:40]!r}")
        self.send(request_view(request))
