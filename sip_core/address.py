"""SIP addresses (RFC 3261 section 20.10): the name-addr or addr-spec of From, To, Contact, Route and
Record-Route, with its display name and header parameters; Contact lists and the REGISTER wildcard.

The URI inside is uri.py's, parsed only when read. Stdlib only; every failure is a `MalformedMessage`.
"""

from __future__ import annotations

from typing import Literal

from sip_core.uri import (
    QUOTED_ESCAPE,
    QUOTED_TAIL,
    MalformedMessage,
    SipUri,
    encode_params,
    escape_quoted,
    parse_params,
    parse_uri,
    split_list,
)


class Address:
    """A name-addr or addr-spec (From, To, Contact, Route...): display name, URI and header parameters.

    The URI is parsed the first time `uri` is read, so reading only a tag costs no URI parsing.
    """

    __slots__ = ("display_name", "params", "_uri_text", "_uri")

    def __init__(self, uri: SipUri | str, display_name: str | None = None,
                 params: dict[str, str | None] | None = None) -> None:
        self.display_name = display_name
        self.params = params if params is not None else {}
        self._uri_text = uri if isinstance(uri, str) else None
        self._uri = uri if isinstance(uri, SipUri) else None

    @property
    def uri(self) -> SipUri:
        """The URI, parsed on first use (MalformedMessage when it is malformed)."""
        if self._uri is None:
            self._uri = parse_uri(self._uri_text or "")
        return self._uri

    @uri.setter
    def uri(self, uri: SipUri) -> None:
        self._uri, self._uri_text = uri, None

    @property
    def uri_text(self) -> str:
        """The URI as text, without parsing it."""
        return self._uri.encode() if self._uri is not None else self._uri_text or ""

    @property
    def tag(self) -> str | None:
        """The ``tag`` parameter (RFC 3261 section 19.3), or None."""
        return self.params.get("tag")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Address):
            return NotImplemented
        return (self.display_name, self.uri_text, self.params) == (other.display_name, other.uri_text, other.params)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"Address({self.encode()!r})"

    def encode(self) -> str:
        """The address as a name-addr: always in angle brackets, the display name quoted."""
        name = f'"{escape_quoted(self.display_name)}" ' if self.display_name else ""
        return f"{name}<{self.uri_text}>{encode_params(self.params)}"


def parse_address(value: str) -> Address:
    """Parse a name-addr or addr-spec; without angle brackets, parameters belong to the header (section 20.10)."""
    value = value.strip()
    display_name = None
    if value.startswith('"'):
        close = QUOTED_TAIL.match(value, 1).end()
        if close >= len(value):
            raise MalformedMessage("unterminated display name in address")
        display_name = value[1:close]
        if "\\" in display_name:
            display_name = QUOTED_ESCAPE.sub(r"\1", display_name)
        rest = value[close + 1:].lstrip()
        if not rest.startswith("<"):
            raise MalformedMessage("quoted display name without <URI> in address")
    else:
        opening = value.find("<")
        if opening < 0:
            uri, _, params = value.partition(";")
            if not uri or any(char in uri for char in " \t,\"<>"):
                raise MalformedMessage(f"bad address {value[:64]!r}")
            return Address(uri, None, parse_params(params, "address") if params else {})
        display_name = value[:opening].strip() or None
        rest = value[opening:]
    close = rest.find(">")
    if close < 0:
        raise MalformedMessage("missing '>' in address")
    uri, after = rest[1:close].strip(), rest[close + 1:].strip()
    if not uri:
        raise MalformedMessage("empty URI in address")
    if after and not after.startswith(";"):
        raise MalformedMessage(f"text after '>' in address: {after[:32]!r}")
    return Address(uri, display_name, parse_params(after[1:], "address") if after else {})


def parse_contacts(value: str) -> list[Address] | Literal["*"]:
    """The addresses of a Contact header value, or ``"*"`` for the wildcard of a REGISTER removing all."""
    if value.strip() == "*":
        return "*"
    return [parse_address(item) for item in split_list(value)]
