"""SIP messages (RFC 3261 sections 7 and 20): built, read header by header, and written back.

Reading them from bytes is parsing.py's, and it is lazy because the registrar takes thousands of REGISTERs a
second in one process: only the start line and the header lines are split at first. Via, From, To, Contact
and the Request-URI are parsed here when first read and cached until a header is changed; a problem on a read
is a `MalformedMessage` carrying the status to answer with. Streams are cut into messages by framing.py; Via
lives in via.py. A server noting where a request came from rewrites its top Via line in place, keeping the
rest of what was parsed.
"""

from __future__ import annotations

import re
import secrets
from typing import Literal

from sip_core.address import Address, parse_address, parse_contacts
from sip_core.header_names import _CANONICAL, _LIST_HEADERS, REASONS, canonical_name
from sip_core.uri import MalformedMessage, SipUri, parse_uri, split_list
from sip_core.via import Via, parse_via

__all__ = ["KNOWN_METHODS", "MAX_MESSAGE", "REASONS", "MalformedMessage", "Message", "Request", "Response", "Via",
           "canonical_name", "answerable", "new_branch", "new_tag", "parse_via", "response_to"]

#: Longest message accepted, in bytes (head and body); a longer one is answered 413 when it can be.
MAX_MESSAGE = 65_535
#: Branch parameters of RFC 3261 transactions start with this (section 8.1.1.7).
MAGIC_COOKIE = "z9hG4bK"

# Copied from a request into its response, in this order (section 8.2.6.2); Timestamp also into a 100 (8.2.6.1).
_COPIED = ("Via", "From", "To", "Call-ID", "CSeq")
_COPIED_RANK = {name: rank for rank, name in enumerate(_COPIED)}
_COPIED_RANK_TO_100 = {name: rank for rank, name in enumerate(_COPIED + ("Timestamp",))}

_TOKEN = re.compile(r"[A-Za-z0-9.!%*_+`'~-]+")
#: Methods of RFC 3261 and its extensions (the core answers 405 to these, 501 to others); tokens, so a CSeq or
#: start line naming one needs no regular expression.
KNOWN_METHODS = frozenset(("REGISTER", "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "PRACK", "SUBSCRIBE", "NOTIFY",
                            "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE"))



def _number(text: str, what: str, digits: int = 10) -> int:
    """A non-negative decimal of at most `digits` digits (longer ones would be slow to convert, or absurd)."""
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= digits):
        raise MalformedMessage(f"{what} {text[:20]!r} is not a number")
    return int(text)


def _parse_cseq(value: str) -> tuple[int, str]:
    parts = value.split()
    if len(parts) != 2 or not (parts[1] in KNOWN_METHODS or _TOKEN.fullmatch(parts[1])):
        raise MalformedMessage(f"CSeq {value[:40]!r} is not 'number method'")
    number = _number(parts[0], "CSeq number")
    if number >= 2 ** 31:
        raise MalformedMessage(f"CSeq number {number} is 2**31 or more")
    return number, parts[1]


