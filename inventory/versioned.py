"""Records that change only by conditional writes on a version number, each change logged as an event.

No read-modify-write: an update is written only if the stored version is still the one the caller
read, so two clerks editing the same item never silently overwrite each other. Every write also moves
the records' generation (inventory/generation.py), which tells every process's caches to let go.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

import mongoengine as me
from pymongo.errors import DuplicateKeyError

from inventory import generation
from inventory.errors import DuplicateValue, InvalidRecord, VersionConflict
from inventory.events import Actor, record_event
from inventory.refusals import Reason, field_problem
from inventory.stored_times import to_millisecond

#: Fields never copied into event snapshots: encrypted secrets and password hashes.
SECRET_SUFFIXES = ("_enc", "_hash")


def _now() -> dt.datetime:
    """Now, to the millisecond: what the database keeps, so an answer equals a later read."""
    return to_millisecond(dt.datetime.now(dt.timezone.utc))


class VersionedDocument(me.Document):
    """Base for every business record: version, timestamps, validated conditional writes, events."""

    version = me.IntField(default=1, min_value=1)
    created_at = me.DateTimeField()
    updated_at = me.DateTimeField()

    meta = {"abstract": True}

    #: Fields whose uniqueness the database enforces, checked to name the culprit on a clash.
    unique_fields: tuple[str | tuple[str, ...], ...] = ()
    #: What a field with a pattern expects, said in words instead of the pattern.
    formats: dict[str, str] = {}

    # -- snapshots -------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The stored form of this record without secrets, for the event log."""
        raw = self.to_mongo().to_dict()
        raw.pop("_id", None)
        return {k: v for k, v in raw.items() if not k.endswith(SECRET_SUFFIXES)}

    # -- validation -------------------------------------------------------------------------

    def normalize(self) -> dict[str, str | Reason]:
        """Bring values to their stored form (MAC, E.164, département) and return field problems (with their code
        where a staff page may show them, inventory/refusals.py)."""
        return {}

    def check(self) -> None:
        """Validate fields and cross-field rules, raising InvalidRecord with one message per field."""
        problems = self.normalize()
        try:
            self.validate(clean=False)
        except me.ValidationError as exc:
            for name, why in _flatten(exc.to_dict()).items():
                if "regex" in why and name in self.formats:
                    why = f"expected {self.formats[name]}"
                problems.setdefault(name, self._coded(name, why))
        if problems:
            raise InvalidRecord(problems)

    def _coded(self, name: str, why: str) -> str | Reason:
        """A field's validation message with the code its definition tells (too long, required, not a choice);
        as it is for any other."""
        definition, value = self._fields.get(name), getattr(self, name, None) if name in self._fields else None
        limit, choices = getattr(definition, "max_length", None), getattr(definition, "choices", None)
        if isinstance(value, str) and limit is not None and len(value) > limit:
            return field_problem("too_long", why, max=limit)
        if value in (None, "") and getattr(definition, "required", False):
            return field_problem("required", why)
        if choices and isinstance(value, str) and value not in choices:
            return field_problem("not_a_choice", why, choices=tuple(choices))
        return why

    # -- writes ------------------------------------------------------------------------------

    def insert(self, actor: Actor) -> "VersionedDocument":
        """Validate and insert this new record, then log a `create` event."""
        now = _now()
        self.version, self.created_at, self.updated_at = 1, now, now
        self.check()
        try:
            self.save(force_insert=True, validate=False)
        except (me.NotUniqueError, DuplicateKeyError):
            raise self._duplicate() from None
        generation.bump()
        record_event(actor, "create", self._collection_name(), self.pk, {}, self.snapshot())
        return self

    def update(self, actor: Actor, changes: dict[str, Any], expected_version: int | None = None) -> "VersionedDocument":
        """Apply `changes`, validate, and write them only if nobody changed the record meanwhile."""
        read_version = self.version
        if expected_version is not None and expected_version != read_version:
            raise VersionConflict(self._collection_name(), self.pk, read_version)
        before = self.snapshot()
        for name, value in changes.items():
            setattr(self, name, value)
        self.updated_at = _now()
        self.check()
        self.version = read_version + 1
        # The whole document is replaced, on condition of the version read: NX-27017 stores a
        # datetime given to $set as a string (see docs/storage.rst), a replacement keeps its type.
        document = self.to_mongo().to_dict()
        try:
            result = self._get_collection().replace_one({"_id": self.pk, "version": read_version}, document)
        except DuplicateKeyError:
            self.version = read_version
            raise self._duplicate() from None
        if result.matched_count != 1:
            self.version = read_version
            raise VersionConflict(self._collection_name(), self.pk, self._stored_version())
        self._clear_changed_fields()
        generation.bump()
        record_event(actor, "update", self._collection_name(), self.pk, before, self.snapshot())
        return self

    def remove(self, actor: Actor, expected_version: int | None = None) -> None:
        """Delete this record if it is still at the version read, and log a `delete` event."""
        version = self.version if expected_version is None else expected_version
        before = self.snapshot()
        result = self._get_collection().delete_one({"_id": self.pk, "version": version})
        if result.deleted_count != 1:
            raise VersionConflict(self._collection_name(), self.pk, self._stored_version())
        generation.bump()
        record_event(actor, "delete", self._collection_name(), self.pk, before, {})

    # -- internals -------------------------------------------------------------------------

    @classmethod
    def _collection_name(cls) -> str:
        return cls._get_collection_name()

    def _stored_version(self) -> int | None:
        stored = self._get_collection().find_one({"_id": self.pk}, {"version": 1})
        return None if stored is None else stored.get("version")

    def _duplicate(self) -> DuplicateValue:
        """Find which unique field clashed, by asking the database (messages differ between servers)."""
        for spec in self.unique_fields:
            names = (spec,) if isinstance(spec, str) else spec
            query = {n: self.to_mongo().get(n) for n in names}
            if any(v is None for v in query.values()):
                continue
            if self.pk is not None:
                query["_id"] = {"$ne": self.pk}
            if self._get_collection().find_one(query, {"_id": 1}) is not None:
                label = " and ".join(names)
                return DuplicateValue(names[-1], f"{label}: another {self._collection_name()} record already has this value")
        return DuplicateValue("", "another record already has one of these unique values")


def _flatten(errors: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in errors.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


def field_errors(pairs: Iterable[tuple[str, str]]) -> None:
    """Raise InvalidRecord for the collected (field, message) pairs, if any."""
    collected = dict(pairs)
    if collected:
        raise InvalidRecord(collected)
