"""Running a lifecycle move on an item: one conditional write of the item that carries its event, then the
event and the charges copied out of it.

The table (inventory/lifecycle.py) says what a move does; this module makes it happen, once:

* **One write.** The plan's changes, the new state, the idempotency key and the move's event go to the
  database in a single ``replace_one`` conditional on the version and state read. Nothing else is
  written before it, so a move is either all there or not at all.
* **The outbox.** The event rides inside the item (``last_event``, flagged ``outbox_pending``); right
  after the write it is inserted into ``events`` under the id chosen beforehand, with the charge lines
  (ids derived from the event's), then the flag is cleared. A crash in between leaves the flag set:
  `flush_outboxes` (at server start) and the next move of the same item deliver it; a second delivery
  meets a duplicate key and changes nothing. The next move delivers first, so it never overwrites an
  event that is not out yet.
* **Idempotency.** The item keeps its last `KEPT_TRANSITION_KEYS` keys; a key seen again answers the item
  as it is, marked repeated. The key is written in the same step as the move, so two identical requests
  racing each other make one move: the loser finds the winner's key when it reads again.
* **Conflicts.** A lost race is answered 409 with the state the item is in now and the moves allowed
  from it; when only the version moved (an edit of another field) the move is planned again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import mongoengine as me
from bson import ObjectId
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from inventory import generation, lifecycle, lifecycle_plans
from inventory.charges import ChargeLine, charge_id
from inventory.customers import Site
from inventory.equipment import KEPT_TRANSITION_KEYS, Equipment
from inventory.errors import InvalidRecord
from inventory.events import Actor, Event
from inventory.lines import Line
from inventory.references import record_by_id, referenced_id
from inventory.refusals import Reason, Refusal, because, field_problem
from inventory.stored_times import to_millisecond

DUPLICATE_KEY = 11000
#: Plans made again when only the version moved under us (someone edited another field).
ATTEMPTS = 3

RulesFor = Callable[[Equipment], lifecycle_plans.Rules]


class TransitionRefused(Refusal):
    """A move not made: `status` (403, 404, 409, 422), why, the item's `state` now and the `allowed` moves
    (inventory/refusals.py)."""

    subject = "equipment"


@dataclass(frozen=True)
class Outcome:
    """A move made (or, `repeated`, made earlier under the same idempotency key): the item as stored now."""

    item: Equipment
    move: str
    repeated: bool = False
    event_id: str | None = None
    charges: tuple[ChargeLine, ...] = field(default=())


def run(item_id: ObjectId | str | Equipment, move: str, given: Mapping[str, Any], actor: Actor,
        roles: tuple[str, ...], now: dt.datetime, rules: lifecycle_plans.Rules | RulesFor,
        idempotency_key: str | None = None, expected_version: int | None = None,
        deliveries: Deliveries | None = None) -> Outcome:
    """Run `move` on the item with inputs `given` as `actor` holding `roles`; TransitionRefused when refused.

    `item_id` may be the item as just read (its first attempt then reads nothing). With `deliveries`, the
    event and charges wait in the item's outbox for `deliveries.deliver()`, which a batch calls once.
    """
    now = to_millisecond(now)
    entry = f"{move}:{idempotency_key}" if idempotency_key else None
    first = item_id if isinstance(item_id, Equipment) else None
    item_id = item_id.pk if isinstance(item_id, Equipment) else item_id
    for _ in range(ATTEMPTS):
        item, first = first or _read(item_id), None
        _deliver_pending(item)
        if entry and _seen(item, move, idempotency_key):
            return _repeated(item, move, entry)
        if expected_version is not None and item.version != expected_version:
            raise _conflict(item, roles, because("version_moved", f"it is at version {item.version}, not "
                                                                  f"{expected_version}",
                                                 version=item.version, expected_version=expected_version))
        outcome = _write(item, move, given, actor, roles, now, rules, entry, deliveries)
        if outcome is not None:
            return outcome
        current = _read(item_id)
        if entry and _seen(current, move, idempotency_key):
            return _repeated(current, move, entry)
        if expected_version is not None or current.state != item.state:
            raise _conflict(current, roles, because("changed_meanwhile", "it changed meanwhile"))
    raise _conflict(_read(item_id), roles, because("keeps_changing", "it keeps changing"))


def subject(item: Equipment) -> lifecycle_plans.Item:
    """What the lifecycle table reads of a stored item."""
    return lifecycle_plans.Item(
        state=item.state, ownership=item.ownership, delivered_at=item.delivered_at, warranty_end=item.warranty_end,
        shipped_accessories=tuple(item.shipped_accessories or ()), return_due_on=item.return_due_on,
        has_site=referenced_id(item, "site") is not None, inspection_result=item.inspection_result,
        setup_fees_paid_at=item.setup_fees_paid_at)


def already_made(item: Equipment, move: str, idempotency_key: str) -> bool:
    """Whether `move` was made on the item under `idempotency_key` (and is still remembered): running it
    again answers it as repeated, changing nothing."""
    return _seen(item, move, idempotency_key)


def flush_outboxes() -> int:
    """Deliver every event left in an item's outbox by a crash (run at server start); returns how many."""
    pending = Equipment._get_collection().find({"outbox_pending": True}, {"last_event": 1, "version": 1})
    delivered = 0
    for raw in pending:
        if raw.get("last_event"):
            _deliver(raw["_id"], raw["version"], raw["last_event"])
            delivered += 1
    return delivered


