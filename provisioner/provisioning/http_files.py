"""The HTTP(S) front end for devices: every path outside /api is a file a device may ask for.

A refused request and a file that does not exist get the same answer, byte for byte.
"""

from __future__ import annotations

import logging
import ssl

import tornado.web

from provisioner.logs import request_id_var
from provisioner.provisioning.answers import Challenge, DeviceRequest
from provisioner.provisioning.client_certs import ClientCertificate
from provisioner.provisioning.pipeline import Provisioner

MISSING_BODY = b"Not Found\n"
CHALLENGE_BODY = b"Unauthorized\n"


class DeviceFileHandler(tornado.web.RequestHandler):
    """GET or HEAD a configuration file; ETag and If-None-Match spare unchanged downloads."""

    route = "device file"
    #: Files served are logged at DEBUG only: a boot storm would write a line per phone, and each fetch is
    #: recorded in the database anyway. Misses keep their access-log line (and the pipeline's own).
    success_log_level = logging.DEBUG

    def initialize(self, provisioner: Provisioner) -> None:
        self.provisioner = provisioner
        request_id_var.set("")

    def compute_etag(self) -> None:
        return None  # ours is the content revision, set explicitly

    async def get(self, path: str) -> None:
        request = DeviceRequest(path=self.request.path, user_agent=self.request.headers.get("User-Agent", ""),
                                source=self.request.remote_ip or "", transport=self.request.protocol,
                                method=self.request.method or "GET",
                                authorization=self.request.headers.get("Authorization", ""),
                                certificate=self._certificate())
        served = await self.provisioner.answer(request)
        if isinstance(served, Challenge):
            self.set_status(401)
            for value in served.www_authenticate:
                self.add_header("WWW-Authenticate", value)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(CHALLENGE_BODY)
            return
        if served is None:
            self.set_status(404)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(MISSING_BODY)
            return
        etag = f'"{served.revision}"'
        self.set_header("ETag", etag)
        self.set_header("Cache-Control", "no-cache, private")
        if etag in [tag.strip() for tag in self.request.headers.get("If-None-Match", "").split(",")]:
            self.set_status(304)
            self.finish()
            return
        self.set_header("Content-Type", served.content_type)
        self.finish(served.body)

    head = get

    def _certificate(self) -> ClientCertificate | None:
        """The client certificate the TLS handshake verified, read for its vendor and MAC (None: none sent)."""
        stream = self.request.connection.stream if self.request.connection else None
        socket = getattr(stream, "socket", None)
        if not isinstance(socket, ssl.SSLSocket):
            return None
        der = socket.getpeercert(binary_form=True)
        return self.provisioner.authorities.read(der) if der else None

    def write_error(self, status_code: int, **kwargs: object) -> None:
        # Even a failure of ours must not tell a device apart from a missing file.
        self.set_status(404)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(MISSING_BODY)
