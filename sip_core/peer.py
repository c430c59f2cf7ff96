"""Who is at the other end of a message: the transport it came over and the address it came from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Peer:
    """A message's source (or a destination): "udp", "tcp" or "tls", and the address and port.

    Over TCP and TLS, requests to a peer go back over the connection it opened (a phone behind NAT cannot be
    reached otherwise); `transport.py` keeps the connections by this key.
    """

    transport: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.transport}:{host}:{self.port}"
