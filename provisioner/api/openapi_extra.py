"""The OpenAPI description of the endpoints that are not record collections: sessions, tokens, events, uploads, operations."""

from __future__ import annotations

from typing import Any

from inventory.lifecycle_inputs import INPUTS
from provisioner.api.openapi_parts import KEY, NULLABLE_TIME, STRING, STRINGS, errors, json_body, ref
from sip_core.call_records import Outcome


def _ok(schema: str, description: str, status: str = "200") -> dict[str, Any]:
    return {status: {"description": description, "content": {"application/json": {"schema": ref(schema)}}}}


_INPUT_SCHEMAS = {
    "text": STRING, "choice": STRING, "text_list": {"type": "array", "items": STRING, "maxItems": 64},
    "date": {"type": "string", "format": "date"}, "datetime": {"type": "string", "format": "date-time"},
    "amount": {"type": "integer", "minimum": 0}, "ref": {"type": "string", "pattern": "^[0-9a-f]{24}$"},
    "ref_list": {"type": "array", "items": {"type": "string", "pattern": "^[0-9a-f]{24}$"}, "maxItems": 64},
}


def _input_schema(name: str) -> dict[str, Any]:
    spec = INPUTS[name]
    schema = {**_INPUT_SCHEMAS[spec.kind], "description": spec.description}
    if spec.choices:
        schema["enum"] = list(spec.choices)
    return schema


_MOVE_ROW = {"type": "object", "required": ["name", "from", "to", "roles", "requires", "optional", "summary"],
             "properties": {"name": STRING, "from": STRINGS, "to": {"type": "string", "nullable": True},
                            "roles": STRINGS, "requires": STRINGS, "optional": STRINGS,
                            "ownership": {"type": "string", "nullable": True}, "summary": STRING}}
_CHARGE = {"type": "object", "required": ["id", "reason", "amount_cents"], "properties": {
    "id": STRING, "reason": STRING, "amount_cents": {"type": "integer"}, "move": STRING, "event": STRING}}

