"""Operations endpoints: /healthz for load balancers, /metrics for Prometheus, and the event log."""

from __future__ import annotations

import time

import mongoengine as me
from prometheus_client import CONTENT_TYPE_LATEST
from pymongo.errors import PyMongoError

from inventory.counts import count
from inventory.events import Event
from provisioner.api.base import ApiError, BaseHandler
from provisioner.api.fields import Field, bounded_int
from provisioner.metrics import DATABASE_UP, exposition

EVENT_FILTERS = {"collection": "string", "object_id": "string", "actor": "string", "request_id": "string"}


class HealthHandler(BaseHandler):
    """Public: 200 when the database answers, 503 otherwise; says nothing about the data."""

    roles = None
    route = "/healthz"

    def get(self) -> None:
        started = time.monotonic()
        try:
            me.get_db().client.admin.command("ping")
            database, status = "ok", 200
        except PyMongoError:
            database, status = "unreachable", 503
        DATABASE_UP.set(1 if status == 200 else 0)
        self.send({"status": "ok" if status == 200 else "degraded", "database": database,
                   "database_ms": round(1000 * (time.monotonic() - started), 1),
                   "uptime_s": round(time.monotonic() - self.services.started_at, 1)}, status=status)


class MetricsHandler(BaseHandler):
    """Prometheus text format; needs a token or session like every staff endpoint."""

    route = "/metrics"

    def get(self) -> None:
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(exposition())


class EventsHandler(BaseHandler):
    """GET: the append-only event log, newest first, filtered by record, actor or request id."""

    roles = ("support",)
    route = "/api/v1/events"

    def get(self) -> None:
        args = {k: self.get_query_argument(k) for k in self.request.query_arguments}
        problems: dict[str, str] = {}
        query = {}
        for name, text in args.items():
            if name in ("page", "per_page"):
                continue
            if name not in EVENT_FILTERS:
                problems[name] = f"unknown filter: expected one of {', '.join([*EVENT_FILTERS, 'page', 'per_page'])}"
            else:
                query[name] = text[:100]
        page = bounded_int(args.get("page", "1"), 1, 1_000_000, "page", problems)
        per_page = bounded_int(args.get("per_page", "50"), 1, 500, "per_page", problems)
        if problems:
            raise ApiError(400, "the query is not valid", problems)
        events = Event.objects(**query).order_by("-at", "-id")
        render = Field("at", "datetime").render
        items = [
            {"id": str(e.pk), "at": render(e.at), "actor": e.actor, "action": e.action, "collection": e.collection,
             "object_id": e.object_id, "before": e.before, "after": e.after, "request_id": e.request_id,
             "source": e.source}
            for e in events.skip((page - 1) * per_page).limit(per_page)
        ]
        self.send({"items": items, "total": count(Event._get_collection(), query), "page": page,
                   "per_page": per_page})

