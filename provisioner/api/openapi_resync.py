"""The OpenAPI description of the re-sync endpoints (provisioner/api/resync.py)."""

from __future__ import annotations

from typing import Any

from inventory.resync_requests import OUTCOMES, STATES, TARGET_KINDS
from provisioner.api.openapi_parts import NULLABLE_TIME, STRING, errors, ref

RESYNC_SCHEMAS: dict[str, Any] = {
    "ResyncTarget": {
        "type": "object", "additionalProperties": False, "minProperties": 1, "maxProperties": 1,
        "description": "Exactly one of: a device by MAC (any notation), a site by id (its installed and in-service "
                       "devices), or every device whose configuration changed since it last fetched it",
        "properties": {"device": {"type": "string", "minLength": 1, "maxLength": 40},
                       "site": {"type": "string", "minLength": 1, "maxLength": 64},
                       "out_of_date": {"type": "boolean", "enum": [True]}}},
    "ResyncRequest": {
        "type": "object", "required": ["id", "target", "requested_by", "requested_at", "state", "devices", "summary",
                                       "results"],
        "properties": {
            "id": STRING,
            "target": {"type": "object", "required": ["kind", "value"], "properties": {
                "kind": {"type": "string", "enum": list(TARGET_KINDS)},
                "value": {"type": "string", "description": "The MAC, the site's id, empty for out_of_date"}}},
            "requested_by": STRING, "requested_at": {"type": "string", "format": "date-time"},
            "state": {"type": "string", "enum": list(STATES)}, "taken_at": NULLABLE_TIME, "done_at": NULLABLE_TIME,
            "attempts": {"type": "integer", "description": "How many times a server process took it"},
            "error": {"type": "string", "description": "Why the request as a whole failed; empty when it did not"},
            "devices": {"type": "integer", "description": "Devices the target reached (known once taken)"},
            "summary": {"type": "object", "required": list(OUTCOMES),
                        "properties": {outcome: {"type": "integer"} for outcome in OUTCOMES}},
            "results": {"type": "array", "description": "Written as they come while taken; all of them once done",
                        "items": {"type": "object", "required": ["mac", "line", "contact", "outcome", "status",
                                                                 "reason"], "properties": {
                            "mac": STRING, "line": {"type": "string", "description": "The line's SIP user name"},
                            "contact": {"type": "string", "description": "The binding told, empty when none was"},
                            "outcome": {"type": "string", "enum": list(OUTCOMES)},
                            "status": {"type": "integer", "description": "The SIP status answered, 0 when nothing "
                                                                          "was sent"},
                            "reason": STRING}}}}},
}

RESYNC_PATHS: dict[str, Any] = {
    "/api/v1/resync": {"post": {
        "tags": ["provisioning"], "summary": "Have devices fetch their configuration again (SIP NOTIFY)",
        "operationId": "queue_resync",
        "description": "Queued here, sent within about a second by the server process running the SIP core, at most "
                       "50 lines at a time. Follow it at the Location given.",
        "requestBody": {"required": True, "content": {"application/json": {"schema": ref("ResyncTarget")}}},
        "responses": {"202": {"description": "Queued", "headers": {"Location": {"schema": STRING}},
                              "content": {"application/json": {"schema": ref("ResyncRequest")}}},
                      "503": {"description": "The SIP core is disabled on this server: nothing queued",
                              "content": {"application/json": {"schema": ref("Error")}}},
                      **errors("400", "401", "403", "404", "415")}}},
    "/api/v1/resync/{request_id}": {
        "parameters": [{"name": "request_id", "in": "path", "required": True, "schema": STRING}],
        "get": {"tags": ["provisioning"], "summary": "A re-sync request: where it stands and what each device answered",
                "operationId": "get_resync",
                "responses": {"200": {"description": "The request",
                                      "content": {"application/json": {"schema": ref("ResyncRequest")}}},
                              **errors("401", "403", "404")}}},
}
