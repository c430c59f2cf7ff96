"""Logging set-up: plain text or one JSON object per line, each record carrying the request id."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


class RequestIdFilter(logging.Filter):
    """Adds the current request id (or '-') to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key in ("status", "method", "path", "duration_ms", "user", "remote"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def setup_logging(level: str = "INFO", fmt: str = "text", access_log: bool = True) -> None:
    """Send logs to standard error in the chosen format; replaces earlier handlers."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("tornado.access").disabled = not access_log
    for noisy in ("pymongo", "mongoengine"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def log_request(handler) -> None:  # type: ignore[no-untyped-def]
    """Tornado's access-log hook: one line per request, path without its query string."""
    request = handler.request
    caller = getattr(handler, "caller", None)
    log_access(handler.get_status(), request.method, request.path, request.request_time(), request.remote_ip,
               caller.username if caller else "-", getattr(handler, "success_log_level", logging.INFO))


def log_access(status: int, method: str | None, path: str, seconds: float, remote: str | None, user: str = "-",
               success_level: int = logging.INFO) -> None:
    """One access-log line: successes at `success_level`, client errors at WARNING, server errors at ERROR."""
    logger = logging.getLogger("tornado.access")
    level = success_level if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    if not logger.isEnabledFor(level):
        return
    duration = 1000.0 * seconds
    logger.log(
        level, "%d %s %s %.1fms", status, method, path, duration,
        extra={"status": status, "method": method, "path": path, "duration_ms": round(duration, 2), "user": user,
               "remote": remote},
    )
