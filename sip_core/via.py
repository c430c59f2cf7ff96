"""The Via header (RFC 3261 §20.42, RFC 3581): where a response goes back to, and the transaction's branch."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sip_core.uri import MalformedMessage, encode_params, parse_params

_VIA = re.compile(r"SIP\s*/\s*2\.0\s*/\s*([A-Za-z0-9.!%*_+`'~-]+)\s+(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)"
                  r"(?:\s*:\s*([0-9]{1,5}))?\s*", re.I)

@dataclass(slots=True)
class Via:
    """One Via header value: where the sender wants the response, and the transaction's branch."""

    transport: str
    host: str
    port: int | None = None
    params: dict[str, str | None] = field(default_factory=dict)

    @property
    def branch(self) -> str | None:
        """The transaction identifier, or None (a pre-RFC 3261 sender)."""
        return self.params.get("branch")

    @property
    def received(self) -> str | None:
        """The source address a server noted when it differed from `host`, or None."""
        return self.params.get("received")

    @property
    def rport(self) -> str | None:
        """None when absent, "" when asked for (RFC 3581), else the source port a server noted."""
        if "rport" not in self.params:
            return None
        return self.params["rport"] or ""

    def encode(self) -> str:
        """The Via value as text."""
        port = f":{self.port}" if self.port is not None else ""
        return f"SIP/2.0/{self.transport} {self.host}{port}{encode_params(self.params)}"


def parse_via(value: str) -> Via:
    """Parse one Via value (not a comma-separated list); the transport is upper-cased, the host lower-cased."""
    value = value.strip()
    match = _VIA.match(value)
    if match is None:
        raise MalformedMessage(f"bad Via {value[:64]!r}")
    rest = value[match.end():]
    if rest and rest[0] != ";":
        raise MalformedMessage(f"bad Via {value[:64]!r}")
    transport, host, port = match.groups()
    if port is not None and not 0 < int(port) < 65536:
        raise MalformedMessage(f"port {port} out of range in Via")
    return Via(transport.upper(), host.lower(), int(port) if port is not None else None,
               parse_params(rest[1:], "Via") if rest else {})
