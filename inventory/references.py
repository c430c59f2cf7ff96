"""A reference to another record, stored as the record id's hex text instead of an ObjectId.

NX-27017 (the embedded database) finds nothing when a query matches an ObjectId held outside `_id`:
equality, array membership and counts all miss (see docs/storage.rst). Text ids
behave the same on NX-27017 and MongoDB, so every reference between records uses this field.
"""

from __future__ import annotations

from typing import Any

import mongoengine as me
from bson import DBRef, ObjectId


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