OTHER_SCHEMAS: dict[str, Any] = {
    "Login": {"type": "object", "required": ["username", "password"], "additionalProperties": False,
              "properties": {"username": STRING, "password": STRING}},
    "Me": {"type": "object", "required": ["id", "username", "roles"], "properties": {
        "id": STRING, "username": STRING, "display_name": STRING,
        "roles": {"type": "array", "items": STRING}, "language": STRING, "must_change_password": {"type": "boolean"}}},
    "PasswordChange": {"type": "object", "required": ["current_password", "new_password"], "additionalProperties": False,
                       "properties": {"current_password": STRING, "new_password": STRING}},
    "TokenRequest": {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 80},
        "expires_in_days": {"type": "integer", "minimum": 1, "maximum": 3650}}},
    "Token": {"type": "object", "required": ["id", "name", "hint", "revoked"], "properties": {
        "id": STRING, "name": STRING, "hint": STRING, "user": STRING, "created_at": NULLABLE_TIME,
        "expires_at": NULLABLE_TIME, "last_used_at": NULLABLE_TIME, "revoked": {"type": "boolean"},
        "token": {"type": "string", "description": "Only in the answer to its creation"}}},
    "TokenList": {"type": "object", "required": ["items", "total"], "properties": {
        "items": {"type": "array", "items": ref("Token")}, "total": {"type": "integer"}}},
    "Event": {"type": "object", "required": ["id", "at", "actor", "action", "collection", "object_id"], "properties": {
        "id": STRING, "at": {"type": "string", "format": "date-time"}, "actor": STRING, "action": STRING,
        "collection": STRING, "object_id": STRING, "before": {"type": "object"}, "after": {"type": "object"},
        "request_id": STRING, "source": STRING}},
    "EventList": {"type": "object", "required": ["items", "total", "page", "per_page"], "properties": {
        "items": {"type": "array", "items": ref("Event")}, "total": {"type": "integer"},
        "page": {"type": "integer"}, "per_page": {"type": "integer"}}},
    "Preview": {"type": "object", "required": ["file", "files", "revision", "content_type", "masked", "content"],
                "properties": {"file": STRING, "files": {"type": "array", "items": STRING}, "revision": STRING,
                               "content_type": STRING, "masked": {"type": "boolean"}, "content": STRING}},
    "OutdatedList": {"type": "object", "required": ["items", "checked", "next"], "properties": {
        "items": {"type": "array", "items": {"type": "object", "required": ["equipment", "mac", "current_revision"],
                                             "properties": {
            "equipment": STRING, "mac": STRING, "vendor": STRING, "model": STRING, "file": STRING,
            "current_revision": STRING, "fetched_revision": {"type": "string", "nullable": True},
            "fetched_at": NULLABLE_TIME}}},
        "checked": {"type": "integer", "description": "Devices that may be behind checked on this page"},
        "next": {"type": "string", "nullable": True, "description": "?from= of the next page; null at the end"}}},
    "QuarantineList": {"type": "object", "required": ["items", "total", "page", "per_page"], "properties": {
        "items": {"type": "array", "items": {"type": "object", "required": ["id", "mac"], "properties": {
            "id": STRING, "mac": STRING, "vendor": STRING, "model": STRING, "firmware": STRING,
            "source": STRING, "first_seen": {"type": "string", "format": "date-time"},
            "last_seen": {"type": "string", "format": "date-time"}, "requests": {"type": "integer"}}}},
        "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"}}},
    "Claim": {"type": "object", "required": ["serial"], "additionalProperties": False, "properties": {
        "serial": {"type": "string", "maxLength": 64}, "model": {"type": "string", "maxLength": 40},
        "ownership": {"type": "string", "enum": ["lent", "sold"]}, "notes": {"type": "string", "maxLength": 2000}}},
    "Claimed": {"type": "object", "required": ["equipment", "mac", "serial"], "properties": {
        "equipment": STRING, "mac": STRING, "vendor": STRING, "model": STRING, "serial": STRING, "state": STRING}},
    "LifecycleTable": {"type": "object", "required": ["states", "moves", "records", "inputs"], "properties": {
        "states": STRINGS, "moves": {"type": "array", "items": _MOVE_ROW},
        "records": {"type": "array", "items": _MOVE_ROW, "description": "Facts recorded without a change of state"},
        "inputs": {"type": "object", "additionalProperties": {"type": "object", "properties": {
            "kind": STRING, "description": STRING, "choices": STRINGS}}}}},
    "AllowedMoves": {"type": "object", "required": ["id", "state", "version", "moves"], "properties": {
        "id": STRING, "serial": STRING, "state": STRING, "version": {"type": "integer"},
        "moves": {"type": "array", "items": _MOVE_ROW}}},
    "MoveInputs": {"type": "object", "description": "The inputs the move requires or allows (GET /api/v1/lifecycle)",
                   "properties": {name: _input_schema(name) for name in INPUTS}},
    "MoveDone": {"type": "object", "required": ["move", "repeated", "item", "charges"], "properties": {
        "move": STRING, "repeated": {"type": "boolean", "description": "Done earlier under the same Idempotency-Key"},
        "event": {"type": "string", "nullable": True}, "item": ref("Equipment"),
        "charges": {"type": "array", "items": _CHARGE}}},
    "MoveRefused": {"type": "object", "required": ["status", "error", "message", "state", "allowed"], "properties": {
        "status": {"type": "integer"}, "error": STRING, "message": STRING, "state": STRING, "allowed": STRINGS,
        "fields": {"type": "object", "additionalProperties": STRING}, "request_id": STRING}},
    "ScanBatch": {"type": "object", "required": ["scans", "batch_key"], "additionalProperties": False, "properties": {
        "scans": {"type": "array", "minItems": 1, "maxItems": 500,
                  "items": {"type": "string", "minLength": 1, "maxLength": 100},
                  "description": "Serials, MACs (any notation) or label QR codes (EQ:<serial>)"},
        "inputs": ref("MoveInputs"),
        "batch_key": {**KEY, "description": "The same when the batch is sent again: each item's idempotency key "
                                             "is batch_key:scan"}}},
    "ScanResults": {"type": "object", "required": ["move", "results", "done", "refused"], "properties": {
        "move": STRING, "done": {"type": "integer"}, "refused": {"type": "integer"},
        "results": {"type": "array", "items": {"type": "object", "required": ["scan", "item", "ok", "status", "message"],
                                               "properties": {
            "scan": STRING, "item": {"type": "string", "nullable": True}, "serial": STRING, "ok": {"type": "boolean"},
            "repeated": {"type": "boolean"}, "status": {"type": "integer"}, "message": STRING,
            "state": {"type": "string", "nullable": True}, "version": {"type": "integer"}, "allowed": STRINGS,
            "fields": {"type": "object", "additionalProperties": STRING},
            "charges": {"type": "array", "items": _CHARGE}}}}}},
    "StockImported": {"type": "object", "required": ["rows", "imported", "already_imported", "dry_run"], "properties": {
        "rows": {"type": "integer", "description": "Data rows in the file"},
        "imported": {"type": "integer", "description": "Items written (a dry run: items that would be)"},
        "already_imported": {"type": "integer",
                             "description": "Rows whose item is stored already with the same serial, MAC, vendor "
                                            "and model"},
        "dry_run": {"type": "boolean"}}},
    "StockRefused": {"type": "object", "required": ["status", "error", "message", "rows"], "properties": {
        "status": {"type": "integer"}, "error": STRING, "message": STRING, "request_id": STRING,
        "rows": {"type": "array", "description": "One entry per problem; empty when the file as a whole is refused "
                                                 "(encoding, header, not CSV)",
                 "items": {"type": "object", "required": ["line", "field", "problem"], "properties": {
                     "line": {"type": "integer"}, "field": STRING, "problem": STRING}}}}},
    "Health": {"type": "object", "required": ["status", "database"], "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded"]}, "database": STRING,
        "database_ms": {"type": "number"}, "uptime_s": {"type": "number"}}},
}