class Message:
    """What requests and responses share: the version, the header lines in order, the body and the accessors.

    `headers` holds one ``(canonical name, value)`` pair per header line; change it through `set_header`,
    `add_header` and `remove_header`, which also forget the parsed values cached by the accessors.
    """

    __slots__ = ("version", "headers", "body", "_cache")

    def __init__(self, headers: list[tuple[str, str]] | None = None, body: bytes = b"",
                 version: str = "SIP/2.0") -> None:
        self.version = version
        self.headers: list[tuple[str, str]] = []
        self.body = body
        self._cache: dict[str, object] = {}
        if headers:
            for name, value in headers:
                self.add_header(name, value)

    def header(self, name: str) -> str | None:
        """The first value of header `name` (any case, compact form accepted), or None."""
        name = _CANONICAL.get(name) or canonical_name(name)
        for header, value in self.headers:
            if header == name:
                return value
        return None

    def header_values(self, name: str) -> list[str]:
        """Every value of header `name`, comma-separated lists split for the headers that are lists."""
        name = _CANONICAL.get(name) or canonical_name(name)
        values = [value for header, value in self.headers if header == name]
        if name in _LIST_HEADERS:
            return [item for value in values for item in split_list(value)]
        return values

    def set_header(self, name: str, value: str) -> None:
        """Replace every line of header `name` by one line holding `value`, where the first one was."""
        name, value = canonical_name(name), _checked(value)  # checked first: nothing removed if refused
        position = next((index for index, (header, _) in enumerate(self.headers) if header == name), None)
        self.remove_header(name)
        if position is None:
            self.add_header(name, value)
        else:
            self.headers.insert(position, (name, value))

    def add_header(self, name: str, value: str, first: bool = False) -> None:
        """Add a line of header `name`: after the others, or before every header with `first`."""
        line = (canonical_name(name), _checked(value))
        if first:
            self.headers.insert(0, line)
        else:
            self.headers.append(line)
        self._cache.clear()

    def remove_header(self, name: str) -> None:
        """Remove every line of header `name`."""
        name = canonical_name(name)
        self.headers[:] = [line for line in self.headers if line[0] != name]
        self._cache.clear()

    def replace_first(self, name: str, value: str | None) -> None:
        """Replace the first value of list header `name` (which may share its line with others) by `value`, or
        remove it with None (a proxy pops its own Via or Route; a server notes received/rport in the top Via)."""
        name = canonical_name(name)
        for index, (header, line) in enumerate(self.headers):
            if header == name:
                rest = split_list(line)[1:]
                if value is None and not rest:
                    del self.headers[index]
                else:
                    self.headers[index] = (name, ", ".join(([] if value is None else [_checked(value)]) + rest))
                self._cache.clear()
                return

    def rewrite_top_via(self, via: Via) -> None:
        """Write back the topmost Via, parsed from this message and then changed (a server noting where the request
        came from), keeping what was parsed (the Vias, CSeq, From, To...): the handlers read them next."""
        vias = self.vias
        if not vias or via is not vias[0]:
            raise ValueError("only the message's own topmost Via, as parsed, can be written back")
        value = _checked(via.encode())
        headers = self.headers
        for index, (name, line) in enumerate(headers):
            if name == "Via":
                if "," not in line:  # the usual line of one Via: replaced whole, and the cache still holds
                    headers[index] = ("Via", value)
                    return
                break
        kept = dict(self._cache)  # nothing but the top Via changes: what was parsed of the rest still holds
        self.replace_first("Via", value)
        self._cache.update(kept)

    @property
    def call_id(self) -> str | None:
        """The Call-ID, or None."""
        return self.header("Call-ID")

    @property
    def cseq(self) -> tuple[int, str]:
        """The CSeq as ``(number, method)``."""
        cseq = self._cache.get("cseq")
        if cseq is None:
            value = self.header("CSeq")
            if value is None:
                raise MalformedMessage("missing CSeq header")
            cseq = self._cache["cseq"] = _parse_cseq(value)
        return cseq  # type: ignore[return-value]

    @property
    def max_forwards(self) -> int | None:
        """The Max-Forwards count, or None without the header (accepted: many phones omit it)."""
        value = self.header("Max-Forwards")
        return None if value is None else self._number(value, "Max-Forwards")

    @property
    def expires(self) -> int | None:
        """The Expires header in seconds, or None."""
        value = self.header("Expires")
        return None if value is None else self._number(value, "Expires")

    @property
    def vias(self) -> list[Via]:
        """The Via values, topmost first. A malformed one cannot be answered, so its error is not answerable."""
        vias = self._cache.get("vias")
        if vias is None:
            vias = self._cache["vias"] = [parse_via(value) for value in self.header_values("Via")]
        return vias  # type: ignore[return-value]

    @property
    def from_(self) -> Address:
        """The From address."""
        return self._address("From")

    @property
    def to(self) -> Address:
        """The To address."""
        return self._address("To")

    @property
    def contacts(self) -> list[Address] | Literal["*"]:
        """The Contact addresses of every Contact line ([] without any), or ``"*"`` for the wildcard."""
        contacts = self._cache.get("contacts")
        if contacts is None:
            values = [value for name, value in self.headers if name == "Contact"]
            try:
                if any(value.strip() == "*" for value in values):
                    if len(values) > 1 or len(split_list(values[0])) > 1:
                        raise MalformedMessage("Contact '*' mixed with other contacts")
                    contacts = "*"
                else:
                    contacts = [address for value in values for address in parse_contacts(value)]
            except MalformedMessage as error:
                raise MalformedMessage(error.reason, error.status, answerable(self)) from None
            self._cache["contacts"] = contacts
        return contacts  # type: ignore[return-value]

    @property
    def content_length(self) -> int:
        """The body's length (Content-Length is checked at parse time and recomputed by `encode`)."""
        return len(self.body)

    def encode(self) -> bytes:
        """The message as bytes: long header names, CRLF line ends, Content-Length from the body."""
        lines = [self._start_line()]
        lines += [f"{name}: {value}" for name, value in self.headers if name != "Content-Length"]
        lines += [f"Content-Length: {len(self.body)}", "", ""]
        return "\r\n".join(lines).encode("utf-8", "surrogateescape") + self.body

    def _start_line(self) -> str:
        raise NotImplementedError

    def _number(self, value: str, what: str) -> int:
        try:
            return _number(value, what)
        except MalformedMessage as error:
            raise MalformedMessage(error.reason, 400, answerable(self)) from None

    def _address(self, name: str) -> Address:
        address = self._cache.get(name)
        if address is None:
            value = self.header(name)
            try:
                if value is None:
                    raise MalformedMessage(f"missing {name} header")
                address = self._cache[name] = parse_address(value)
            except MalformedMessage as error:
                raise MalformedMessage(error.reason, error.status, answerable(self)) from None
        return address  # type: ignore[return-value]


