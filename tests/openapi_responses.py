"""Checks real HTTP answers against the response schemas of an OpenAPI 3.0 document, with jsonschema.

OpenAPI 3.0 schemas are not quite JSON Schema: `nullable: true` stands for "or null". This module
rewrites them into JSON Schema 2020-12 and resolves `$ref`s to responses and schemas in the document.
"""

from __future__ import annotations

import copy
from typing import Any

from jsonschema import Draft202012Validator


def to_json_schema(schema: Any) -> Any:
    """A copy of an OpenAPI 3.0 schema (or any part of a document) with `nullable` turned into JSON Schema."""
    if isinstance(schema, list):
        return [to_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: to_json_schema(value) for key, value in schema.items() if key != "nullable"}
    if schema.get("nullable") is True:
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        if "type" in out:
            out["type"] = [out["type"], "null"]
        elif "$ref" in out or "allOf" in out or "anyOf" in out or "oneOf" in out:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


class ResponseSchemas:
    """The documented answers of every operation, as validators keyed by (path, method, status)."""

    def __init__(self, document: dict[str, Any]):
        self.document = document
        self._components = to_json_schema(copy.deepcopy(document.get("components", {})))

    def response(self, path: str, method: str, status: int) -> dict[str, Any]:
        """The response object documented for this status (or `default`), with its `$ref` followed."""
        operation = self.document["paths"][path][method.lower()]
        responses = operation["responses"]
        found = responses.get(str(status), responses.get("default"))
        if found is None:
            raise AssertionError(f"{method.upper()} {path} answered {status}, which is not documented "
                                 f"(documented: {', '.join(sorted(responses))})")
        while "$ref" in found:
            found = self._follow(found["$ref"])
        return found

    def validate(self, path: str, method: str, status: int, body: Any,
                 content_type: str = "application/json") -> None:
        """Raise AssertionError unless `body` matches the schema documented for this answer."""
        response = self.response(path, method, status)
        content = response.get("content")
        if not content:
            assert body in (None, "", b""), f"{method.upper()} {path} {status} is documented without a body, got {body!r}"
            return
        assert content_type in content, f"{method.upper()} {path} {status}: {content_type} is not documented"
        schema = {**to_json_schema(content[content_type]["schema"]), "components": self._components}
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        if errors:
            lines = [f"  at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors[:10]]
            raise AssertionError(f"{method.upper()} {path} {status} does not match the description:\n"
                                 + "\n".join(lines) + f"\nbody: {body!r}"[:2000])

    def _follow(self, ref: str) -> dict[str, Any]:
        assert ref.startswith("#/"), f"only local references are expected, got {ref}"
        node: Any = self.document
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node
