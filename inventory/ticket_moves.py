"""Opening failure tickets and running their transitions on the stored tickets, each change one conditional write.

* **Opening** checks everything first (the values, the customer, its site and device, the deadline's
  département), then notes the device's failure through the lifecycle (inventory/transitions.py: the move that
  sets its 72-hour replacement deadline), then allocates the number and inserts the ticket. A device already
  failed is only linked. Nothing is written when a check fails. Under an idempotency key (`open_ticket_once`)
  a request sent again gets the ticket the first one opened.
* **A transition** is planned by the table (inventory/ticket_rules.py) and written with one ``replace_one``
  conditional on the version and the state read, then logged as an event ``transition:<name>``. Of two
  conflicting transitions one wins; the other is refused (409) naming the state the ticket is in now. When
  only the version moved (a record such as an excuse), the transition is planned again, as equipment moves are.
* **The no-answer closing** (`close_expired`) runs the ``auto_close`` transition on every ticket waiting on
  the customer past its ``auto_close_at``; the conditional write closes each once, whoever runs it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from inventory import generation, lifecycle, ticket_rules, transitions
from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.errors import DuplicateValue, InvalidRecord
from inventory.events import Actor, record_event
from inventory.references import record_by_id, referenced_id
from inventory.refusals import Reason, Refusal, because, field_problem
from inventory.stored_times import as_utc, to_millisecond
from inventory.ticket_deadlines import Calendar
from inventory.tickets import FailureTicket, allocate_number

#: Plans made again when only the version moved under us.
ATTEMPTS = 3
#: Equipment states in which opening a ticket notes the failure (the lifecycle's note_failure sources).
NOTE_FAILURE_FROM = lifecycle.MOVES["note_failure"].sources


class TicketRefused(Refusal):
    """A ticket not opened or not moved: `status` (403, 404, 409, 422), why, its `state` now, `allowed` moves
    (inventory/refusals.py)."""

    subject = "ticket"


def departement_of(site: Site | None) -> str:
    """The département a ticket's deadlines are counted in: its site's; 422 when the site has none."""
    if site is None or not site.departement:
        raise TicketRefused(422, because("no_departement", "the ticket's site has no département to count its "
                                                           "deadlines in"),
                            fields={"site": field_problem("needs_departement", "the site needs a département")})
    return site.departement


# -- opening ---------------------------------------------------------------------------------------


def open_ticket(given: Mapping[str, Any], actor: Actor, roles: tuple[str, ...], now: dt.datetime,
                calendar: Calendar, equipment_rules: transitions.RulesFor,
                opening_key: str | None = None) -> FailureTicket:
    """Open a ticket with the values `given` (Python values: ids as text, `notified_at` an aware datetime);
    `opening_key` is open_ticket_once's."""
    now = to_millisecond(now)
    problems = ticket_rules.opening_problems(given, now)
    customer = record_by_id(Customer, given["customer"]) if "customer" not in problems else None
    site = record_by_id(Site, given["site"]) if "site" not in problems else None
    if "customer" not in problems and customer is None:
        problems["customer"] = field_problem("no_customer", "no such customer")
    if "site" not in problems and site is None:
        problems["site"] = field_problem("no_site", "no such site")
    elif site is not None and customer is not None and referenced_id(site, "customer") != str(customer.pk):
        problems["site"] = field_problem("site_of_other_customer", "the site belongs to another customer")
    item = None
    if given.get("equipment") not in (None, "") and "equipment" not in problems:
        item = record_by_id(Equipment, given["equipment"])
        if item is None:
            problems["equipment"] = field_problem("no_equipment", "no such equipment")
        elif site is not None and referenced_id(item, "site") != str(site.pk):
            problems["equipment"] = field_problem("not_at_site", f"equipment {item.serial} is not at this site",
                                                  serial=item.serial)
    if problems:
        raise TicketRefused(422, because("invalid_fields", "the ticket cannot be opened: some fields are not valid",
                                         fields=tuple(problems)), fields=problems)
    due = calendar.restoration_deadline(given["notified_at"], departement_of(site))
    if item is not None and item.state != "failed" and item.state not in NOTE_FAILURE_FROM:
        states = tuple(sorted(NOTE_FAILURE_FROM))
        raise TicketRefused(409, because("cannot_fail", f"equipment {item.serial} is {item.state}: a failure can be "
                                                        f"noted only on equipment at the customer's "
                                                        f"({', '.join(states)}), or linked once failed",
                                         serial=item.serial, item_state=item.state, item_states=states),
                            fields={"equipment": field_problem("is_state", f"is {item.state}",
                                                               item_state=item.state)})
    if item is not None and item.state != "failed":
        _note_failure(item, given["description"], actor, roles, now, equipment_rules)
    ticket = FailureTicket(number=allocate_number(now), customer=customer, site=site, equipment=item,
                           service=given["service"], channel=given["channel"],
                           notified_at=to_millisecond(given["notified_at"]), description=given["description"],
                           opened_by=actor.username, state="open", restoration_due_at=to_millisecond(due),
                           opening_key=opening_key)
    return ticket.insert(actor)