_EVENT_FILTERS = [{"name": n, "in": "query", "schema": {"type": "string", "maxLength": 100}}
                  for n in ("collection", "object_id", "actor", "request_id")]
_PAGING = [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000000}},
           {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}]

OTHER_PATHS: dict[str, Any] = {
    "/api/v1/session": {
        "post": {"tags": ["session"], "summary": "Sign in; sets the session cookie", "operationId": "sign_in",
                 "security": [], "requestBody": json_body("Login"),
                 "responses": {**_ok("Me", "Signed in"), **errors("400", "401", "415", "422")}},
        "delete": {"tags": ["session"], "summary": "Sign out", "operationId": "sign_out", "security": [],
                   "responses": {"204": {"description": "Signed out"}, **errors("403")}},
    },
    "/api/v1/me": {"get": {"tags": ["session"], "summary": "Who am I", "operationId": "me",
                           "responses": {**_ok("Me", "The signed-in member of staff"), **errors("401")}}},
    "/api/v1/me/password": {"post": {
        "tags": ["session"], "summary": "Change one's own password", "operationId": "change_password",
        "requestBody": json_body("PasswordChange"),
        "responses": {**_ok("Me", "Changed; other sessions are ended"), **errors("400", "401", "415", "422")}}},
    "/api/v1/tokens": {
        "get": {"tags": ["tokens"], "summary": "List API tokens (own; all for admin)", "operationId": "list_tokens",
                "responses": {**_ok("TokenList", "Tokens, never their secret"), **errors("401", "403")}},
        "post": {"tags": ["tokens"], "summary": "Issue a token (shown once)", "operationId": "create_token",
                 "requestBody": json_body("TokenRequest"),
                 "responses": {**_ok("Token", "Issued", "201"), **errors("400", "401", "403", "415", "422")}},
    },
    "/api/v1/tokens/{token_id}": {
        "parameters": [{"name": "token_id", "in": "path", "required": True, "schema": STRING}],
        "delete": {"tags": ["tokens"], "summary": "Revoke a token at once", "operationId": "revoke_token",
                   "responses": {"204": {"description": "Revoked"}, **errors("401", "403", "404")}}},
    "/api/v1/events": {"get": {
        "tags": ["events"], "summary": "The append-only event log", "operationId": "list_events",
        "parameters": _PAGING + _EVENT_FILTERS,
        "responses": {**_ok("EventList", "Events, newest first"), **errors("400", "401", "403")}}},
    "/api/v1/openapi.json": {"get": {
        "tags": ["operations"], "summary": "This description", "operationId": "openapi",
        "responses": {"200": {"description": "The OpenAPI 3 document",
                              "content": {"application/json": {"schema": {"type": "object"}}}},
                      **errors("401", "403")}}},
    "/api/v1/equipment/{record_id}/configuration": {
        "parameters": [{"name": "record_id", "in": "path", "required": True, "schema": STRING}],
        "get": {"tags": ["provisioning"], "summary": "A device's file exactly as served (secrets masked unless admin)",
                "operationId": "preview_configuration",
                "parameters": [{"name": "file", "in": "query", "schema": {"type": "string", "maxLength": 128}}],
                "responses": {**_ok("Preview", "The rendered file"), **errors("401", "403", "404")}}},
    "/api/v1/provisioning/outdated": {"get": {
        "tags": ["provisioning"], "summary": "Devices whose configuration changed since their last fetch",
        "operationId": "list_outdated",
        "description": "A page checks per_page devices that may be behind and lists those that are; it may list "
                       "none before the end. Follow `next` until it is null.",
        "parameters": [{"name": "from", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]+-[0-9]+$"}},
                       {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
        "responses": {**_ok("OutdatedList", "Devices to re-sync"), **errors("400", "401", "403")}}},
    "/api/v1/quarantine": {"get": {
        "tags": ["provisioning"], "summary": "Devices that asked without being in the inventory",
        "operationId": "list_quarantine", "parameters": _PAGING,
        "responses": {**_ok("QuarantineList", "Latest first"), **errors("400", "401", "403")}}},
    "/api/v1/quarantine/{entry_id}/claim": {
        "parameters": [{"name": "entry_id", "in": "path", "required": True, "schema": STRING}],
        "post": {"tags": ["provisioning"], "summary": "Take a quarantined device into stock",
                 "operationId": "claim_quarantined", "requestBody": json_body("Claim"),
                 "responses": {**_ok("Claimed", "Now equipment in stock", "201"),
                               **errors("400", "401", "403", "404", "409", "415", "422")}}},
    "/api/v1/firmware-uploads": {"put": {
        "tags": ["firmware"], "summary": "Upload a firmware image (admin); stored only if its SHA-256 matches",
        "operationId": "upload_firmware",
        "description": "The body is the image's bytes, streamed to disk. Nothing is stored when the digest, the "
                       "size limit or the description is refused.",
        "parameters": [
            {"name": "vendor", "in": "query", "required": True, "schema": STRING},
            {"name": "firmware_version", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 64}},
            {"name": "filename", "in": "query", "required": True,
             "schema": {"type": "string", "maxLength": 128, "pattern": "^[A-Za-z0-9_][A-Za-z0-9._-]*$"},
             "description": "The name phones fetch it by (GET /firmware/<filename>)"},
            {"name": "models", "in": "query", "required": True, "schema": STRING,
             "description": "Catalogue models of the vendor, comma-separated"},
            {"name": "pinned", "in": "query", "schema": {"type": "boolean"},
             "description": "Serve it to those models at once (refused if one already has a pinned image)"},
            {"name": "comment", "in": "query", "schema": {"type": "string", "maxLength": 500}},
            {"name": "sha256", "in": "query", "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
             "description": "The expected SHA-256, if not in the X-Checksum-SHA256 header"},
            {"name": "X-Checksum-SHA256", "in": "header", "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
             "description": "The expected SHA-256 of the body"},
        ],
        "requestBody": {"required": True, "content": {"application/octet-stream": {
            "schema": {"type": "string", "format": "binary"}}}},
        "responses": {**_ok("Firmware", "Stored and recorded", "201"),
                      **errors("400", "401", "403", "409", "413", "422")}}},
    "/api/v1/equipment/{record_id}/label.png": {
        "parameters": [{"name": "record_id", "in": "path", "required": True, "schema": STRING}],
        "get": {"tags": ["labels"], "summary": "An item's label: QR code (EQ:<serial>), serial, MAC, vendor and model",
                "operationId": "equipment_label",
                "description": "A 1-bit PNG for a 62 x 29 mm thermal label, at the printer's resolution.",
                "parameters": [{"name": "dpi", "in": "query",
                                "schema": {"type": "integer", "minimum": 150, "maximum": 600, "default": 300}}],
                "responses": {"200": {"description": "The label",
                                      "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
                              **errors("400", "401", "403", "404")}}},
    "/api/v1/labels.pdf": {"get": {
        "tags": ["labels"], "summary": "Sticker sheets of equipment labels (PDF)", "operationId": "label_sheets",
        "description": "Name the items with exactly one of ids, site or state; at most 500 a request. A page holds "
                       "columns x rows labels (3 x 8 of 70 x 37 mm on A4 by default).",
        "parameters": [
            {"name": "ids", "in": "query", "schema": {"type": "string"},
             "description": "Equipment ids, comma-separated, printed in this order"},
            {"name": "site", "in": "query", "schema": STRING, "description": "Every item at this site, by serial"},
            {"name": "state", "in": "query", "schema": STRING,
             "description": "Every item in this lifecycle state (such as in_stock), by serial"},
            {"name": "page", "in": "query", "schema": {"type": "string", "enum": ["A4", "Letter"], "default": "A4"}},
            {"name": "columns", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3}},
            {"name": "rows", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 30, "default": 8}},
        ],
        "responses": {"200": {"description": "One page per sheet of labels",
                              "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                      **errors("400", "401", "403", "404")}}},
    "/api/v1/lifecycle": {"get": {
        "tags": ["lifecycle"], "summary": "The lifecycle table: states, moves, who may run them, their inputs",
        "operationId": "lifecycle_table",
        "responses": {**_ok("LifecycleTable", "The table"), **errors("401", "403")}}},
    "/api/v1/equipment/{record_id}/moves": {
        "parameters": [{"name": "record_id", "in": "path", "required": True, "schema": STRING}],
        "get": {"tags": ["lifecycle"], "summary": "The moves you may run on an item now",
                "operationId": "allowed_moves",
                "responses": {**_ok("AllowedMoves", "The item's state and its moves"), **errors("401", "403", "404")}}},
    "/api/v1/equipment/{record_id}/transitions/{move}": {
        "parameters": [{"name": "record_id", "in": "path", "required": True, "schema": STRING},
                       {"name": "move", "in": "path", "required": True, "schema": STRING}],
        "post": {"tags": ["lifecycle"], "summary": "Run one move on an item", "operationId": "run_move",
                 "description": "One conditional write of the item with its event. Sent again with the same "
                                "Idempotency-Key, the move is not made twice: the answer says repeated. 400: the "
                                "body is not a JSON object, or a header (If-Match, Idempotency-Key) is malformed; "
                                "422: an input is unknown, of the wrong type or format, missing, or refused (a time "
                                "in the future, a record that does not exist), one line per input in `fields`. "
                                "Nothing is written.",
                 "parameters": [
                     {"name": "Idempotency-Key", "in": "header", "schema": KEY,
                      "description": "The same on a retry: the move is made once"},
                     {"name": "If-Match", "in": "header", "schema": STRING,
                      "description": "The version read, such as \"3\"; 409 if the item moved on"}],
                 "requestBody": json_body("MoveInputs"),
                 "responses": {**_ok("MoveDone", "Done (or done before under the same key)"),
                               "409": {"description": "Not possible from the item's state (or it changed meanwhile)",
                                       "content": {"application/json": {"schema": ref("MoveRefused")}}},
                               **errors("400", "401", "403", "404", "415", "422")}}},
    "/api/v1/scans/{move}": {
        "parameters": [{"name": "move", "in": "path", "required": True, "schema": STRING}],
        "post": {"tags": ["lifecycle"], "summary": "One move on a batch of scanned items (up to 500)",
                 "operationId": "scan_batch",
                 "description": "Every item that may move does; the others are reported one by one. Sending the "
                                "same batch again (same batch_key) moves nothing twice.",
                 "requestBody": json_body("ScanBatch"),
                 "responses": {**_ok("ScanResults", "One result per scan, in order"),
                               **errors("400", "401", "403", "404", "415", "422")}}},
    "/api/v1/stock-imports": {"post": {
        "tags": ["lifecycle"], "summary": "Receive stock from a CSV file: every row checked, all written or none",
        "operationId": "import_stock",
        "description": "Columns serial, mac, vendor, model, ownership (lent or sold), optionally notes; header names in "
                       "any case, separated by ',' or ';'; UTF-8 with or without BOM. At most 1 MiB (about 15,000 "
                       "rows). Rows already imported (same serial, MAC, vendor and model) are skipped, so the same "
                       "file can be sent again. Items start in_stock.",
        "parameters": [
            {"name": "dry_run", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]},
             "description": "true: check and report only, write nothing"},
            {"name": "filename", "in": "query", "schema": {"type": "string", "maxLength": 100},
             "description": "The file's name, for the event log's source (default upload.csv)"}],
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}},
        "responses": {**_ok("StockImported", "Imported (or, dry run, could be)"),
                      "422": {"description": "Some rows are not valid, or the file cannot be read: nothing written",
                              "content": {"application/json": {"schema": ref("StockRefused")}}},
                      **errors("400", "401", "403", "413", "415")}}},
    "/healthz": {"get": {"tags": ["operations"], "summary": "Health", "operationId": "health", "security": [],
                         "responses": {**_ok("Health", "The database answers"),
                                       "503": {"description": "The database does not answer",
                                               "content": {"application/json": {"schema": ref("Health")}}}}}},
    "/metrics": {"get": {"tags": ["operations"], "summary": "Prometheus metrics", "operationId": "metrics",
                         "responses": {"200": {"description": "Prometheus text format",
                                               "content": {"text/plain": {"schema": STRING}}},
                                       **errors("401", "403")}}},
}

