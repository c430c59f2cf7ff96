"""The OpenAPI 3 description of /api/v1, built from the resource declarations so it cannot drift."""

from __future__ import annotations

from typing import Any

from provisioner.api.base import BaseHandler
from provisioner.api.fields import Field
from provisioner.api.resources import RESOURCES, Resource

ID_PATTERN = "^[0-9a-f]{24}$"
ERROR_CODES = {"400": "The request is malformed", "401": "Not signed in", "403": "Not allowed for your roles",
               "404": "No such record", "409": "Conflicts with the stored state", "413": "Too large", "415": "Not JSON",
               "422": "Some fields are not valid",
               "503": "Busy for a moment (another request holds the schedule): try again after Retry-After seconds"}


def field_schema(field: Field, for_input: bool = False) -> dict[str, Any]:
    """The JSON schema of one field's value."""
    base: dict[str, Any] = {
        "string": {"type": "string"}, "integer": {"type": "integer"}, "boolean": {"type": "boolean"},
        "date": {"type": "string", "format": "date"}, "datetime": {"type": "string", "format": "date-time"},
        "ref": {"type": "string", "pattern": ID_PATTERN},
        "ref_list": {"type": "array", "items": {"type": "string", "pattern": ID_PATTERN}, "maxItems": 64},
        "string_list": {"type": "array", "items": {"type": "string", "maxLength": 200}, "maxItems": 64},
    }[field.kind].copy()
    if field.choices:
        base["enum"] = list(field.choices)
    if field.max_length and field.kind == "string":
        base["maxLength"] = field.max_length
    if field.description:
        base["description"] = field.description
    if not field.required and field.kind not in ("ref_list", "string_list"):
        base["nullable"] = True
    if field.name == "id":
        base["pattern"] = ID_PATTERN
    return base


def _record_schemas(resource: Resource) -> dict[str, dict[str, Any]]:
    title = resource.name.capitalize()
    readable = [f for f in resource.fields if not f.write_only]
    writable = [f for f in resource.fields if f.writable]
    return {
        title: {"type": "object", "required": [f.name for f in readable if f.name in ("id", "version")],
                "properties": {f.name: field_schema(f) for f in readable}},
        f"{title}Create": {"type": "object", "additionalProperties": False,
                           "required": [f.name for f in writable if f.required],
                           "properties": {f.name: field_schema(f, True) for f in writable}},
        f"{title}Update": {"type": "object", "additionalProperties": False,
                           "properties": {**{f.name: field_schema(f, True) for f in writable},
                                          "version": {"type": "integer", "description": "The version read"}}},
        f"{title}List": {"type": "object", "required": ["items", "total", "page", "per_page"], "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{title}"}},
            "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"}}},
    }


def _json(schema: str | dict[str, Any], description: str) -> dict[str, Any]:
    body = {"$ref": f"#/components/schemas/{schema}"} if isinstance(schema, str) else schema
    return {"description": description, "content": {"application/json": {"schema": body}}}


def _errors(*codes: str) -> dict[str, Any]:
    return {code: {"$ref": f"#/components/responses/E{code}"} for code in codes}