#: The values that make two openings the same ticket (the others are the server's).
OPENING_VALUES = ("customer", "site", "equipment", "service", "channel", "notified_at", "description")


def open_ticket_once(given: Mapping[str, Any], key: str, actor: Actor, roles: tuple[str, ...], now: dt.datetime,
                     calendar: Calendar, equipment_rules: transitions.RulesFor) -> tuple[FailureTicket, bool]:
    """open_ticket under the caller's idempotency `key`: the ticket, and whether it was opened earlier.

    A request sent again (a timeout, a double click) gets the ticket the first one opened, never a second one
    (a second ticket would count its credits twice). The key is the caller's own (another user's same key is
    another ticket); sent again with other values it is refused (422). The database's unique index on the key
    settles two requests racing: the one that loses gets the winner's ticket.
    """
    scoped = f"{actor.username}:{key}"
    found = FailureTicket.objects(opening_key=scoped).first()
    if found is None:
        try:
            return open_ticket(given, actor, roles, now, calendar, equipment_rules, opening_key=scoped), False
        except DuplicateValue as clash:
            if clash.field != "opening_key":
                raise
            found = FailureTicket.objects(opening_key=scoped).first()
            if found is None:
                raise
    differing = [name for name in OPENING_VALUES if _opened_with(found, name) != _given(given, name)]
    if differing:
        raise TicketRefused(422, because("key_used", f"the idempotency key {key!r} opened ticket {found.number} "
                                                     f"with other values ({', '.join(differing)}): use a new key for "
                                                     "another ticket", key=key, number=found.number,
                                         differing=tuple(differing)),
                            fields={"idempotency_key": field_problem("key_used_for_ticket",
                                                                     f"already used for {found.number}",
                                                                     number=found.number)})
    return found, True


def _opened_with(ticket: FailureTicket, name: str) -> Any:
    if name in ("customer", "site", "equipment"):
        return referenced_id(ticket, name)
    value = getattr(ticket, name)
    return as_utc(value) if name == "notified_at" else value


def _given(given: Mapping[str, Any], name: str) -> Any:
    value = given.get(name)
    if name == "notified_at" and isinstance(value, dt.datetime):
        return as_utc(to_millisecond(value))
    return value or None if name == "equipment" else value


def _note_failure(item: Equipment, description: str, actor: Actor, roles: tuple[str, ...], now: dt.datetime,
                  rules: transitions.RulesFor) -> None:
    """The lifecycle's note_failure on the device: its replacement deadline is set there, and only there."""
    try:
        transitions.run(item, "note_failure", {"description": description[:2000]}, actor, roles, now, rules)
    except transitions.TransitionRefused as refused:
        raise TicketRefused(refused.status,
                            because("failure_not_noted", f"the failure of equipment {item.serial} could not be "
                                                         f"noted: {refused.message}", serial=item.serial,
                                    cause=refused),
                            fields={"equipment": field_problem("failure_not_noted", refused.message,
                                                               cause=refused)}) from None


# -- transitions -----------------------------------------------------------------------------------


def run(ticket_id: Any, name: str, given: Mapping[str, Any], actor: Actor, roles: tuple[str, ...],
        now: dt.datetime, calendar: Calendar, expected_version: int | None = None) -> FailureTicket:
    """Run transition `name` on the ticket with inputs `given`; the ticket as stored after it, or TicketRefused."""
    now = to_millisecond(now)
    for _ in range(ATTEMPTS):
        ticket = _read(ticket_id)
        if expected_version is not None and ticket.version != expected_version:
            raise _conflict(ticket, roles, now, because("version_moved", f"it is at version {ticket.version}, "
                                                                         f"not {expected_version}",
                                                        version=ticket.version, expected_version=expected_version))
        if _write(ticket, name, given, actor, roles, now, calendar):
            return ticket
        current = _read(ticket_id)
        if expected_version is not None or current.state != ticket.state:
            raise _conflict(current, roles, now, because("changed_meanwhile", "it changed meanwhile"))
    raise _conflict(_read(ticket_id), roles, now, because("keeps_changing", "it keeps changing"))


