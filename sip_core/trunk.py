"""The carrier trunk's side of the proxy: which peers are the trunk, and who a call coming in from it is.

A call in from the trunk carries no digest answer (carriers authenticate by address), so the address is the
proof: the peers named by CoreConfig.trunk_sources ("host" or "host:port"; by default the trunk's own address).
Such a call goes to the line holding the dialled number (routing.route_inbound), never back out, and is made by
TRUNK_CALLER, an account of no line of ours: it counts toward no line's call-rate guard or fair use.
"""

from __future__ import annotations

from sip_core.directory import Account

#: The user name call records give the trunk as a caller.
TRUNK_USERNAME = "trunk"


def host_and_port(source: str) -> tuple[str, int | None]:
    """("host", port or None) of "host", "host:port", "[v6]" or "[v6]:port"; what is not one of those comes back
    whole as the host (no peer has it)."""
    if source.startswith("["):
        host, bracket, rest = source[1:].partition("]")
        if bracket and not rest:
            return host, None
        return (host, int(rest[1:])) if bracket and rest[:1] == ":" and rest[1:].isdigit() else (source, None)
    host, colon, port = source.rpartition(":")
    if not colon or ":" in host:  # no port, or a bare IPv6 address
        return source, None
    return (host, int(port)) if port.isdigit() else (source, None)


def trunk_sources(trunk: str, sources: tuple[str, ...]) -> frozenset[tuple[str, int | None]]:
    """The (host, port or None for any) pairs inbound calls are taken from."""
    return frozenset(host_and_port(source.strip()) for source in (sources or ((trunk,) if trunk else ())) if source)


def from_trunk(host: str, port: int, sources: frozenset[tuple[str, int | None]]) -> bool:
    """Whether a request from host:port comes from the trunk."""
    return (host, port) in sources or (host, None) in sources


def trunk_caller(number: str | None, display_name: str = "") -> Account:
    """The caller of a call in from the trunk: the number it gives (its From user), on no line of ours."""
    return Account(TRUNK_USERNAME, "", line_id="", customer_id="", number=number or None, display_name=display_name)