# -- reports and histories (provisioner/api/reports.py) -------------------------------------------------

OTHER_SCHEMAS["Report"] = {
    "type": "object", "required": ["report", "parameters", "columns", "items", "total"], "properties": {
        "report": STRING, "parameters": {"type": "object"}, "columns": STRINGS,
        "items": {"type": "array", "items": {"type": "object", "description": "One row: a value per column"}},
        "total": {"type": "integer"}}}
_REPORT_OUTPUT = [
    {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"}},
    {"name": "excel", "in": "query", "schema": {"type": "string", "enum": ["0", "1"], "default": "0"},
     "description": "CSV for a French Excel: UTF-8 BOM and ';' between fields"}]
_DAYS = {"name": "within_days", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 366, "default": 30}}


def _report(operation: str, summary: str, parameters: list[dict[str, Any]], *codes: str) -> dict[str, Any]:
    return {"get": {"tags": ["reports"], "summary": summary, "operationId": operation,
                    "parameters": parameters + _REPORT_OUTPUT,
                    "responses": {"200": {"description": "The report, as JSON or CSV (a header row, then one line a row)",
                                          "content": {"application/json": {"schema": ref("Report")},
                                                      "text/csv": {"schema": STRING}}},
                                  **errors("400", "401", "403", *codes)}}}


