"""The HTTP(S) front end for devices: every path outside the API, the staff pages, /firmware, /healthz and
/metrics is a file a device may ask for.

A refused request and a file that does not exist get the same answer, byte for byte.

Device files are answered on Tornado's HTTP connection directly (an `HTTPMessageDelegate`), below
`tornado.web.RequestHandler`: in a boot storm, where every phone opens a connection for one file, the handler's
machinery (routing through the whole table, a handler object, header bookkeeping, output transforms) cost
about a fifth of each worker (docs/benchmarks.rst, "Boot storm"). Tornado still reads, parses and bounds the
request, and writes the answer; the application's routes serve everything else (`DeviceFilesApplication`).
A request whose devices the cache knows is answered as soon as it is read (`Provisioner.answer_now`); one that
needs a device read first waits for it in a task.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import logging
import re
import ssl
import time

import tornado.web
from tornado import httputil

from provisioner.logs import log_access, request_id_var
from provisioner.metrics import observe_request
from provisioner.provisioning.answers import Challenge, DeviceRequest, Served
from provisioner.provisioning.client_certs import ClientCertificate
from provisioner.provisioning.pipeline import Pending, Provisioner

log = logging.getLogger("provisioner.provisioning")

#: Every path that is not the API's, the staff pages', the firmware's, /healthz or /metrics: a file a device may
#: ask for.
DEVICE_FILES = r"/(?!api/|staff(?:/|$)|firmware/[^/]+$|healthz$|metrics$)(.*)"
_DEVICE_FILES = re.compile(DEVICE_FILES + r"\Z")
MISSING_BODY = b"Not Found\n"
CHALLENGE_BODY = b"Unauthorized\n"
TEXT = "text/plain; charset=utf-8"
ROUTE = "device file"
#: Bodies of text files at least this long are compressed for a device that accepts gzip (as Tornado's
#: `GZipContentEncoding` does for the rest of the application).
GZIP_MIN_LENGTH = 1024
GZIP_LEVEL = 6


def is_device_file(path: str) -> bool:
    """Whether a request path (without its query) names a device file rather than a route of the application."""
    return _DEVICE_FILES.match(path) is not None


class DeviceFilesApplication(tornado.web.Application):
    """The application, with device files answered before its routing (see the module's docstring)."""

    def start_request(self, server_conn: object, request_conn: httputil.HTTPConnection) -> httputil.HTTPMessageDelegate:
        return _Dispatch(self, server_conn, request_conn)


class _Dispatch(httputil.HTTPMessageDelegate):
    """Sends a request to the device-file answer or to the application's routing, once its start line is read."""

    def __init__(self, application: DeviceFilesApplication, server_conn: object,
                 request_conn: httputil.HTTPConnection):
        self.application, self.server_conn, self.request_conn = application, server_conn, request_conn
        self.delegate: httputil.HTTPMessageDelegate | None = None

    def headers_received(self, start_line: httputil.RequestStartLine | httputil.ResponseStartLine,
                         headers: httputil.HTTPHeaders) -> None:
        assert isinstance(start_line, httputil.RequestStartLine)
        if is_device_file(start_line.path.partition("?")[0]):
            self.delegate = DeviceFileAnswer(self.application.settings["provisioner"], self.request_conn)
        else:
            self.delegate = tornado.web.Application.start_request(self.application, self.server_conn,
                                                                  self.request_conn)
        return self.delegate.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> None:
        assert self.delegate is not None
        return self.delegate.data_received(chunk)

    def finish(self) -> None:
        assert self.delegate is not None
        self.delegate.finish()

    def on_connection_close(self) -> None:
        if self.delegate is not None:
            self.delegate.on_connection_close()


class DeviceFileAnswer(httputil.HTTPMessageDelegate):
    """One request for a device file: GET or HEAD; ETag and If-None-Match spare unchanged downloads.

    Any other method gets the missing-file answer, as does any failure of ours: nothing tells a device apart
    from a missing file. Files served are logged at DEBUG only (a boot storm would write a line per phone, and
    each fetch is recorded in the database anyway); misses keep their access-log line (and the pipeline's own).
    """

    def __init__(self, provisioner: Provisioner, connection: httputil.HTTPConnection):
        self.provisioner, self.connection = provisioner, connection
        self.context = getattr(connection, "context", None)  # Tornado's: the peer's address, http or https
        self.started = time.time()
        self.start_line: httputil.RequestStartLine | None = None
        self.headers = httputil.HTTPHeaders()
        self.task: asyncio.Task | None = None  # held: the loop keeps only a weak reference
        self.written = False

    def headers_received(self, start_line: httputil.RequestStartLine | httputil.ResponseStartLine,
                         headers: httputil.HTTPHeaders) -> None:
        assert isinstance(start_line, httputil.RequestStartLine)
        self.start_line, self.headers = start_line, headers

    def data_received(self, chunk: bytes) -> None:
        pass  # a device's request has no body worth reading; Tornado bounds its size

    def finish(self) -> None:
        request_id_var.set("")
        assert self.start_line is not None
        method, path = self.start_line.method, self.start_line.path.partition("?")[0]
        try:
            request = self._request(method, path)
            served = self.provisioner.answer_now(request) if method in ("GET", "HEAD") else None
        except Exception:  # noqa: BLE001 - logged with its trace; the device sees a missing file
            self._fail(method, path)
            return
        if isinstance(served, Pending):  # a device to read first, off the IOLoop
            self.task = asyncio.get_running_loop().create_task(self._answer_later(request, served))
        else:
            self._respond(method, path, served)

    async def _answer_later(self, request: DeviceRequest, pending: Pending) -> None:
        request_id_var.set("")
        method, path = request.method, request.path
        try:
            await self.provisioner.devices.prefetch(pending.macs)
            served = self.provisioner.serve(request, pending.readings)
        except Exception:  # noqa: BLE001 - logged with its trace; the device sees a missing file
            self._fail(method, path)
            return
        self._respond(method, path, served)

    def _respond(self, method: str, path: str, served: Served | Challenge | None) -> None:
        try:
            status = self._write(method, *self._response(served))
        except Exception:  # noqa: BLE001 - logged with its trace; the device sees a missing file
            self._fail(method, path)
            return
        self._measure(method, path, status)

    def _fail(self, method: str, path: str) -> None:
        """A failure of ours: logged with its trace, answered as a missing file (if nothing was sent yet)."""
        log.exception("answering %s %s failed", method, path[:200])
        if not self.written:
            self._write(method, *_missing())
        self._measure(method, path, 404)

    def _measure(self, method: str, path: str, status: int) -> None:
        duration = time.time() - self.started
        observe_request(ROUTE, method, status, duration)
        log_access(status, method, path, duration, self._remote(), success_level=logging.DEBUG)

    def _request(self, method: str, path: str) -> DeviceRequest:
        return DeviceRequest(path=path, user_agent=self.headers.get("User-Agent", ""), source=self._remote(),
                             transport=self._protocol(), method=method,
                             authorization=self.headers.get("Authorization", ""), certificate=self._certificate())

    def _response(self, served: Served | Challenge | None) -> tuple[int, httputil.HTTPHeaders, bytes]:
        if served is None:
            return _missing()
        if isinstance(served, Challenge):
            headers = _headers(TEXT)
            for value in served.www_authenticate:
                headers.add("WWW-Authenticate", value)
            return 401, headers, CHALLENGE_BODY
        etag = f'"{served.revision}"'
        if etag in [tag.strip() for tag in self.headers.get("If-None-Match", "").split(",")]:
            headers = _headers(None)
            headers["ETag"], headers["Cache-Control"] = etag, "no-cache, private"
            return 304, headers, b""
        headers = _headers(served.content_type)
        headers["ETag"], headers["Cache-Control"] = etag, "no-cache, private"
        return 200, headers, self._compressed(headers, served.body)

    def _compressed(self, headers: httputil.HTTPHeaders, body: bytes) -> bytes:
        """The body gzipped when the device accepts it and it is text worth compressing."""
        kind = headers["Content-Type"].split(";")[0]
        if len(body) < GZIP_MIN_LENGTH or "gzip" not in self.headers.get("Accept-Encoding", "") or not (
                kind.startswith("text/") or kind in tornado.web.GZipContentEncoding.CONTENT_TYPES):
            return body
        headers["Content-Encoding"] = "gzip"
        return gzip.compress(body, GZIP_LEVEL, mtime=0)

    def _write(self, method: str, status: int, headers: httputil.HTTPHeaders, body: bytes) -> int:
        """Send the answer (a HEAD's without its body) and end the request; returns the status sent."""
        self.written = True
        if status != 304:
            headers["Content-Length"] = str(len(body))
        if method == "HEAD" or status == 304:
            body = b""
        start = httputil.ResponseStartLine("HTTP/1.1", status, httputil.responses[status])
        self.connection.write_headers(start, headers, body or None)
        self.connection.finish()
        return status

    def _remote(self) -> str:
        return getattr(self.context, "remote_ip", None) or ""

    def _protocol(self) -> str:
        return getattr(self.context, "protocol", None) or "http"

    def _certificate(self) -> ClientCertificate | None:
        """The client certificate the TLS handshake verified, read for its vendor and MAC (None: none sent)."""
        socket = getattr(getattr(self.connection, "stream", None), "socket", None)
        if not isinstance(socket, ssl.SSLSocket):
            return None
        der = socket.getpeercert(binary_form=True)
        return self.provisioner.authorities.read(der) if der else None


def _headers(content_type: str | None) -> httputil.HTTPHeaders:
    headers = httputil.HTTPHeaders()
    headers["Date"] = _date()
    if content_type:
        headers["Content-Type"] = content_type
    headers["Vary"] = "Accept-Encoding"
    return headers


def _missing() -> tuple[int, httputil.HTTPHeaders, bytes]:
    return 404, _headers(TEXT), MISSING_BODY



@functools.lru_cache(maxsize=4)
def _date_of(second: int) -> str:
    return httputil.format_timestamp(second)


def _date() -> str:
    """The Date header's value, formatted once a second."""
    return _date_of(int(time.time()))
