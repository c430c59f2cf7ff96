"""A reference to another record, stored as the record id's hex text instead of an ObjectId, and how to read
the id a reference holds, the record one id names and the records many references point to.

NX-27017 (the embedded database) finds nothing when a query matches an ObjectId held outside `_id`:
equality, array membership and counts all miss (see docs/storage.rst). Text ids
behave the same on NX-27017 and MongoDB, so every reference between records uses this field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import mongoengine as me
from bson import DBRef, ObjectId
from bson.errors import InvalidId


class Reference(me.ReferenceField):
    """A mongoengine ReferenceField whose stored form is the referenced id as text."""

    def __init__(self, document_type: Any, **kwargs: Any):
        kwargs.setdefault("dbref", False)
        super().__init__(document_type, **kwargs)

    def to_mongo(self, document: Any) -> Any:
        stored = super().to_mongo(document)
        if isinstance(stored, DBRef):
            stored = stored.id
        return str(stored) if isinstance(stored, ObjectId) else stored

    def prepare_query_value(self, op: str, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, (list, tuple)):
            return [self.to_mongo(item) for item in value]
        return self.to_mongo(value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and ObjectId.is_valid(value):
            value = ObjectId(value)
        return super().to_python(value)


def referenced_id(record: me.Document, name: str) -> str | None:
    """The id (text) the reference field `name` of `record` holds, without loading the record it points to."""
    value = record._data.get(name)
    if isinstance(value, DBRef):
        value = value.id
    return None if value is None else str(getattr(value, "pk", value))


def record_by_id(document: type, record_id: Any) -> Any:
    """The record of `document` with this id, or None (also for an id that is not one)."""
    try:
        return document.objects(pk=ObjectId(str(record_id))).first()
    except (InvalidId, TypeError):
        return None


def records_by_id(document: type[me.Document], ids: Iterable[Any],
                  fields: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """The stored records of `document` with these ids (text; anything else is skipped), keyed by id.

    One ``$in`` on ``_id``, which NX-27017 answers through the index (docs/storage.rst); `fields` limits what
    is read (the id always comes), None reads whole records.
    """
    wanted = [ObjectId(text) for text in set(ids) if isinstance(text, str) and ObjectId.is_valid(text)]
    if not wanted:
        return {}
    projection = None if fields is None else {name: 1 for name in fields}
    return {str(raw["_id"]): raw for raw in document._get_collection().find({"_id": {"$in": wanted}}, projection)}
