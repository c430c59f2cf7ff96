"""Header names and status reasons of SIP (RFC 3261 §7.3, §20, §21 and the IANA registry): spellings made canonical."""

from __future__ import annotations

__all__ = ["COMPACT_NAMES", "REASONS", "canonical_name"]

_LONG_NAMES = (
    "Accept", "Accept-Contact", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Allow-Events",
    "Authentication-Info", "Authorization", "Call-ID", "Call-Info", "Contact", "Content-Disposition",
    "Content-Encoding", "Content-Language", "Content-Length", "Content-Type", "CSeq", "Date", "Error-Info",
    "Event", "Expires", "Flow-Timer", "From", "Identity", "Identity-Info", "In-Reply-To", "Max-Forwards",
    "MIME-Version", "Min-Expires", "Min-SE", "Organization", "P-Asserted-Identity", "P-Associated-URI",
    "P-Preferred-Identity", "Path", "Priority", "Privacy", "Proxy-Authenticate", "Proxy-Authorization",
    "Proxy-Require", "RAck", "Reason", "Record-Route", "Refer-To", "Referred-By", "Reject-Contact", "Replaces",
    "Reply-To", "Request-Disposition", "Require", "Retry-After", "Route", "RSeq", "Security-Client",
    "Security-Server", "Security-Verify", "Server", "Service-Route", "Session-Expires", "SIP-ETag",
    "SIP-If-Match", "Subject", "Subscription-State", "Supported", "Timestamp", "To", "Unsupported",
    "User-Agent", "Via", "Warning", "WWW-Authenticate",
)
#: Compact header names (RFC 3261 section 7.3.3 and the IANA SIP header registry).
COMPACT_NAMES = {
    "a": "Accept-Contact", "b": "Referred-By", "c": "Content-Type", "d": "Request-Disposition",
    "e": "Content-Encoding", "f": "From", "i": "Call-ID", "j": "Reject-Contact", "k": "Supported",
    "l": "Content-Length", "m": "Contact", "n": "Identity-Info", "o": "Event", "r": "Refer-To", "s": "Subject",
    "t": "To", "u": "Allow-Events", "v": "Via", "x": "Session-Expires", "y": "Identity",
}
_CANONICAL = {spelling: name for name in _LONG_NAMES for spelling in (name, name.lower())}
_CANONICAL.update({spelling: name for short, name in COMPACT_NAMES.items() for spelling in (short, short.upper())})
# Headers whose values are comma-separated lists (RFC 3261 section 7.3.1); the others (Authorization,
# WWW-Authenticate, Date...) keep their commas.
_LIST_HEADERS = frozenset((
    "Accept", "Accept-Contact", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Allow-Events",
    "Call-Info", "Contact", "Content-Encoding", "Content-Language", "Error-Info", "In-Reply-To",
    "P-Asserted-Identity", "P-Associated-URI", "P-Preferred-Identity", "Path", "Proxy-Require", "Reason",
    "Record-Route", "Reject-Contact", "Require", "Route", "Security-Client", "Security-Server",
    "Security-Verify", "Service-Route", "Supported", "Unsupported", "Via", "Warning",
))

#: Reason phrases of the standard status codes (RFC 3261 section 21 and its updates).
REASONS = {
    100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued", 183: "Session Progress",
    199: "Early Dialog Terminated", 200: "OK", 202: "Accepted", 204: "No Notification",
    300: "Multiple Choices", 301: "Moved Permanently", 302: "Moved Temporarily", 305: "Use Proxy",
    380: "Alternative Service", 400: "Bad Request", 401: "Unauthorized", 402: "Payment Required",
    403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
    407: "Proxy Authentication Required", 408: "Request Timeout", 410: "Gone", 412: "Conditional Request Failed",
    413: "Request Entity Too Large", 414: "Request-URI Too Long", 415: "Unsupported Media Type",
    416: "Unsupported URI Scheme", 417: "Unknown Resource-Priority", 420: "Bad Extension",
    421: "Extension Required", 422: "Session Interval Too Small", 423: "Interval Too Brief",
    428: "Use Identity Header", 429: "Provide Referrer Identity", 430: "Flow Failed",
    433: "Anonymity Disallowed", 436: "Bad Identity-Info", 437: "Unsupported Certificate",
    438: "Invalid Identity Header", 439: "First Hop Lacks Outbound Support", 440: "Max-Breadth Exceeded",
    469: "Bad Info Package", 470: "Consent Needed", 480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist", 482: "Loop Detected", 483: "Too Many Hops",
    484: "Address Incomplete", 485: "Ambiguous", 486: "Busy Here", 487: "Request Terminated",
    488: "Not Acceptable Here", 489: "Bad Event", 491: "Request Pending", 493: "Undecipherable",
    494: "Security Agreement Required", 500: "Server Internal Error", 501: "Not Implemented",
    502: "Bad Gateway", 503: "Service Unavailable", 504: "Server Time-out", 505: "Version Not Supported",
    513: "Message Too Large", 555: "Push Notification Service Not Supported", 580: "Precondition Failure",
    600: "Busy Everywhere", 603: "Decline", 604: "Does Not Exist Anywhere", 606: "Not Acceptable",
    607: "Unwanted", 608: "Rejected",
}


def canonical_name(name: str) -> str:
    """The long, conventionally capitalised form of a header name (``"v"`` and ``"VIA"`` give ``"Via"``)."""
    canonical = _CANONICAL.get(name)
    if canonical is None:
        name = name.strip()
        canonical = _CANONICAL.get(name) or _CANONICAL.get(name.lower())
        if canonical is None:
            canonical = "-".join(part.capitalize() for part in name.split("-"))
    return canonical
