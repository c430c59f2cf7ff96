"""Where a call goes (RFC 3261 §16.5, our rules): one of our lines, the carrier trunk, or a refusal.

Pure decisions over the dialled user part, the calling account and the Directory (which answers from memory):
proxy.py gathers the input, calls `route`, and acts on the Destination. The order matters and is the rule:
an extension of the caller's customer first, then the number's class, whose fraud rule refuses a blocked
destination before anything is sent; then our own numbers; everything else is the trunk's (503 without one).
Emergency numbers are never blocked. `best_final` is §16.7 step 6: which failure goes back when every branch
failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sip_core.directory import Account, Directory
from sip_core.fraud import DEFAULT_BLOCKED, call_allowed
from sip_core.numbering import CONTRACT_COUNTRIES, EXTENSION_LENGTHS, DestinationClass, classify


class Kind(str, Enum):
    """The three outcomes of routing."""

    LINE = "line"  # one of our lines: forked to its bindings
    TRUNK = "trunk"  # an external number: the carrier trunk
    REFUSED = "refused"  # answered here with `status`


@dataclass(frozen=True)
class Destination:
    """Where a request goes: a line's account, the trunk with the number to dial, or the status to answer."""

    kind: Kind
    account: Account | None = None
    number: str = ""  # E.164 when the numbering plan gives one; for the trunk, else as dialled
    status: int = 0
    reason: str = ""
    destination_class: DestinationClass | None = None
    blocked: bool = False  # refused by a fraud rule: a fraud sign to record

    @property
    def refused(self) -> bool:
        return self.kind is Kind.REFUSED


def dialled_user(user: str | None) -> str:
    """The number or extension in a Request-URI's user part (without ``;phone-context`` and the like)."""
    return (user or "").split(";", 1)[0].strip()


def route_inbound(dialled: str, directory: Directory, *,
                  included_countries: frozenset[str] = CONTRACT_COUNTRIES) -> Destination:
    """Where a call from the carrier trunk to `dialled` goes: the line holding that number, or 404.

    Never back to the trunk (a call in is not relayed out) and never by extension (extensions are a customer's).
    """
    classification = classify(dialled, included_countries=included_countries)
    line = directory.by_number(classification.e164) if classification.e164 else None
    if line is None:
        return Destination(Kind.REFUSED, number=classification.e164 or "", status=404,
                           reason="No line holds this number", destination_class=classification.destination_class)
    return Destination(Kind.LINE, line, number=classification.e164 or "",
                       destination_class=classification.destination_class)


def route(dialled: str, caller: Account, directory: Directory, *, trunk_configured: bool,
          included_countries: frozenset[str] = CONTRACT_COUNTRIES,
          blocked: frozenset[DestinationClass] = DEFAULT_BLOCKED) -> Destination:
    """Where a call from `caller` to `dialled` (a Request-URI's user part) goes."""
    if not dialled:
        return Destination(Kind.REFUSED, status=404, reason="No number or extension in the Request-URI")
    line = directory.by_extension(caller.customer_id, dialled)
    if line is not None:
        return Destination(Kind.LINE, line, destination_class=DestinationClass.INTERNAL)
    lengths = frozenset({len(caller.extension)}) if len(caller.extension) in EXTENSION_LENGTHS else frozenset()
    classification = classify(dialled, included_countries=included_countries, extension_lengths=lengths)
    destination_class = classification.destination_class
    if destination_class is DestinationClass.INTERNAL:
        return Destination(Kind.REFUSED, status=404, reason=f"No extension {dialled}",
                           destination_class=destination_class)
    decision = call_allowed(destination_class, blocked)
    if not decision.allowed:
        return Destination(Kind.REFUSED, number=classification.e164 or "", status=decision.status or 403,
                           reason=decision.reason, destination_class=destination_class,
                           blocked=destination_class is not DestinationClass.INVALID)
    if classification.e164:
        line = directory.by_number(classification.e164)
        if line is not None:
            return Destination(Kind.LINE, line, number=classification.e164, destination_class=destination_class)
    if not trunk_configured:
        return Destination(Kind.REFUSED, number=classification.e164 or "", status=503, reason="No trunk configured",
                           destination_class=destination_class)
    return Destination(Kind.TRUNK, number=classification.e164 or dialled, destination_class=destination_class)


def best_final(statuses: list[int]) -> int:
    """The index of the final failure to send upstream (§16.7 step 6): any 6xx, else the lowest class, first come."""
    if not statuses:
        raise ValueError("no final response to choose from")
    for index, status in enumerate(statuses):
        if 600 <= status < 700:
            return index
    return min(range(len(statuses)), key=lambda index: statuses[index] // 100)