# -- one attempt ---------------------------------------------------------------------------------


def _write(item: Equipment, move: str, given: Mapping[str, Any], actor: Actor, roles: tuple[str, ...],
           now: dt.datetime, rules: lifecycle_plans.Rules | RulesFor, entry: str | None,
           deliveries: Deliveries | None = None) -> Outcome | None:
    """Plan and write the move; None when the item changed since it was read (nothing written)."""
    read_version, read_state = item.version, item.state
    before = item.snapshot()
    charge_to = {"customer": referenced_id(item, "customer"), "site": referenced_id(item, "site")}
    try:
        plan = lifecycle.plan(subject(item), move, given, roles, now,
                              rules if isinstance(rules, lifecycle_plans.Rules) else rules(item))
    except lifecycle_plans.Refused as refused:
        raise TransitionRefused(refused.status, refused.why, item.state, refused.allowed,
                                refused.problems) from None
    changes = _resolve(item, plan.changes)
    for name, value in changes.items():
        setattr(item, name, value)
    item.state, item.updated_at, item.version = plan.state, now, read_version + 1
    if entry:
        item.transition_keys = [*(item.transition_keys or []), entry][-KEPT_TRANSITION_KEYS:]
    try:
        item.check()
    except InvalidRecord as invalid:
        raise TransitionRefused(422, because("invalid_record", f"{move} would leave the item invalid", move=move),
                                read_state, fields=invalid.problems) from None
    event_id = str(ObjectId())
    item.last_event = {
        "id": event_id, "at": now, "actor": actor.username, "action": f"transition:{move}",
        "collection": Equipment._get_collection_name(), "object_id": str(item.pk), "before": before,
        "after": item.snapshot(), "request_id": actor.request_id, "source": actor.source, "move": move,
        "key": entry or "",
        # Keyed by position, not a list: no arrays of sub-documents (docs/storage.rst).
        "charges": {str(n): {"reason": c.reason, "amount_cents": c.amount_cents, **charge_to}
                    for n, c in enumerate(plan.charges)},
    }
    item.outbox_pending = True
    written = Equipment._get_collection().replace_one(
        {"_id": item.pk, "version": read_version, "state": read_state}, item.to_mongo().to_dict())
    if written.matched_count != 1:
        return None
    item._clear_changed_fields()
    if deliveries is not None:
        deliveries.add(item.pk, item.version, item.last_event)
        return Outcome(item, move, False, event_id, _charges(item.last_event))
    generation.bump()
    charges = _deliver(item.pk, item.version, item.last_event)
    item.outbox_pending = False
    return Outcome(item, move, False, event_id, charges)


