"""Hops of the proxy: where a response goes back (the Via), how our addresses are written, and the mark our
Record-Route carries so that only dialogs we routed come back through us (no open relay)."""

from __future__ import annotations

import hashlib
import hmac

from sip_core.message import Request, Response, Via
from sip_core.peer import Peer


def pop_top_via(message: Request | Response) -> None:
    """Remove the topmost Via (which may share a line with others)."""
    message.replace_first("Via", None)


def via_peer(via: Via) -> Peer:
    """Where a response goes back for this Via (§18.2.2, RFC 3581: received and rport first)."""
    port = int(via.rport) if via.rport else via.port or (5061 if via.transport == "TLS" else 5060)
    return Peer(via.transport.lower(), via.received or via.host, port)


def bracketed(host: str) -> str:
    """An IPv6 address in brackets, as URIs and Vias want it."""
    return f"[{host}]" if ":" in host else host


def dialog_mark(key: bytes, call_id: str) -> str:
    """The mark our Record-Route carries for one dialog (HMAC of its Call-ID): in-dialog requests must bring it back."""
    return hmac.new(key, f"dialog:{call_id}".encode(), hashlib.sha256).hexdigest()[:20]