def _write(ticket: FailureTicket, name: str, given: Mapping[str, Any], actor: Actor, roles: tuple[str, ...],
           now: dt.datetime, calendar: Calendar) -> bool:
    """Plan and write the transition; False when the ticket changed since it was read (nothing written)."""
    read_version, read_state = ticket.version, ticket.state
    rules = ticket_rules.Rules(no_answer_deadline=lambda since: calendar.no_answer_deadline(
        since, departement_of(record_by_id(Site, referenced_id(ticket, "site")))))
    try:
        plan = ticket_rules.plan(ticket.facts(), name, given, roles, now, rules)
    except ticket_rules.Refused as refused:
        raise TicketRefused(refused.status, refused.why, read_state, refused.allowed, refused.problems) from None
    before = ticket.snapshot()
    for field_name, value in plan.changes.items():
        setattr(ticket, field_name, to_millisecond(value) if isinstance(value, dt.datetime) else value)
    ticket.state, ticket.updated_at, ticket.version = plan.state, now, read_version + 1
    try:
        ticket.check()
    except InvalidRecord as invalid:
        raise TicketRefused(422, because("invalid_record", f"{name} would leave the ticket invalid", move=name),
                            read_state, fields=invalid.problems) from None
    written = FailureTicket._get_collection().replace_one(
        {"_id": ticket.pk, "version": read_version, "state": read_state}, ticket.to_mongo().to_dict())
    if written.matched_count != 1:
        return False
    ticket._clear_changed_fields()
    generation.bump()
    record_event(actor, f"transition:{name}", FailureTicket._get_collection_name(), ticket.pk, before,
                 ticket.snapshot())
    return True


def _conflict(ticket: FailureTicket, roles: tuple[str, ...], now: dt.datetime, why: Reason) -> TicketRefused:
    """The 409 of a transition that lost a race (`why`: how), with the ticket's state now and what it allows."""
    allowed = ticket_rules.allowed_moves(ticket.facts(), roles, now)
    listing = ", ".join(allowed) if allowed else "none"
    return TicketRefused(409, because("stale", f"ticket {ticket.number} was not changed: {why}; it is {ticket.state} "
                                               f"now (version {ticket.version}), allowed: {listing}",
                                      number=ticket.number, why=why, state=ticket.state, version=ticket.version,
                                      allowed=allowed),
                         ticket.state, allowed)


def _read(ticket_id: Any) -> FailureTicket:
    ticket = record_by_id(FailureTicket, ticket_id)
    if ticket is None:
        raise TicketRefused(404, because("no_ticket", f"no failure ticket with id {str(ticket_id)[:40]!r}",
                                         id=str(ticket_id)[:40]))
    return ticket


# -- the no-answer closing -------------------------------------------------------------------------


def close_expired(now: dt.datetime, actor: Actor, calendar: Calendar,
                  on_conflict: Callable[[str, TicketRefused], None] | None = None) -> list[str]:
    """Close every ticket waiting on the customer whose 48 hours are over at `now`; the numbers closed here.

    A ticket changed meanwhile (the customer answered, another process closed it first) is left as it is now:
    that is a 409 of the transition, reported to `on_conflict` when given; any other refusal is raised.
    """
    waiting = FailureTicket._get_collection().find({"state": "waiting_customer"},
                                                    {"auto_close_at": 1, "number": 1})
    # Compared here, not in the filter: NX-27017 compares datetimes in filters to the second (docs/storage.rst).
    due = [raw for raw in waiting if raw.get("auto_close_at") is not None and as_utc(raw["auto_close_at"]) <= now]
    closed = []
    for raw in due:
        try:
            run(raw["_id"], "auto_close", {}, actor, (ticket_rules.SYSTEM,), now, calendar)
        except TicketRefused as refused:
            if refused.status != 409:
                raise
            if on_conflict is not None:
                on_conflict(raw["number"], refused)
            continue
        closed.append(raw["number"])
    return closed
