"""SIP URIs (RFC 3261 sections 19.1 and 25.1): parsed, compared field by field, written back (addresses, which
hold them, are address.py's).

The lowest layer of the SIP core, so the error every parser raises, `MalformedMessage`, lives here too
(`sip_core.message` re-exports it). Also here: the small header-value grammar that addresses, Via and
comma-separated lists share (quoted strings, ``;name=value`` parameters, commas outside quotes and ``<...>``).
Stdlib only; everything is parsed from `str`, and every failure is a `MalformedMessage`, never another error.
The URIs phones send most (``sip:user@host:port``) are read by one pattern; every other goes the full way.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

#: URI schemes a message may carry; any other well-formed scheme is answered 416 Unsupported URI Scheme.
SCHEMES = ("sip", "sips", "tel")

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::([0-9]{1,5}))?")
_TOKEN = re.compile(r"[A-Za-z0-9.!%*_+`'~-]+")
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9.!%*_+`'~:\[\]-]+")  # a token or a host (IPv6 too): written unquoted
_URI_FORBIDDEN = re.compile(r'[\s\x00-\x1f\x7f<>"]')
# The URIs phones send most, ``sip:user@host:port``: no parameter, escape, password or IPv6 address; read in one match.
_USUAL_SIP_URI = re.compile(r"(sips?):(?:([A-Za-z0-9_.!~*'()&=+$,-]+)@)?([A-Za-z0-9_.-]+)(?::([0-9]{1,5}))?")
QUOTED_TAIL = re.compile(r'(?:[^"\\]|\\.)*', re.S)  # the inside of a quoted-string, up to its closing quote
QUOTED_ESCAPE = re.compile(r"\\(.)", re.S)
_LIST_SPECIAL = re.compile(r'[,"<]')
_PARAM_SPECIAL = re.compile(r'[;"]')
_DISPLAY_ESCAPE = re.compile(r'(["\\])')
_USER_SAFE = "-_.!~*'()&=+$,;?/"  # unreserved and user-unreserved (RFC 3261 section 25.1)
_PASSWORD_SAFE = "-_.!~*'()&=+$,"
_PARAM_SAFE = "-_.!~*'()[]/:&+$"


class MalformedMessage(Exception):
    """A message, header or URI that breaks the grammar; `status` is the response it deserves.

    `message` is the partly parsed request when a response can still be built from it (it has a Via, a
    Call-ID and a readable CSeq): `answerable` is then True and the caller answers with
    ``response_to(error.message, error.status, error.reason)``; otherwise the caller drops the message.
    """

    def __init__(self, reason: str, status: int = 400, message: object = None) -> None:
        super().__init__(f"{status} {reason}")
        self.reason = reason
        self.status = status
        self.message = message
        self.answerable = message is not None


def split_list(value: str) -> list[str]:
    """The items of a comma-separated header value, never splitting inside quotes or ``<...>``; blanks dropped."""
    if "," not in value:
        value = value.strip()
        return [value] if value else []
    items, start, position, end = [], 0, 0, len(value)
    while (match := _LIST_SPECIAL.search(value, position)) is not None:
        found = match.start()
        char = value[found]
        if char == ",":
            items.append(value[start:found])
            start = position = found + 1
        elif char == '"':
            position = QUOTED_TAIL.match(value, found + 1).end() + 1
        else:
            close = value.find(">", found + 1)
            position = end if close < 0 else close + 1
    items.append(value[start:])
    return [item for item in (item.strip() for item in items) if item]


def parse_params(text: str, what: str) -> dict[str, str | None]:
    """``;name=value;flag`` parameters (names lower-cased, quoted values unquoted, order kept) of `what`."""
    params: dict[str, str | None] = {}
    if '"' not in text:  # the usual case: no quoted value, so every ";" separates
        for part in text.split(";"):
            name, equals, value = part.partition("=")
            name = name.strip()
            if name:
                if not _TOKEN.fullmatch(name):
                    raise MalformedMessage(f"bad parameter name {name!r} in {what}")
                params[name.lower()] = value.strip() if equals else None
            elif part.strip():
                raise MalformedMessage(f"parameter without a name in {what}")
        return params
    position, end = 0, len(text)
    while position < end:
        match = _PARAM_SPECIAL.search(text, position)
        stop = end if match is None else match.start()
        if match is not None and text[stop] == '"':
            name, equals, before = text[position:stop].partition("=")
            if not equals or before.strip():
                raise MalformedMessage(f"misplaced quote in {what}")
            close = QUOTED_TAIL.match(text, stop + 1).end()
            if close >= end:
                raise MalformedMessage(f"unterminated quoted string in {what}")
            value: str | None = QUOTED_ESCAPE.sub(r"\1", text[stop + 1:close])
            after = text.find(";", close + 1)
            after = end if after < 0 else after
            if text[close + 1:after].strip():
                raise MalformedMessage(f"text after a quoted value in {what}")
            stop = after
        else:
            name, equals, raw = text[position:stop].partition("=")
            value = raw.strip() if equals else None
        name = name.strip()
        if name:
            if not _TOKEN.fullmatch(name):
                raise MalformedMessage(f"bad parameter name {name!r} in {what}")
            params[name.lower()] = value
        elif equals:
            raise MalformedMessage(f"parameter without a name in {what}")
        position = stop + 1
    return params


def encode_params(params: dict[str, str | None]) -> str:
    """``;name=value`` text for `params`, quoting any value that is not a token."""
    parts = []
    for name, value in params.items():
        if value is None:
            parts.append(f";{name}")
        elif _PLAIN_VALUE.fullmatch(value):
            parts.append(f";{name}={value}")
        else:
            parts.append(f';{name}="{escape_quoted(value)}"')
    return "".join(parts)


def escape_quoted(text: str) -> str:
    """`text` ready to go between double quotes."""
    return _DISPLAY_ESCAPE.sub(r"\\\1", text)


def _unescape(text: str) -> str:
    """`text` with its %XX escapes decoded; escapes that do not make UTF-8 are malformed."""
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise MalformedMessage(f"escaped bytes in {text[:64]!r} are not UTF-8") from None


def parse_host(text: str, what: str) -> tuple[str, int | None]:
    """The lower-cased host (IPv6 kept in brackets) and the port of ``host[:port]`` in `what`."""
    match = _HOST.fullmatch(text)
    if match is None:
        raise MalformedMessage(f"bad host {text[:64]!r} in {what}")
    port = match.group(2)
    if port is not None and not 0 < int(port) < 65536:
        raise MalformedMessage(f"port {port} out of range in {what}")
    return match.group(1).lower(), int(port) if port is not None else None


class SipUri:
    """A sip:, sips: or tel: URI. For tel: the number is `user` and the host is empty."""

    __slots__ = ("scheme", "user", "password", "host", "port", "params", "headers")

    def __init__(self, scheme: str = "sip", user: str | None = None, host: str = "", port: int | None = None,
                 params: dict[str, str | None] | None = None, headers: dict[str, str] | None = None,
                 password: str | None = None) -> None:
        self.scheme = scheme
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.params = params if params is not None else {}
        self.headers = headers if headers is not None else {}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SipUri):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.__slots__)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"SipUri({self.encode()!r})"

    @property
    def transport(self) -> str | None:
        """The ``transport`` parameter, lower-cased, or None."""
        value = self.params.get("transport")
        return value.lower() if value else None

    @property
    def lr(self) -> bool:
        """Whether the loose-routing flag ``;lr`` is set (RFC 3261 section 16.12)."""
        return "lr" in self.params

    def encode(self) -> str:
        """The URI as text, the user part escaped again."""
        if self.scheme == "tel":
            return f"tel:{self.user or ''}{encode_params(self.params)}"
        text = [self.scheme, ":"]
        if self.user is not None:
            text.append(quote(self.user, safe=_USER_SAFE))
            if self.password is not None:
                text += (":", quote(self.password, safe=_PASSWORD_SAFE))
            text.append("@")
        text.append(self.host)
        if self.port is not None:
            text.append(f":{self.port}")
        for name, value in self.params.items():
            text.append(f";{name}" if value is None else f";{name}={quote(value, safe=_PARAM_SAFE)}")
        if self.headers:
            text.append("?" + "&".join(f"{quote(name, safe=_PARAM_SAFE)}={quote(value, safe=_PARAM_SAFE)}"
                                       for name, value in self.headers.items()))
        return "".join(text)


def parse_uri(value: str) -> SipUri:
    """Parse a URI; 416 for a well-formed URI of another scheme, 400 for anything else malformed."""
    value = value.strip()
    return _usual_uri(value) or _any_uri(value)


def _usual_uri(value: str) -> SipUri | None:
    """`value` parsed when it is a URI as phones send most (``sip:user@host:port``), None for any other.

    What it reads, `_any_uri` reads alike (tests/sip_core/test_uri.py checks it on random input).
    """
    usual = _USUAL_SIP_URI.fullmatch(value)
    if usual is None:
        return None
    scheme, user, host, port = usual.groups()
    if port is not None and not 0 < int(port) < 65536:
        return None  # for _any_uri to refuse with its reason
    return SipUri(scheme, user, host.lower(), int(port) if port is not None else None)


def _any_uri(value: str) -> SipUri:
    """Parse a stripped URI of any form (see `parse_uri`)."""
    match = _SCHEME.match(value)
    if match is None:
        raise MalformedMessage(f"{value[:64]!r} is not a URI")
    scheme = match.group(1).lower()
    rest = value[match.end():]
    if scheme not in SCHEMES:
        raise MalformedMessage(f"unsupported URI scheme {scheme!r}", 416)
    if not rest or _URI_FORBIDDEN.search(rest):
        raise MalformedMessage(f"bad characters in URI {value[:64]!r}")
    if scheme == "tel":
        number, _, params = rest.partition(";")
        return SipUri("tel", _unescape(number), params=parse_params(params, "tel URI") if params else {})
    user = password = None
    at = rest.find("@")
    if at >= 0:
        user, colon, password = rest[:at].partition(":")
        if not user:
            raise MalformedMessage(f"empty user part in URI {value[:64]!r}")
        user = _unescape(user) if "%" in user else user
        password = _unescape(password) if colon else None
        rest = rest[at + 1:]
    rest, question, header_text = rest.partition("?")
    hostport, semicolon, param_text = rest.partition(";")
    host, port = parse_host(hostport, "URI")
    params: dict[str, str | None] = {}
    if semicolon:
        for name, param in parse_params(param_text, "URI").items():
            params[name] = _unescape(param) if param and "%" in param else param
    headers: dict[str, str] = {}
    if question:
        for pair in header_text.split("&"):
            name, _, header = pair.partition("=")
            if name:
                headers[_unescape(name)] = _unescape(header)
    return SipUri(scheme, user, host, port, params, headers, password)
