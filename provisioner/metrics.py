"""Prometheus metrics of the server, in the default registry as prometheus-client expects."""

from __future__ import annotations

import functools
import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

#: Set (by `provisioner serve` with several workers) before this module is imported: each worker
#: then writes its figures to files there and /metrics adds them up.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

HTTP_REQUESTS = Counter(
    "provisioner_http_requests_total", "HTTP requests answered", ["route", "method", "status"]
)
HTTP_SECONDS = Histogram(
    "provisioner_http_request_seconds", "Time to answer an HTTP request", ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
DATABASE_UP = Gauge("provisioner_database_up", "1 when the last health check reached the database",
                    multiprocess_mode="max")
SIP_REGISTRATIONS = Counter("provisioner_sip_registrations_total",
                            "REGISTER requests that changed a line's bindings", ["result"])  # registered, unregistered
SIP_AUTH_FAILURES = Counter("provisioner_sip_auth_failures_total", "Failed SIP digest authentications")
SIP_FRAUD_SIGNS = Counter("provisioner_sip_fraud_signs_total", "Fraud signs the SIP core observed", ["kind"])
FILES_RENDERED_AHEAD = Counter("provisioner_files_rendered_ahead_total",
                               "Devices' own files rendered before the device asked")
RENDER_AHEAD_WAITING = Gauge("provisioner_render_ahead_waiting",
                             "Devices whose file waits to be rendered ahead, in the round under way",
                             multiprocess_mode="livesum")
START_SECONDS = Gauge("provisioner_start_seconds", "Seconds from process start to ready", multiprocess_mode="max")


#: Methods counted under their name; any other is "other" (a client may send any word: each would be a series).
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request under its route pattern (never the raw path: ids would explode the series)."""
    requests, durations = _series(route, method if method in KNOWN_METHODS else "other", status)
    requests.inc()
    durations.observe(seconds)


@functools.lru_cache(maxsize=1024)
def _series(route: str, method: str, status: int) -> tuple:
    """The request counter and duration histogram of one route, method and status (looked up once each)."""
    return HTTP_REQUESTS.labels(route, method, str(status)), HTTP_SECONDS.labels(route)


def exposition() -> bytes:
    """The metrics in Prometheus text format, added up over the workers when there are several."""
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()


def forget_worker(pid: int) -> None:
    """Drop a dead worker's live gauges (multi-process mode only)."""
    if os.environ.get(MULTIPROCESS_DIR):
        multiprocess.mark_process_dead(pid)
