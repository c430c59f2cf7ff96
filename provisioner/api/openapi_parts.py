"""The pieces every OpenAPI module of ours builds its paths from: references, error answers, JSON answers and
bodies, and the common schemas."""

from __future__ import annotations

from typing import Any

STRING: dict[str, Any] = {"type": "string"}
STRINGS: dict[str, Any] = {"type": "array", "items": STRING}
#: An idempotency key (the Idempotency-Key header, a scan batch's batch_key): printable ASCII, no blanks.
KEY: dict[str, Any] = {"type": "string", "pattern": "^[\\x21-\\x7e]{1,100}$"}
ID: dict[str, Any] = {"type": "string", "pattern": "^[0-9a-f]{24}$"}
TIME: dict[str, Any] = {"type": "string", "format": "date-time"}
NULLABLE_TIME: dict[str, Any] = {**TIME, "nullable": True}


def ref(name: str) -> dict[str, str]:
    """A reference to the schema `name` of the document's components."""
    return {"$ref": f"#/components/schemas/{name}"}


def errors(*codes: str) -> dict[str, Any]:
    """The error answers of these status codes (the document's shared ``E<code>`` responses)."""
    return {code: {"$ref": f"#/components/responses/E{code}"} for code in codes}


def json_answer(schema: str, description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    """An answer holding a JSON document of `schema`, with these response headers."""
    answer: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": ref(schema)}}}
    if headers:
        answer["headers"] = headers
    return answer


def json_body(schema: str) -> dict[str, Any]:
    """A required JSON request body of `schema`."""
    return {"required": True, "content": {"application/json": {"schema": ref(schema)}}}
