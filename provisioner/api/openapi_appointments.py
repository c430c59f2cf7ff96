"""The OpenAPI description of the installation endpoints: technicians and their calendar feed
(provisioner/api/technicians.py), appointments (appointments.py, appointment_changes.py) and their reports
(appointment_reports.py)."""

from __future__ import annotations

from typing import Any

from inventory.appointments import CANCELLED_BY, CHECKLIST, STATES
from provisioner.api.openapi_extra import _report
from provisioner.api.openapi_parts import ID, NULLABLE_TIME, STRING, STRINGS, TIME, errors, json_answer, ref

_NULLABLE = {"type": "string", "nullable": True}


def _path_id(name: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": STRING}]


def _query(name: str, schema: dict[str, Any], description: str = "", required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


_IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": STRING,
             "description": "The version read, such as \"3\": refused with 409 when it changed meanwhile"}
_LOCATION = {"Location": {"schema": STRING}}
_VERSION = {"type": "integer", "description": "The version read (instead of If-Match)"}
#: How every write of these endpoints answers bad input (docs/installations.rst).
_BAD_INPUT = ("400: the body is not a JSON object, or If-Match is not a version; 422: a field is unknown, of the "
              "wrong type or format, missing, or refused (out of range, a time in the future, a record that does not "
              "exist), one line per field in `fields`. Nothing is written.")

_TECHNICIAN_FIELDS: dict[str, Any] = {
    "user": {**ID, "description": "The staff user (with the technician role)"},
    "name": {"type": "string", "minLength": 1, "maxLength": 120},
    "working_hours": {"type": "object", "additionalProperties": {"type": "string"},
                      "description": "Week day (mon..sun) to \"HH:MM-HH:MM\", Europe/Paris; a day left out is off"},
    "zones": {**STRINGS, "description": "Département codes (2A and 2B for Corsica; no overseas code)"},
    "skills": STRINGS,
    "travel_minutes": {"type": "object", "additionalProperties": {"type": "integer"},
                       "description": "Travel buffer before and after a visit, per département of the zones"},
    "default_travel_minutes": {"type": "integer", "minimum": 0, "maximum": 240},
    "active": {"type": "boolean"},
}
_CHECK_ITEM = {"type": "object", "required": ["done", "by", "at"], "properties": {
    "done": {"type": "boolean"}, "by": _NULLABLE, "at": NULLABLE_TIME}}

APPOINTMENT_SCHEMAS: dict[str, Any] = {
    "Technician": {"type": "object", "required": ["id", "version", "user", "name", "working_hours", "zones", "skills",
                                                  "travel_minutes", "default_travel_minutes", "active", "feed"],
                   "properties": {"id": STRING, "version": {"type": "integer"}, **_TECHNICIAN_FIELDS,
                                  "feed": {"type": "object", "required": ["active", "hint"], "properties": {
                                      "active": {"type": "boolean"}, "hint": _NULLABLE}},
                                  "created_at": NULLABLE_TIME, "updated_at": NULLABLE_TIME}},
    "TechnicianCreate": {"type": "object", "required": ["user", "working_hours", "zones"],
                         "properties": _TECHNICIAN_FIELDS},
    "TechnicianUpdate": {"type": "object", "properties": {k: v for k, v in _TECHNICIAN_FIELDS.items() if k != "user"}},
    "TechnicianPage": {"type": "object", "required": ["items", "page", "per_page", "total"], "properties": {
        "items": {"type": "array", "items": ref("Technician")}, "page": {"type": "integer"},
        "per_page": {"type": "integer"}, "total": {"type": "integer"}}},
    "FeedUrl": {"type": "object", "required": ["technician", "url", "hint"], "properties": {
        "technician": STRING, "url": {"type": "string", "description": "Shown once: the secret is kept hashed"},
        "hint": STRING}},
    "Appointment": {
        "type": "object",
        "required": ["id", "version", "state", "sequence", "site", "contract", "technician", "start", "end",
                     "start_local", "duration_minutes", "travel_minutes", "checklist", "cancellation"],
        "properties": {
            "id": STRING, "version": {"type": "integer"}, "state": {"type": "string", "enum": list(STATES)},
            "sequence": {"type": "integer", "description": "iCalendar SEQUENCE: one more at each reschedule and "
                                                           "at the cancellation"},
            "site": STRING, "customer": _NULLABLE, "contract": STRING, "technician": STRING,
            "departement": _NULLABLE, "start": TIME, "end": TIME,
            "start_local": {"type": "string", "description": "The start in Europe/Paris, with its offset"},
            "day": _NULLABLE, "duration_minutes": {"type": "integer"},
            "travel_minutes": {"type": "integer", "description": "Travel buffer before and after the visit"},
            "skills": STRINGS, "equipment": STRINGS, "notes": _NULLABLE,
            "checklist": {"type": "object", "required": list(CHECKLIST),
                          "properties": {name: _CHECK_ITEM for name in CHECKLIST}},
            "cancellation": {"type": "object", "nullable": True, "properties": {
                "by": {"type": "string", "enum": list(CANCELLED_BY)}, "at": TIME, "recorded_by": _NULLABLE,
                "reason": _NULLABLE, "business_hours_before": {"type": "number"}, "late": {"type": "boolean"},
                "charge": _NULLABLE, "amount_cents": {"type": "integer"}}},
            "completed_at": NULLABLE_TIME,
            "go_live_recorded": {"type": "string", "format": "date", "nullable": True},
            "created_at": NULLABLE_TIME, "updated_at": NULLABLE_TIME}},
    "AppointmentCreate": {"type": "object", "required": ["site", "technician", "contract", "start", "duration_minutes"],
                          "properties": {"site": ID, "technician": ID, "contract": ID, "start": TIME,
                                         "duration_minutes": {"type": "integer", "minimum": 15, "maximum": 720},
                                         "skills": STRINGS, "equipment": {"type": "array", "items": ID},
                                         "notes": {"type": "string", "maxLength": 2000}}},
    "AppointmentList": {"type": "object", "required": ["from", "days", "technician", "items", "total"], "properties": {
        "from": {"type": "string", "format": "date"}, "days": {"type": "integer"}, "technician": _NULLABLE,
        "items": {"type": "array", "items": ref("Appointment")}, "total": {"type": "integer"}}},
    "FreeSlots": {"type": "object", "required": ["site", "departement", "duration_minutes", "items"], "properties": {
        "site": STRING, "departement": STRING, "duration_minutes": {"type": "integer"},
        "items": {"type": "array", "items": {"type": "object", "required": ["technician", "start", "end"],
                                             "properties": {"technician": STRING, "technician_name": STRING,
                                                            "start": TIME, "end": TIME, "start_local": STRING}}}}},
    "CancellationPreview": {"type": "object", "required": ["dry_run", "appointment", "late", "charged", "amount_cents"],
                            "properties": {"dry_run": {"type": "boolean", "enum": [True]}, "appointment": STRING,
                                           "by": STRING, "business_hours_before": {"type": "number"},
                                           "late": {"type": "boolean"}, "charged": {"type": "boolean"},
                                           "amount_cents": {"type": "integer"}}},
    "CancellationDone": {"type": "object", "required": ["dry_run", "appointment", "charge"], "properties": {
        "dry_run": {"type": "boolean", "enum": [False]}, "appointment": ref("Appointment"),
        "charge": {"type": "object", "nullable": True, "properties": {
            "id": STRING, "reason": STRING, "amount_cents": {"type": "integer"}}}}},
}


def _change(operation: str, summary: str, body: dict[str, Any], answer: dict[str, Any],
            parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"post": {"tags": ["installations"], "summary": summary, "operationId": operation,
                     "description": f"{_BAD_INPUT} 409: the appointment's state does not allow it, or the version "
                                    "read (If-Match or `version`) is not the stored one.",
                     "parameters": [_IF_MATCH, *(parameters or [])],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
                     "responses": {"200": answer, **errors("400", "401", "403", "404", "409", "415", "422", "503")}}}


_PERIOD = [_query("day", {"type": "string", "format": "date"}, "A day (YYYY-MM-DD)"),
           _query("week", {"type": "string", "pattern": "^[0-9]{4}-W[0-9]{2}$"}, "An ISO week, such as 2026-W48"),
           _query("technician", ID, "One technician (a technician always gets their own)")]

APPOINTMENT_PATHS: dict[str, Any] = {
    "/api/v1/technicians": {
        "get": {"tags": ["installations"], "summary": "Technicians, by name", "operationId": "list_technicians",
                "parameters": [_query("page", {"type": "integer", "minimum": 1}),
                               _query("per_page", {"type": "integer", "minimum": 1, "maximum": 500})],
                "responses": {"200": json_answer("TechnicianPage", "A page of technicians"), **errors("400", "401", "403")}},
        "post": {"tags": ["installations"], "summary": "Record a technician (admin)", "operationId": "create_technician",
                 "description": _BAD_INPUT,
                 "requestBody": {"required": True, "content": {"application/json": {"schema": ref("TechnicianCreate")}}},
                 "responses": {"201": json_answer("Technician", "Recorded", _LOCATION),
                               **errors("400", "401", "403", "409", "415", "422")}}},
    "/api/v1/technicians/{technician_id}": {
        "parameters": _path_id("technician_id"),
        "get": {"tags": ["installations"], "summary": "One technician", "operationId": "get_technician",
                "responses": {"200": json_answer("Technician", "The technician"), **errors("401", "403", "404")}},
        "patch": {"tags": ["installations"], "summary": "Change a technician (admin)", "operationId": "update_technician",
                  "description": f"{_BAD_INPUT} 409: If-Match names another version.", "parameters": [_IF_MATCH],
                  "requestBody": {"required": True, "content": {"application/json": {"schema": ref("TechnicianUpdate")}}},
                  "responses": {"200": json_answer("Technician", "Changed"),
                                **errors("400", "401", "403", "404", "409", "415", "422")}},
        "delete": {"tags": ["installations"], "summary": "Delete a technician without appointments (admin)",
                   "operationId": "delete_technician", "parameters": [_IF_MATCH],
                   "responses": {"204": {"description": "Deleted"}, **errors("400", "401", "403", "404", "409")}}},
    "/api/v1/technicians/{technician_id}/feed-token": {
        "parameters": _path_id("technician_id"),
        "post": {"tags": ["installations"], "summary": "A new secret calendar feed URL (the previous one stops working)",
                 "operationId": "issue_feed_token",
                 "responses": {"201": json_answer("FeedUrl", "The feed URL, shown once"), **errors("401", "403", "404", "409")}},
        "delete": {"tags": ["installations"], "summary": "Revoke the calendar feed URL", "operationId": "revoke_feed_token",
                   "responses": {"204": {"description": "Revoked"}, **errors("401", "403", "404", "409")}}},
    "/api/v1/technicians/{technician_id}/calendar.ics": {
        "parameters": _path_id("technician_id"),
        "get": {"tags": ["installations"], "summary": "The technician's appointments as iCalendar (RFC 5545)",
                "operationId": "technician_calendar", "security": [],
                "description": "For calendar clients, which cannot send a bearer token: the secret token in the URL "
                               "is the credential. Stable UIDs, SEQUENCE, STATUS:CANCELLED, TZID=Europe/Paris.",
                "parameters": [_query("token", STRING, "The feed's secret token", required=True)],
                "responses": {"200": {"description": "The feed", "content": {"text/calendar": {"schema": STRING}}},
                              **errors("404")}}},
    "/api/v1/appointments": {
        "get": {"tags": ["installations"], "summary": "Appointments of a day or a week", "operationId": "list_appointments",
                "parameters": _PERIOD,
                "responses": {"200": json_answer("AppointmentList", "The appointments, in start order"),
                              **errors("400", "401", "403")}},
        "post": {"tags": ["installations"], "summary": "Book an installation appointment",
                 "operationId": "create_appointment",
                 "description": f"{_BAD_INPUT} 422 also when the visit does not fit the technician's hours, zone or "
                                "skills, or falls on a holiday; 409 names the appointment met (travel buffers "
                                "included) in `conflict`.",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": ref("AppointmentCreate")}}},
                 "responses": {"201": json_answer("Appointment", "Booked", _LOCATION),
                               **errors("400", "401", "403", "409", "415", "422", "503")}}},
    "/api/v1/appointments/free-slots": {
        "get": {"tags": ["installations"], "summary": "Free starts for a visit at a site",
                "operationId": "appointment_free_slots",
                "parameters": [_query("site", ID, required=True),
                               _query("duration", {"type": "integer", "minimum": 15, "maximum": 720}, required=True),
                               _query("from", TIME, "From when (default: now)"),
                               _query("days", {"type": "integer", "minimum": 1, "maximum": 31, "default": 7}),
                               _query("skills", STRING, "Skills needed, comma-separated"),
                               _query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50})],
                "description": "400: a query argument is unknown or not valid; 404: no such site; 422: the site "
                               "cannot have an installation (its département is not served).",
                "responses": {"200": json_answer("FreeSlots", "Free starts, earliest first"),
                              **errors("400", "401", "403", "404", "422")}}},
    "/api/v1/appointments/{appointment_id}": {
        "parameters": _path_id("appointment_id"),
        "get": {"tags": ["installations"], "summary": "One appointment", "operationId": "get_appointment",
                "responses": {"200": json_answer("Appointment", "The appointment"), **errors("401", "403", "404")}}},
    "/api/v1/appointments/{appointment_id}/reschedule": {
        "parameters": _path_id("appointment_id"),
        **_change("reschedule_appointment", "Move an appointment to another time (or technician)",
                  {"type": "object", "required": ["start"], "properties": {
                      "start": TIME, "duration_minutes": {"type": "integer", "minimum": 15, "maximum": 720},
                      "technician": ID, "version": _VERSION}},
                  json_answer("Appointment", "Rescheduled"))},
    "/api/v1/appointments/{appointment_id}/cancel": {
        "parameters": _path_id("appointment_id"),
        **_change("cancel_appointment", "Cancel an appointment; a customer's less than 48 business hours before is "
                                        "charged",
                  {"type": "object", "required": ["by"], "properties": {
                      "by": {"type": "string", "enum": list(CANCELLED_BY)},
                      "at": {**TIME, "description": "When it was asked for (default: now; not in the future)"},
                      "reason": {"type": "string", "maxLength": 500}, "version": _VERSION}},
                  {"description": "The preview (dry_run=true) or the cancellation and its charge",
                   "content": {"application/json": {"schema": {"oneOf": [ref("CancellationPreview"),
                                                                         ref("CancellationDone")]}}}},
                  parameters=[_query("dry_run", {"type": "string", "enum": ["true", "false"]},
                                     "true: say whether it would be charged, change nothing (400 when it is "
                                     "neither true nor false, as any query argument that is not valid)")])},
    "/api/v1/appointments/{appointment_id}/checklist": {
        "parameters": _path_id("appointment_id"),
        **_change("tick_appointment_checklist", "Mark checklist items done; all four complete the installation",
                  {"type": "object", "required": ["items"], "properties": {
                      "items": {"type": "array", "items": {"type": "string", "enum": list(CHECKLIST)}},
                      "version": _VERSION}},
                  json_answer("Appointment", "The appointment, completed once all four are done"))},
    "/api/v1/reports/appointments": _report("report_appointments", "Appointments per technician of a day or a week",
                                            _PERIOD),
    "/api/v1/reports/late-cancellations": _report(
        "report_late_cancellations", "Customer cancellations billed (less than 48 business hours before)",
        [_query("from", {"type": "string", "format": "date"}, "First day (default: the 1st of this month)"),
         _query("to", {"type": "string", "format": "date"}, "Last day (default: today)")]),
}