class Request(Message):
    """A SIP request; `uri` is the Request-URI as received, `request_uri` the parsed one."""

    __slots__ = ("method", "uri")

    def __init__(self, method: str, uri: str, headers: list[tuple[str, str]] | None = None, body: bytes = b"",
                 version: str = "SIP/2.0") -> None:
        super().__init__(headers, body, version)
        self.method = method
        self.uri = uri

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.uri}>"

    @property
    def request_uri(self) -> SipUri:
        """The Request-URI, parsed (cached; 416 for another scheme)."""
        uri = self._cache.get("request_uri")
        if uri is None:
            try:
                uri = self._cache["request_uri"] = parse_uri(self.uri)
            except MalformedMessage as error:
                raise MalformedMessage(error.reason, error.status, answerable(self)) from None
        return uri  # type: ignore[return-value]

    def _start_line(self) -> str:
        return f"{self.method} {self.uri} {self.version}"


class Response(Message):
    """A SIP response."""

    __slots__ = ("status", "reason")

    def __init__(self, status: int, reason: str | None = None, headers: list[tuple[str, str]] | None = None,
                 body: bytes = b"", version: str = "SIP/2.0") -> None:
        super().__init__(headers, body, version)
        self.status = status
        self.reason = REASONS.get(status, "Unknown") if reason is None else reason

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.reason}>"

    def _start_line(self) -> str:
        return f"{self.version} {self.status} {self.reason}"


def _checked(value: str) -> str:
    """`value`, refused if it would break the header line (a CR, LF or NUL: header injection)."""
    if "\r" in value or "\n" in value or "\x00" in value:  # three scans of a short string: faster than a pattern
        raise ValueError(f"header value {value[:40]!r} contains CR, LF or NUL")
    return value


def answerable(message: Message) -> Request | None:
    """`message` when a response can be built from it: a request with a Via, a Call-ID and a readable CSeq."""
    if not isinstance(message, Request) or message.header("Via") is None or message.header("Call-ID") is None:
        return None
    try:
        return message if message.cseq else None
    except MalformedMessage:
        return None


def response_to(request: Request, status: int, reason: str | None = None, *,
                to_tag: str | None = None) -> Response:
    """A response to `request`: its Via lines, From, To (with `to_tag` if it had no tag), Call-ID and CSeq."""
    if not 100 <= status <= 699:
        raise ValueError(f"status {status} is not between 100 and 699")
    rank = _COPIED_RANK_TO_100 if status == 100 else _COPIED_RANK
    # Names as parsed are canonical; values are checked still: a malformed request answered 400 may hold a bare CR.
    headers = [line for line in request.headers if line[0] in rank]
    headers.sort(key=lambda line: rank[line[0]])  # stable: the lines of one header keep their order
    for _, value in headers:
        _checked(value)
    if to_tag is not None:
        for index, (name, value) in enumerate(headers):
            if name == "To":
                try:
                    tagged = request.to.tag is not None  # parsed once, and usually read already by the handler
                except MalformedMessage:
                    tagged = False
                if not tagged:
                    headers[index] = (name, f"{value};tag={to_tag}")
                break
    response = Response(status, reason)
    response.headers = headers
    return response


def new_branch() -> str:
    """A fresh branch parameter for a request we send (magic cookie, then 96 random bits)."""
    return MAGIC_COOKIE + secrets.token_urlsafe(12)


def new_tag() -> str:
    """A fresh From or To tag: 72 random bits, URL-safe."""
    return secrets.token_urlsafe(9)
