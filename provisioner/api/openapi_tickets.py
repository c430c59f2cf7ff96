"""The OpenAPI description of the failure tickets' endpoints (provisioner/api/tickets.py), and of what clause 4
and 5 cost: the credits due and a contract's terms (provisioner/api/contract_terms.py)."""

from __future__ import annotations

from typing import Any

from inventory import ticket_rules
from inventory.ticket_deadlines import TARGET_STATUSES
from provisioner.api.openapi_parts import ID, KEY, NULLABLE_TIME, STRING, TIME, errors, json_answer, ref
from provisioner.api.tickets import LIST_TARGETS

_TEXT = {"type": "string", "nullable": True}


_ETAG = {"ETag": {"schema": STRING, "description": "The ticket's version, for If-Match"}}
_MOVES = [*ticket_rules.MOVES, *ticket_rules.RECORDS]

TICKET_SCHEMAS: dict[str, Any] = {
    "TicketCreate": {
        "type": "object", "additionalProperties": False, "required": list(ticket_rules.OPENING_REQUIRED),
        "properties": {
            "customer": ID, "site": {**ID, "description": "A site of the customer: its département counts the "
                                                            "deadlines"},
            "equipment": {**ID, "nullable": True,
                          "description": "The failed device, at the site: its failure is noted through the lifecycle "
                                         "(72-hour replacement) unless it is failed already; required for the "
                                         "service equipment"},
            "service": {"type": "string", "enum": list(ticket_rules.SERVICES)},
            "channel": {"type": "string", "enum": list(ticket_rules.CHANNELS)},
            "notified_at": {**TIME, "description": "When the notification was received (or the failure detected); "
                                                    "may be past, never future"},
            "description": {"type": "string", "minLength": 1, "maxLength": ticket_rules.TEXT_LIMIT}}},
    "TicketInputs": {
        "type": "object", "additionalProperties": False,
        "description": "The transition's inputs: " + "; ".join(
            f"{move.name} needs {', '.join(move.requires) or 'nothing'}"
            + (f" and may take {', '.join(move.optional)}" if move.optional else "")
            for move in [*ticket_rules.MOVES.values(), *ticket_rules.RECORDS.values()]),
        "properties": {name: ({**TIME, "description": spec.description} if spec.kind == "datetime" else
                              {"type": "string", "maxLength": ticket_rules.TEXT_LIMIT, "description": spec.description,
                               **({"enum": list(spec.choices)} if spec.choices else {})})
                       for name, spec in ticket_rules.INPUTS.items()}},
    "Ticket": {
        "type": "object", "required": ["id", "number", "version", "state", "target", "restoration_due_at"],
        "properties": {
            "id": ID, "number": {"type": "string", "description": "The notification number, INC-<year>-<nnnnnn>"},
            "version": {"type": "integer"}, "state": {"type": "string", "enum": list(ticket_rules.STATES)},
            "customer": ID, "site": ID, "equipment": {**ID, "nullable": True},
            "service": {"type": "string", "enum": list(ticket_rules.SERVICES)},
            "channel": {"type": "string", "enum": list(ticket_rules.CHANNELS)},
            "notified_at": TIME, "description": STRING, "opened_by": STRING,
            "restoration_due_at": {**TIME, "description": "The 4-hour restoration target"},
            "minutes_left": {"type": "integer", "nullable": True,
                             "description": "Before the target, counted as it is (business hours by default); "
                                            "negative once past; null once restored or closed"},
            "target": {"type": "string", "enum": list(TARGET_STATUSES)},
            "gives_credit": {"type": "boolean", "description": "False when excused or closed for want of an answer"},
            "taken_at": NULLABLE_TIME, "waiting_since": NULLABLE_TIME, "waiting_for": _TEXT,
            "auto_close_at": {**NULLABLE_TIME, "description": "When a ticket waiting on the customer closes itself"},
            "restored_at": {**NULLABLE_TIME, "description": "The confirmed restoration"},
            "restoration_confirmation": _TEXT, "reopen_reason": _TEXT, "closed_at": NULLABLE_TIME,
            "closing_reason": _TEXT, "excuse": {"type": "string", "enum": list(ticket_rules.EXCUSES), "nullable": True},
            "excuse_note": _TEXT, "created_at": NULLABLE_TIME, "updated_at": NULLABLE_TIME,
            "equipment_replacement": {
                "type": "object", "nullable": True,
                "description": "The failed device's replacement, as the device records it (not copied on the ticket)",
                "properties": {"serial": STRING, "state": STRING, "ownership": STRING,
                               "replacement": {"type": "string", "enum": ["due", "quote"], "nullable": True},
                               "replacement_due_at": NULLABLE_TIME}},
            "allowed": {"type": "array", "items": {"type": "string", "enum": _MOVES},
                        "description": "The transitions the caller may run now"}}},
    "TicketList": {
        "type": "object", "required": ["items", "total", "page", "per_page"],
        "properties": {"items": {"type": "array", "items": ref("Ticket")}, "total": {"type": "integer"},
                       "page": {"type": "integer"}, "per_page": {"type": "integer"}}},
}

_TICKET_ID = {"name": "ticket_id", "in": "path", "required": True, "schema": STRING}
_QUERY = [
    {"name": "state", "in": "query", "schema": {"type": "string", "enum": list(ticket_rules.STATES)}},
    {"name": "customer", "in": "query", "schema": ID},
    {"name": "site", "in": "query", "schema": ID},
    {"name": "target", "in": "query", "schema": {"type": "string", "enum": list(LIST_TARGETS)},
     "description": "Tickets not restored yet: on track, at risk (less than an hour left) or past the target"},
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000000}},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
]

