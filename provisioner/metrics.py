"""Prometheus metrics of the server, in the default registry as prometheus-client expects."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "provisioner_http_requests_total", "HTTP requests answered", ["route", "method", "status"]
)
HTTP_SECONDS = Histogram(
    "provisioner_http_request_seconds", "Time to answer an HTTP request", ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
DATABASE_UP = Gauge("provisioner_database_up", "1 when the last health check reached the database")
START_SECONDS = Gauge("provisioner_start_seconds", "Seconds from process start to ready")


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request under its route pattern (never the raw path: ids would explode the series)."""
    HTTP_REQUESTS.labels(route, method, str(status)).inc()
    HTTP_SECONDS.labels(route).observe(seconds)
