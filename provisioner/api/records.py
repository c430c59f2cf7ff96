"""Handlers for the record collections: list with filters, paging and sorting; create; read; update; delete."""

from __future__ import annotations

import re
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from inventory.counts import count
from provisioner.api.base import ApiError, BaseHandler
from provisioner.api.fields import FieldProblem, bounded_int
from provisioner.api.resources import Resource
from provisioner.record_writes import create_record, delete_record, parse_values, update_record

RESERVED_QUERY = ("page", "per_page", "sort", "q")
MAX_PAGE = 1_000_000


def render(resource: Resource, raw: dict[str, Any]) -> dict[str, Any]:
    """The JSON form of a stored document: every readable field, secrets never."""
    out: dict[str, Any] = {"id": str(raw["_id"])}
    for field in resource.fields:
        if field.name != "id" and not field.write_only:
            out[field.name] = field.render(raw.get(field.name))
    return out


class ResourceHandler(BaseHandler):
    """Common parts of the collection and item handlers."""

    def initialize(self, services, resource: Resource) -> None:  # type: ignore[override]
        super().initialize(services)
        self.resource = resource
        self.route = f"/api/v1/{resource.name}"

    def prepare(self) -> None:
        super().prepare()
        writing = self.request.method not in ("GET", "HEAD")
        needed = self.resource.write_roles if writing else self.resource.read_roles
        if not self.caller.may(needed):
            what = "change" if writing else "read"
            who = ", ".join(needed) if needed else "admin"
            raise ApiError(403, f"to {what} {self.resource.name} you need one of the roles: {who}")

    @property
    def collection(self):  # type: ignore[no-untyped-def]
        return self.resource.document._get_collection()

    def parse_body(self, creating: bool) -> tuple[dict[str, Any], dict[str, Any]]:
        """Split a request body into field values and write-only secrets, with every problem named."""
        body = self.json_body()
        if not creating:
            body.pop("version", None)
        return parse_values(self.resource, body, creating)


class CollectionHandler(ResourceHandler):
    """GET lists records; POST creates one."""

    def get(self) -> None:
        query, sort, page, per_page = self._list_query()
        cursor = self.collection.find(query).sort(sort).skip((page - 1) * per_page).limit(per_page)
        items = [render(self.resource, raw) for raw in cursor]
        total = count(self.collection, query)
        self.send({"items": items, "total": total, "page": page, "per_page": per_page})

    def post(self) -> None:
        values, secrets = self.parse_body(creating=True)
        record, extra = create_record(self.resource, values, secrets, self.services, self.actor)
        self.set_header("Location", f"/api/v1/{self.resource.name}/{record.pk}")
        self.set_header("ETag", f'"{record.version}"')
        self.send({**render(self.resource, record.to_mongo().to_dict()), **extra}, status=201)

    def _list_query(self) -> tuple[dict[str, Any], list[tuple[str, int]], int, int]:
        args = {k: self.get_query_argument(k) for k in self.request.query_arguments}
        problems: dict[str, str] = {}
        api = self.services.settings.api
        page = bounded_int(args.get("page", "1"), 1, MAX_PAGE, "page", problems)
        per_page = bounded_int(args.get("per_page", str(api.page_size)), 1, api.max_page_size, "per_page", problems)
        query: dict[str, Any] = {}
        for name, text in args.items():
            if name in RESERVED_QUERY:
                continue
            field = self.resource.field(name)
            if field is None or not field.filterable:
                allowed = [f.name for f in self.resource.fields if f.filterable] + list(RESERVED_QUERY)
                problems[name] = f"unknown filter: expected one of {', '.join(allowed)}"
                continue
            try:
                query[name] = field.parse_query(text)
            except FieldProblem as exc:
                problems[name] = str(exc)
        if args.get("q"):
            pattern = {"$regex": "^" + re.escape(args["q"][:100]), "$options": "i"}
            query["$or"] = [{name: pattern} for name in self.resource.search]
        sort = self._sort(args.get("sort", "-created_at"), problems)
        if problems:
            raise ApiError(400, "the query is not valid", problems)
        return query, sort, page, per_page

    def _sort(self, text: str, problems: dict[str, str]) -> list[tuple[str, int]]:
        keys: list[tuple[str, int]] = []
        for part in text.split(",")[:3]:
            name = part.strip().lstrip("-")
            field = self.resource.field(name)
            if field is None or not field.sortable:
                allowed = ", ".join(f.name for f in self.resource.fields if f.sortable)
                problems["sort"] = f"cannot sort by {name!r}: expected one of {allowed}, '-' first for descending"
                return []
            keys.append((name, -1 if part.strip().startswith("-") else 1))
        return keys + [("_id", keys[-1][1] if keys else 1)]


class ItemHandler(ResourceHandler):
    """GET, PATCH and DELETE on one record."""

    def initialize(self, services, resource: Resource) -> None:  # type: ignore[override]
        super().initialize(services, resource)
        self.route = f"/api/v1/{resource.name}/{{id}}"

    def _object_id(self, record_id: str) -> ObjectId:
        try:
            return ObjectId(record_id)
        except (InvalidId, TypeError):
            raise ApiError(404, f"no {self.resource.name} record with id {record_id[:40]!r}") from None

    def _load(self, record_id: str):  # type: ignore[no-untyped-def]
        record = self.resource.document.objects(pk=self._object_id(record_id)).first()
        if record is None:
            raise ApiError(404, f"no {self.resource.name} record with id {record_id}")
        return record

    def get(self, record_id: str) -> None:
        raw = self.collection.find_one({"_id": self._object_id(record_id)})
        if raw is None:
            raise ApiError(404, f"no {self.resource.name} record with id {record_id}")
        self.set_header("ETag", f'"{raw.get("version", 1)}"')
        self.send(render(self.resource, raw))

    def patch(self, record_id: str) -> None:
        record = self._load(record_id)
        expected = self.expected_version(self.json_body())  # If-Match or the body's `version`
        values, secrets = self.parse_body(creating=False)
        update_record(self.resource, record, values, secrets, expected, self.services, self.actor)
        self.set_header("ETag", f'"{record.version}"')
        self.send(render(self.resource, record.to_mongo().to_dict()))

    def delete(self, record_id: str) -> None:
        record = self._load(record_id)
        if self.resource.name == "users" and str(record.pk) == self.caller.user_id:
            raise ApiError(409, "you cannot delete your own account")
        delete_record(self.resource, record, self.expected_version(), self.services, self.actor)
        self.set_status(204)
        self.finish()