def _ticket_report(operation: str, summary: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {"get": {
        "tags": ["reports"], "summary": summary, "operationId": operation,
        "parameters": parameters + [
            {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"}},
            {"name": "excel", "in": "query", "schema": {"type": "string", "enum": ["0", "1"], "default": "0"}}],
        "responses": {"200": {"description": "The report, as JSON or CSV",
                              "content": {"application/json": {"schema": ref("Report")},
                                          "text/csv": {"schema": STRING}}},
                      **errors("400", "401", "403")}}}


TICKET_PATHS: dict[str, Any] = {
    "/api/v1/tickets": {
        "get": {"tags": ["tickets"], "summary": "Failure tickets, newest notification first", "operationId":
                "list_tickets", "parameters": _QUERY,
                "responses": {"200": json_answer("TicketList", "One page of tickets"), **errors("400", "401", "403")}},
        "post": {"tags": ["tickets"], "summary": "Open a failure ticket (support)", "operationId": "open_ticket",
                 "description": "Sent again with the same Idempotency-Key (the caller's own), the request gets the "
                                "ticket the first one opened (200), never a second one; with other values, 422. "
                                "400: the body is not a JSON object, or the Idempotency-Key is malformed; 422: a "
                                "field is wrong, missing or refused (a record that does not exist), one line per "
                                "field in `fields`; nothing is written.",
                 "parameters": [{"name": "Idempotency-Key", "in": "header",
                                 "schema": KEY,
                                 "description": "The same on a retry: one ticket, whatever the number of tries"}],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": ref("TicketCreate")}}},
                 "responses": {"201": json_answer("Ticket", "Opened, with its notification number",
                                            {"Location": {"schema": STRING}, **_ETAG}),
                               "200": json_answer("Ticket", "Opened earlier under the same Idempotency-Key",
                                                  {"Location": {"schema": STRING}, **_ETAG}),
                               **errors("400", "401", "403", "409", "415", "422")}}},
    "/api/v1/tickets/{ticket_id}": {
        "parameters": [_TICKET_ID],
        "get": {"tags": ["tickets"], "summary": "One failure ticket", "operationId": "get_ticket",
                "responses": {"200": json_answer("Ticket", "The ticket", _ETAG), **errors("401", "403", "404")}}},
    "/api/v1/tickets/{ticket_id}/transitions/{name}": {
        "parameters": [_TICKET_ID, {"name": "name", "in": "path", "required": True,
                                    "schema": {"type": "string", "enum": _MOVES}}],
        "post": {"tags": ["tickets"], "summary": "Run one transition of the ticket's table", "operationId":
                 "run_ticket_transition",
                 "description": "Bad input is answered as an equipment move's is. 400: the body is not a JSON "
                                "object, or If-Match is not a version; 422: an input is unknown, of the wrong "
                                "type or format, missing, or refused by the table (a time in the future), one "
                                "line per input in `fields`; 409: not from the ticket's state, or If-Match names "
                                "another version. Nothing is written.",
                 "parameters": [{"name": "If-Match", "in": "header", "required": False, "schema": STRING,
                                 "description": "The version read, such as \"3\"; 409 if the ticket moved on"}],
                 "requestBody": {"required": False,
                                 "content": {"application/json": {"schema": ref("TicketInputs")}}},
                 "responses": {"200": json_answer("Ticket", "The ticket after the transition", _ETAG),
                               **errors("400", "401", "403", "404", "409", "415", "422")}}},
    "/api/v1/reports/tickets-at-risk": _ticket_report(
        "report_tickets_at_risk", "Tickets not restored at risk of or past their 4-hour target",
        [{"name": "at_risk_minutes", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1440,
                                                               "default": 60}}]),
    "/api/v1/contracts/{id}/terms": {
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": ID}],
        "get": {"tags": ["contracts"], "operationId": "contract_terms",
                "summary": "The contract's current period (clause 5) and the fee of an early termination, broken down",
                "parameters": [
                    {"name": "on", "in": "query", "schema": {"type": "string", "format": "date"},
                     "description": "The day whose period is asked (today by default)"},
                    {"name": "terminate_on", "in": "query", "schema": {"type": "string", "format": "date"},
                     "description": "The last day of service of the termination priced (`on` by default)"},
                    {"name": "penalty_cents", "in": "query",
                     "schema": {"type": "integer", "minimum": 0, "maximum": 1_000_000_000, "default": 0},
                     "description": "The procedure penalty of the case, in cents"}],
                "responses": {"200": {"description": "The period and the fee", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {
                        "contract": ID, "reference": STRING, "on": {"type": "string", "format": "date"},
                        "period": {"type": "object"}, "early_termination": {"type": "object"}}}}}},
                              **errors("400", "401", "403", "404", "409")}}},
    "/api/v1/reports/credits-due": _ticket_report(
        "report_credits_due", "Service credits due for a month (clause 4), per customer or per ticket",
        [{"name": "month", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"},
          "description": "A Paris calendar month, the current one by default"},
         {"name": "per", "in": "query", "schema": {"type": "string", "enum": ["customer", "ticket"],
                                                   "default": "customer"}}]),
}