def _resource_paths(resource: Resource, creatable: bool = True) -> dict[str, Any]:
    """The list, create, read, update and delete operations of a collection (no create unless `creatable`)."""
    title, name = resource.name.capitalize(), resource.name
    filters = [
        {"name": f.name, "in": "query", "required": False, "schema": _query_schema(f)}
        for f in resource.fields if f.filterable
    ]
    sortable = [f.name for f in resource.fields if f.sortable]
    paging = [
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000000}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
        {"name": "sort", "in": "query", "schema": {"type": "string", "description": f"One of {', '.join(sortable)}, '-' for descending"}},
        {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 100,
                                                    "description": f"Prefix of {' or '.join(resource.search)}"}},
    ]
    record_id = {"name": "record_id", "in": "path", "required": True, "schema": {"type": "string"}}
    version = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
               "description": "The version read, such as \"3\"; the change is refused with 409 if it moved on"}
    paths = {
        f"/api/v1/{name}": {
            "get": {"tags": [name], "summary": f"List {name}", "operationId": f"list_{name}",
                    "parameters": paging + filters,
                    "responses": {"200": _json(f"{title}List", "One page of records"), **_errors("400", "401", "403")}},
            "post": {"tags": [name], "summary": f"Create one of {name}", "operationId": f"create_{name}",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{title}Create"}}}},
                     "responses": {"201": _json(title, "Created"), **_errors("400", "401", "403", "409", "415", "422")}},
        },
        f"/api/v1/{name}/{{record_id}}": {
            "parameters": [record_id],
            "get": {"tags": [name], "summary": "Read one", "operationId": f"get_{name}",
                    "responses": {"200": _json(title, "The record"), **_errors("401", "403", "404")}},
            "patch": {"tags": [name], "summary": "Change some fields", "operationId": f"update_{name}",
                      "parameters": [version],
                      "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{title}Update"}}}},
                      "responses": {"200": _json(title, "The changed record"), **_errors("400", "401", "403", "404", "409", "415", "422")}},
            "delete": {"tags": [name], "summary": "Delete one", "operationId": f"delete_{name}",
                       "parameters": [version],
                       "responses": {"204": {"description": "Deleted"}, **_errors("400", "401", "403", "404", "409")}},
        },
    }
    if not creatable:
        del paths[f"/api/v1/{name}"]["post"]
    return paths


def _query_schema(field: Field) -> dict[str, Any]:
    schema = field_schema(field)
    schema.pop("nullable", None)
    return schema["items"] if field.kind in ("ref_list", "string_list") else schema


def build_openapi() -> dict[str, Any]:
    """The whole description, as a plain dict."""
    from provisioner.api.firmware import FIRMWARE
    from provisioner.api.openapi_appointments import APPOINTMENT_PATHS, APPOINTMENT_SCHEMAS
    from provisioner.api.openapi_extra import OTHER_PATHS, OTHER_SCHEMAS
    from provisioner.api.openapi_resync import RESYNC_PATHS, RESYNC_SCHEMAS
    from provisioner.api.openapi_tickets import TICKET_PATHS, TICKET_SCHEMAS

    schemas: dict[str, Any] = {"Error": {
        "type": "object", "required": ["status", "error", "message"],
        "properties": {"status": {"type": "integer"}, "error": {"type": "string"}, "message": {"type": "string"},
                       "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                       "request_id": {"type": "string"}}}, **OTHER_SCHEMAS, **RESYNC_SCHEMAS, **TICKET_SCHEMAS}
    paths: dict[str, Any] = {**OTHER_PATHS, **RESYNC_PATHS, **TICKET_PATHS, **APPOINTMENT_PATHS}
    schemas.update(APPOINTMENT_SCHEMAS)
    for resource in RESOURCES.values():
        schemas.update(_record_schemas(resource))
        paths.update(_resource_paths(resource))
    # Images come with their bytes, through /api/v1/firmware-uploads: no creation schema nor POST.
    schemas.update({k: v for k, v in _record_schemas(FIRMWARE).items() if not k.endswith("Create")})
    paths.update(_resource_paths(FIRMWARE, creatable=False))
    return {
        "openapi": "3.0.3",
        "info": {"title": "Centrex provisioner staff API", "version": "1",
                 "description": "Records of the provisioning and equipment lifecycle server. Authenticate with "
                                "'Authorization: Bearer <token>' or the session cookie from POST /api/v1/session."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {f"E{code}": _json("Error", text) for code, text in ERROR_CODES.items()},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


class OpenApiHandler(BaseHandler):
    """GET /api/v1/openapi.json, for any signed-in member of staff (no endpoint but phones' files is public)."""

    route = "/api/v1/openapi.json"

    def get(self) -> None:
        self.send(self.application.settings["openapi"])
