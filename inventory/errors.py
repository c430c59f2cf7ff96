"""Errors the domain raises when a change cannot be made; front ends turn them into answers."""

from __future__ import annotations

from collections.abc import Mapping

from inventory.refusals import Reason


class InvalidRecord(ValueError):
    """One or more fields hold values that break a rule; `fields` maps each field to what is expected, in English
    (as the API answers it), and `problems` to the same with its code where it has one (inventory/refusals.py)."""

    def __init__(self, fields: Mapping[str, str | Reason]):
        self.problems: dict[str, str | Reason] = dict(fields)
        self.fields = {name: str(why) for name, why in self.problems.items()}
        super().__init__("; ".join(f"{name}: {why}" for name, why in sorted(self.fields.items())))


class DuplicateValue(ValueError):
    """A value that must be unique is already held by another record."""

    def __init__(self, field: str, message: str | None = None):
        self.field = field
        super().__init__(message or f"{field}: another record already has this value")


class VersionConflict(RuntimeError):
    """The record changed since the caller read it; nothing was written."""

    def __init__(self, collection: str, object_id: object, current_version: int | None):
        self.current_version = current_version
        where = f"{collection} {object_id}"
        if current_version is None:
            super().__init__(f"{where} was deleted by someone else")
        else:
            super().__init__(
                f"{where} was changed by someone else (now at version {current_version}); "
                "read it again and retry"
            )


class StillReferenced(RuntimeError):
    """A record cannot be deleted while other records point to it."""

    def __init__(self, collection: str, referrers: dict[str, int]):
        self.referrers = referrers
        listing = ", ".join(f"{n} {name}" for name, n in sorted(referrers.items()))
        super().__init__(f"this {collection} record is still used by {listing}; remove or move them first")
