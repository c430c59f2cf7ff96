"""Writing a record of an API resource: reading its fields from a body, creating, updating and deleting it.

Shared by the API's collection handlers (provisioner/api/records.py) and the staff pages that edit the same
records (users, template overrides), so a page and the API apply the same fields, secrets hooks, checks and
version rule.
"""

from __future__ import annotations

from typing import Any

from inventory.counts import count
from inventory.errors import InvalidRecord, StillReferenced
from inventory.events import Actor
from inventory.versioned import VersionedDocument
from provisioner.api.fields import FieldProblem
from provisioner.api.resources import RESOURCES, Resource
from provisioner.services import Services


def parse_values(resource: Resource, body: dict[str, Any], creating: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a body (field name -> JSON value) into field values and write-only secrets; InvalidRecord names
    every problem (unknown or read-only fields, bad values, missing required ones, references to nothing)."""
    values: dict[str, Any] = {}
    secrets: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, value in body.items():
        field = resource.field(name)
        if field is None or not field.writable:
            problems[name] = "unknown field" if field is None else "is set by the server and cannot be written"
            continue
        try:
            parsed = field.parse(value)
        except FieldProblem as exc:
            problems[name] = str(exc)
            continue
        if field.write_only:
            secrets[name] = value
        else:
            values[name] = parsed
    if creating:
        for field in resource.fields:
            if field.required and field.writable and field.name not in body:
                problems[field.name] = "is required"
    problems.update(resolve_references(resource, values))
    if problems:
        raise InvalidRecord(problems)
    return values, secrets


def resolve_references(resource: Resource, values: dict[str, Any]) -> dict[str, str]:
    """Replace reference ids in `values` by their records; returns a problem per reference to nothing."""
    problems: dict[str, str] = {}
    for name, value in values.items():
        field = resource.field(name)
        if field is None or field.ref is None or value in (None, []):
            continue
        target = RESOURCES[field.ref].document
        ids = value if isinstance(value, list) else [value]
        found = {doc.pk: doc for doc in target.objects(pk__in=ids)}
        missing = [str(i) for i in ids if i not in found]
        if missing:
            problems[name] = f"no {field.ref} record with id {', '.join(missing)}"
        else:
            values[name] = [found[i] for i in ids] if isinstance(value, list) else found[value]
    return problems


def create_record(resource: Resource, values: dict[str, Any], secrets: dict[str, Any], services: Services,
                  actor: Actor) -> tuple[VersionedDocument, dict[str, Any]]:
    """Insert a new record: secrets through the resource's hook, its check hook, then the insert.
    Returns the record and what the secrets hook shows once (such as a generated password)."""
    extra = resource.secret_hook(None, values, secrets, services) if resource.secret_hook else {}
    record = resource.document(**values)
    if resource.check_hook:
        record.check()
        resource.check_hook(record, services)
    record.insert(actor)
    return record, extra


def update_record(resource: Resource, record: VersionedDocument, values: dict[str, Any], secrets: dict[str, Any],
                  expected_version: int | None, services: Services, actor: Actor) -> VersionedDocument:
    """Apply `values` (and secrets through the hook) to `record` if it is still at `expected_version`
    (VersionConflict otherwise); the check hook sees the record as it would be written."""
    if resource.secret_hook:
        resource.secret_hook(record, values, secrets, services)
    if resource.check_hook:
        for name, value in values.items():
            setattr(record, name, value)
        record.check()
        resource.check_hook(record, services)
    return record.update(actor, values, expected_version)


def delete_record(resource: Resource, record: VersionedDocument, expected_version: int | None, services: Services,
                  actor: Actor) -> None:
    """Delete `record` if nothing refers to it (StillReferenced) and it is still at the version read."""
    referrers = {}
    for name, field in resource.referrers:
        found = count(RESOURCES[name].document._get_collection(), {field: str(record.pk)})
        if found:
            referrers[name] = found
    if referrers:
        raise StillReferenced(resource.name, referrers)
    record.remove(actor, expected_version)
    if resource.name == "users":
        services.auth_cache.clear()