def _history(operation: str, summary: str, name: str) -> dict[str, Any]:
    return {"parameters": [{"name": name, "in": "path", "required": True, "schema": STRING}],
            **_report(operation, summary, _PAGING, "404")}


OTHER_PATHS.update({
    "/api/v1/reports/overdue-returns": _report(
        "report_overdue_returns", "Lent items late back: due on a day that is over, overdue, or in repossession", []),
    "/api/v1/reports/replacements": _report(
        "report_replacements", "Failed items whose replacement has not shipped: at risk or past the 72 hours",
        [{"name": "at_risk_hours", "in": "query",
          "schema": {"type": "integer", "minimum": 1, "maximum": 72, "default": 12}}]),
    "/api/v1/reports/warranties": _report("report_warranties", "Sold items whose warranty ends soon", [_DAYS]),
    "/api/v1/reports/states": _report(
        "report_states", "Items by state per site or per customer",
        [{"name": "by", "in": "query", "schema": {"type": "string", "enum": ["site", "customer"], "default": "site"}}]),
    "/api/v1/reports/insurance": _report(
        "report_insurance", "Sites holding lent equipment without valid insurance, or with cover ending soon",
        [_DAYS]),
    "/api/v1/history/equipment/{record_id}": _history("history_equipment", "Every event of one item", "record_id"),
    "/api/v1/history/customers/{record_id}": _history(
        "history_customer", "Every event of one customer's records (sites, contracts, lines, equipment...)",
        "record_id"),
    "/api/v1/history/users/{username}": _history(
        "history_user", "Every change one member of staff made (admin only)", "username"),
})

