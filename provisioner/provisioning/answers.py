"""What a front end asks the provisioning pipeline, and what it gets back: a file, a challenge, or a miss."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from provisioner.provisioning.client_certs import ClientCertificate


@dataclass(frozen=True)
class DeviceRequest:
    """What a front end knows of a request."""

    path: str
    user_agent: str
    source: str
    transport: str  # http, https or tftp
    method: str = "GET"
    authorization: str = ""  # the Authorization header, if any (HTTP)
    certificate: ClientCertificate | None = None  # the verified client certificate, if any (HTTPS)


@dataclass(frozen=True)
class Challenge:
    """Ask for the device's digest credentials (HTTP 401): the same for every device, known or not."""

    www_authenticate: list[str]


@dataclass(frozen=True)
class Served:
    """A rendered file and its revision (a digest of its content, used as ETag)."""

    body: bytes
    content_type: str
    revision: str


class Miss(Exception):
    """The request gets the missing-file answer; `reason` is for the log only, never for the device."""

    def __init__(self, reason: str, excused: bool = False):
        super().__init__(reason)
        self.reason, self.excused = reason, excused


def revision_of(body: bytes) -> str:
    """The content revision of a file: the same bytes always give the same revision."""
    return hashlib.sha256(body).hexdigest()[:32]