def _resolve(item: Equipment, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The plan's changes with record ids turned into records (422 when one is missing) and times to the ms."""
    resolved = {name: to_millisecond(value) if isinstance(value, dt.datetime) else value
                for name, value in changes.items()}
    if resolved.get("site") is not None:
        resolved["site"] = _record(Site, resolved["site"], "site", item)
    if resolved.get("lines"):
        resolved["lines"] = [_record(Line, line, "lines", item) for line in resolved["lines"]]
    if resolved.get("replaces") is not None:
        resolved["replaces"] = _faulty(item, resolved["replaces"])
    return resolved


def _record(document: type[me.Document], value: Any, name: str, item: Equipment) -> me.Document:
    if isinstance(value, document):
        return value
    found = record_by_id(document, value)
    if found is None:
        raise TransitionRefused(422, because("no_record", f"no {name} record with id {str(value)[:40]!r}",
                                             field=name, id=str(value)[:40]), item.state,
                                fields={name: field_problem("no_record", "no such record")})
    return found


def _faulty(item: Equipment, value: Any) -> Equipment:
    """The failed item a shipment replaces: failed, with a replacement due, not already replaced."""
    faulty = _record(Equipment, value, "replaces", item)
    why = None
    if faulty.state != "failed":
        why = because("replaced_not_failed", f"cannot replace it: {faulty.serial} is {faulty.state}",
                      serial=faulty.serial, state=faulty.state)
    elif faulty.replacement != "due":
        why = because("replaced_gets_quote", f"cannot replace it: {faulty.serial} gets a quote, not a replacement "
                                             "(sold, out of warranty)", serial=faulty.serial)
    elif referenced_id(faulty, "customer") != referenced_id(item, "customer"):
        why = because("replaced_other_customer", f"cannot replace it: {faulty.serial} belongs to another customer "
                                                 "than the site this item is staged for", serial=faulty.serial)
    else:
        others = Equipment.objects(replaces=faulty.pk).only("serial", "state")
        live = [other for other in others if other.pk != item.pk and other.state not in lifecycle.GONE]
        if live:
            why = because("already_replaced", f"cannot replace it: {faulty.serial} is already replaced by "
                                              f"{live[0].serial}", serial=faulty.serial, by=live[0].serial)
    if why:
        raise TransitionRefused(422, why, item.state, fields={"replaces": field_problem(
            "not_replaceable", "expected a failed item of the same customer with a replacement due")})
    return faulty


# -- the outbox ----------------------------------------------------------------------------------


def _deliver_pending(item: Equipment) -> None:
    """Deliver the event a crash left in this item's outbox, before a new move replaces it."""
    if item.outbox_pending and item.last_event:
        _deliver(item.pk, item.version, item.last_event)
        item.outbox_pending = False


def _deliver(item_id: ObjectId, version: int, event: Mapping[str, Any]) -> tuple[ChargeLine, ...]:
    """Insert the event and its charges (once, whatever happens twice), then clear the outbox flag."""
    _insert_once(Event, _event(event))
    charges = _charges(event)
    for charge in charges:
        _insert_once(ChargeLine, charge)
    # A boolean, not a datetime, so $set is safe on NX-27017; the version is left alone: a move that
    # read the flag set delivers the same event again, harmlessly.
    Equipment._get_collection().update_one({"_id": item_id, "version": version, "outbox_pending": True},
                                           {"$set": {"outbox_pending": False}})
    return charges


#: What an event record holds besides its id (inventory/events.py), as the outbox carries it.
EVENT_FIELDS = ("at", "actor", "action", "collection", "object_id", "before", "after")


def _event(event: Mapping[str, Any]) -> dict[str, Any]:
    """The stored form of the event an outbox carries (built directly: a batch delivers hundreds)."""
    return {"_id": ObjectId(event["id"]), **{name: event[name] for name in EVENT_FIELDS},
            "request_id": event.get("request_id", ""), "source": event.get("source", "")}


def _charges(event: Mapping[str, Any]) -> tuple[ChargeLine, ...]:
    """The charge lines a move's event carries, with ids derived from the event's."""
    return tuple(
        ChargeLine(id=charge_id(event["id"], int(n)), item=ObjectId(event["object_id"]),
                   customer=_id_or_none(charge.get("customer")), site=_id_or_none(charge.get("site")),
                   reason=charge["reason"], amount_cents=charge["amount_cents"], move=event["move"],
                   event=event["id"], transition_key=event.get("key") or None,
                   version=1, created_at=event["at"], updated_at=event["at"])
        for n, charge in sorted((event.get("charges") or {}).items(), key=lambda pair: int(pair[0])))


class Deliveries:
    """The outboxes of a batch of moves, delivered together: one generation move, one write per collection.

    Until `deliver()` the events wait in their items (flagged), as after a crash: flush_outboxes() or the
    item's next move delivers them if the batch never gets there.
    """

    def __init__(self) -> None:
        self.pending: list[tuple[ObjectId, int, Mapping[str, Any]]] = []

    def add(self, item_id: ObjectId, version: int, event: Mapping[str, Any]) -> None:
        self.pending.append((item_id, version, event))

    def deliver(self) -> int:
        """Move the generation, insert the events and charges (once), clear the flags; returns how many."""
        pending, self.pending = self.pending, []
        if not pending:
            return 0
        generation.bump()
        _insert_many_once(Event, [_event(event) for _, _, event in pending])
        _insert_many_once(ChargeLine, [charge.to_mongo().to_dict() for _, _, event in pending
                                       for charge in _charges(event)])
        Equipment._get_collection().bulk_write(
            [UpdateOne({"_id": item_id, "version": version, "outbox_pending": True},
                       {"$set": {"outbox_pending": False}}) for item_id, version, _ in pending], ordered=False)
        return len(pending)


def _insert_many_once(document: type[me.Document], records: list[dict[str, Any]]) -> None:
    if not records:
        return
    try:
        document._get_collection().insert_many(records, ordered=False)
    except BulkWriteError as exc:
        if any(error.get("code") != DUPLICATE_KEY for error in exc.details.get("writeErrors", [])):
            raise


def _insert_once(document: type[me.Document], record: me.Document | dict[str, Any]) -> None:
    try:
        document._get_collection().insert_one(record if isinstance(record, dict) else record.to_mongo().to_dict())
    except DuplicateKeyError:
        pass  # delivered before: by the crashed attempt, the flush or a concurrent move


# -- answers -------------------------------------------------------------------------------------


def _seen(item: Equipment, move: str, key: str) -> bool:
    """Whether `key` was used on this item for `move`; 422 when it was used for another move."""
    for entry in item.transition_keys or ():
        used_for, _, used = entry.partition(":")
        if used == key:
            if used_for != move:
                raise TransitionRefused(422, because("key_used", f"the idempotency key {key!r} was used for "
                                                                 f"{used_for} on this item; send a new key for {move}",
                                                     key=key, used_for=used_for, move=move), item.state,
                                        fields={"idempotency_key": field_problem(
                                            "key_used_for", f"already used for {used_for}", used_for=used_for)})
            return True
    return False


def _repeated(item: Equipment, move: str, entry: str) -> Outcome:
    charges = tuple(charge for charge in ChargeLine.objects(item=item.pk).order_by("_id")
                    if charge.transition_key == entry)
    return Outcome(item, move, repeated=True, charges=charges)


def _conflict(item: Equipment, roles: tuple[str, ...], why: Reason) -> TransitionRefused:
    """The 409 of a move that lost a race (`why`: how), with the item's state now and the moves allowed from it."""
    allowed = lifecycle.allowed_moves(subject(item), roles)
    listing = ", ".join(allowed) if allowed else "none"
    return TransitionRefused(409, because("stale", f"equipment {item.serial} was not changed: {why}; it is "
                                                   f"{item.state} now, allowed: {listing}",
                                          serial=item.serial, why=why, state=item.state, allowed=allowed),
                             item.state, allowed)


def _read(item_id: ObjectId | str) -> Equipment:
    item = record_by_id(Equipment, item_id)
    if item is None:
        raise TransitionRefused(404, because("no_item", f"no equipment record with id {str(item_id)[:40]!r}",
                                             id=str(item_id)[:40]))
    return item


def _id_or_none(text: str | None) -> ObjectId | None:
    return ObjectId(text) if text else None