# -- call records and fair use (provisioner/api/call_records.py) ---------------------------------------

_RECORD_ID = {"type": "string", "pattern": "^[0-9a-f]{24}$"}
_DAY = {"type": "string", "format": "date"}
OTHER_PATHS.update({
    "/api/v1/call-records": _report(
        "list_call_records", "Call records, newest first, by calling line, site or customer, outcome and days",
        [{"name": "line", "in": "query", "schema": _RECORD_ID, "description": "The calling line"},
         {"name": "site", "in": "query", "schema": _RECORD_ID, "description": "The calling line's site"},
         {"name": "customer", "in": "query", "schema": _RECORD_ID, "description": "The calling line's customer"},
         {"name": "outcome", "in": "query", "schema": {"type": "string", "enum": [outcome.value for outcome in Outcome]}},
         {"name": "from", "in": "query", "schema": _DAY, "description": "First day (calendar.timezone), included"},
         {"name": "to", "in": "query", "schema": _DAY, "description": "Last day (calendar.timezone), included"},
         {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000000}},
         {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000,
                                                          "default": 100}}]),
    "/api/v1/reports/fair-use": _report(
        "report_fair_use", "Lines that called more than the threshold of distinct numbers in a month (clause 7.2c)",
        [{"name": "month", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"},
          "description": "A Paris calendar month, the current one by default"},
         {"name": "threshold", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 10000,
                                                           "default": 150}}]),
})
