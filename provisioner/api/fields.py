"""How each API field reads from JSON and writes to JSON, declared once and used by handlers and OpenAPI."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from inventory.refusals import Reason, field_problem

KINDS = ("string", "integer", "boolean", "date", "datetime", "ref", "ref_list", "string_list")


class FieldProblem(ValueError):
    """A value in a request that does not fit its field; the message says what is expected, and `why` is the
    same with its code (inventory/refusals.py), for a staff page to say it in its user's language."""

    def __init__(self, why: str | Reason):
        super().__init__(str(why))
        self.why = why


@dataclass(frozen=True)
class Field:
    """One field of an API resource."""

    name: str
    kind: str = "string"
    description: str = ""
    writable: bool = True
    required: bool = False  # on create
    filterable: bool = False
    sortable: bool = False
    ref: str | None = None  # the resource a ref or ref_list points to
    choices: tuple[str, ...] = ()
    write_only: bool = False  # accepted in requests, never answered (passwords)
    max_length: int | None = None

    def parse(self, value: Any) -> Any:
        """The Python value for a JSON value sent by a client (None clears the field)."""
        if value is None:
            if self.required:
                raise FieldProblem(field_problem("required", "is required and cannot be null"))
            return [] if self.kind in ("ref_list", "string_list") else None
        return _PARSERS[self.kind](self, value)

    def parse_query(self, text: str) -> Any:
        """The Python value for a filter given in the query string."""
        if self.kind == "integer":
            return _parse_integer(self, _integer_text(text))
        if self.kind == "boolean":
            if text.lower() not in ("true", "false"):
                raise FieldProblem(field_problem("not_a_boolean", "expected true or false"))
            return text.lower() == "true"
        if self.kind in ("ref", "ref_list"):
            return str(_object_id(text))  # references are stored as text ids (inventory/references.py)
        if self.kind == "string_list":
            return _parse_string(self, text)
        return self.parse(text)

    def render(self, raw: Any) -> Any:
        """The JSON value for a value as the database stores it."""
        if raw is None:
            return [] if self.kind in ("ref_list", "string_list") else None
        if self.kind == "ref":
            return str(raw)
        if self.kind == "ref_list":
            return [str(item) for item in raw]
        if self.kind == "date":
            return raw.date().isoformat() if isinstance(raw, dt.datetime) else raw.isoformat()
        if self.kind == "datetime":
            moment = raw if raw.tzinfo else raw.replace(tzinfo=dt.timezone.utc)
            return moment.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
        return raw


def _integer_text(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise FieldProblem(field_problem("not_an_integer", f"expected an integer, got {text[:40]!r}")) from None


def _parse_string(field: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise FieldProblem(field_problem("not_text", f"expected a string, got {type(value).__name__}"))
    if field.max_length is not None and len(value) > field.max_length:
        raise FieldProblem(field_problem("too_long", f"at most {field.max_length} characters", max=field.max_length))
    if field.choices and value not in field.choices:
        raise FieldProblem(field_problem("not_a_choice", f"expected one of {', '.join(field.choices)}",
                                         choices=field.choices))
    return value


def _parse_integer(field: Field, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldProblem(field_problem("not_an_integer", f"expected an integer, got {type(value).__name__}"))
    if abs(value) > 2**53:
        raise FieldProblem(field_problem("integer_out_of_range", "the integer is out of range"))
    return value


def _parse_boolean(field: Field, value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldProblem(field_problem("not_a_boolean", f"expected true or false, got {type(value).__name__}"))
    return value


def _parse_date(field: Field, value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(_parse_string(field, value))
    except ValueError:
        raise FieldProblem(field_problem("not_a_date", "expected a date as YYYY-MM-DD")) from None


def _parse_datetime(field: Field, value: Any) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(_parse_string(field, value))
    except ValueError:
        raise FieldProblem(field_problem("not_a_datetime",
                                         "expected a date and time as ISO 8601, such as 2026-11-26T09:30:00Z")) from None
    if moment.tzinfo is None:
        raise FieldProblem(field_problem("datetime_without_zone",
                                         "the date and time needs its time zone, such as Z or +01:00"))
    return moment


def _object_id(value: Any) -> ObjectId:
    try:
        return ObjectId(value) if isinstance(value, str) else _bad_id(value)
    except (InvalidId, TypeError):
        raise FieldProblem(field_problem("not_a_record_id", "expected a record id of 24 hexadecimal digits")) from None


def _bad_id(value: Any) -> ObjectId:
    raise FieldProblem(field_problem("not_a_record_id",
                                     f"expected a record id of 24 hexadecimal digits, got {type(value).__name__}"))


def _parse_ref(field: Field, value: Any) -> ObjectId:
    return _object_id(value)


def _parse_list(field: Field, value: Any, item) -> list:  # type: ignore[no-untyped-def]
    if not isinstance(value, list):
        raise FieldProblem(field_problem("not_a_list_value", f"expected a list, got {type(value).__name__}"))
    if len(value) > 64:
        raise FieldProblem(field_problem("too_many_entries", "at most 64 items", max=64))
    return [item(v) for v in value]


_PARSERS = {
    "string": _parse_string,
    "integer": _parse_integer,
    "boolean": _parse_boolean,
    "date": _parse_date,
    "datetime": _parse_datetime,
    "ref": _parse_ref,
    "ref_list": lambda f, v: _parse_list(f, v, _object_id),
    "string_list": lambda f, v: _parse_list(f, v, lambda s: _parse_string(Field(f.name, max_length=200), s)),
}


def bounded_int(text: str, low: int, high: int, name: str, problems: dict[str, str]) -> int:
    """A query-string integer within [low, high]; a problem is noted under `name` otherwise."""
    # isdigit() alone accepts "²", which int() refuses.
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        problems[name] = f"expected an integer from {low} to {high}"
        return low
    return int(text)


def query_day(text: str | None, default: dt.date, name: str, problems: dict[str, str]) -> dt.date:
    """A query-string day as YYYY-MM-DD, `default` when not given; a problem is noted under `name` otherwise."""
    if text is None:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems[name] = "expected a date as YYYY-MM-DD"
        return default
