"""Staff endpoints of the equipment lifecycle: the table, the moves an item allows, a move, and scan batches.

Handlers only read the request and answer: the table (inventory/lifecycle.py) decides, inventory/transitions.py
writes. Who may run a move is the table's business, so these handlers admit any signed-in member of staff and
the table refuses with 403.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from inventory import lifecycle, lifecycle_inputs, transitions
from inventory.charges import ChargeLine
from inventory.equipment import EQUIPMENT_STATES, Equipment
from inventory.events import Actor
from provisioner.api import transition_inputs
from provisioner.api.base import KEY_PATTERN, ApiError, BaseHandler, record_or_404
from provisioner.api.records import render
from provisioner.api.resources import RESOURCES
from provisioner.lifecycle_rules import rules_for
from provisioner.scan_moves import ScanResult, run_scans

#: Most items one scan batch may name: what a warehouse clerk scans in one go, answered within seconds.
MAX_SCANS = 500
MAX_SCAN_LENGTH = 100
#: How each kind of lifecycle input reads from JSON.
_INPUT_FIELDS = {"text": "string", "choice": "string", "text_list": "string_list", "date": "date",
                 "datetime": "datetime", "amount": "integer", "ref": "ref", "ref_list": "ref_list"}
#: The field kind of each input of the table, by input name.
_INPUT_KINDS = {name: _INPUT_FIELDS[spec.kind] for name, spec in lifecycle_inputs.INPUTS.items()}


def describe_move(move: lifecycle.Move) -> dict[str, Any]:
    """One row of the table as JSON."""
    return {"name": move.name, "from": [s for s in EQUIPMENT_STATES if s in move.sources], "to": move.target or None,
            "roles": sorted(move.roles), "requires": list(move.requires), "optional": list(move.optional),
            "ownership": move.ownership, "summary": move.summary}


def parse_inputs(body: Any) -> dict[str, Any]:
    """The inputs of a move from JSON: dates and times from ISO 8601, record ids; 422 naming each bad one."""
    return transition_inputs.parse_inputs(body, _INPUT_KINDS)


def render_outcome(outcome: transitions.Outcome) -> dict[str, Any]:
    """A move made, as JSON: the item, the charges it caused, and whether it had been made already."""
    return {"move": outcome.move, "repeated": outcome.repeated, "event": outcome.event_id,
            "item": render(RESOURCES["equipment"], outcome.item.to_mongo().to_dict()),
            "charges": [render_charge(charge) for charge in outcome.charges]}


def render_charge(charge: ChargeLine) -> dict[str, Any]:
    return {"id": str(charge.pk), "reason": charge.reason, "amount_cents": charge.amount_cents,
            "move": charge.move, "event": charge.event}


def refusal(refused: transitions.TransitionRefused) -> ApiError:
    """The API answer for a refused move: its status, why, and the item's state and allowed moves when known."""
    details = {} if refused.state is None else {"state": refused.state, "allowed": list(refused.allowed)}
    return ApiError(refused.status, refused.message, refused.fields, details)


def _move(name: str) -> lifecycle.Move:
    move = lifecycle.MOVES.get(name) or lifecycle.RECORDS.get(name)
    if move is None:
        raise ApiError(404, f"no move named {name[:40]!r}: GET /api/v1/lifecycle lists them")
    return move


class LifecycleHandler(BaseHandler):
    """GET: the lifecycle table (states, moves with their roles and inputs), for clients and staff pages."""

    route = "/api/v1/lifecycle"

    def get(self) -> None:
        inputs = {name: {"kind": spec.kind, "description": spec.description, "choices": list(spec.choices)}
                  for name, spec in lifecycle_inputs.INPUTS.items()}
        self.send({"states": list(EQUIPMENT_STATES), "moves": [describe_move(m) for m in lifecycle.MOVES.values()],
                   "records": [describe_move(m) for m in lifecycle.RECORDS.values()], "inputs": inputs})


class MovesHandler(BaseHandler):
    """GET: the moves the caller may run on one item now."""

    route = "/api/v1/equipment/{id}/moves"

    def get(self, record_id: str) -> None:
        item = record_or_404(Equipment, record_id, "equipment record")
        names = lifecycle.allowed_moves(transitions.subject(item), self.caller.roles)
        moves = [describe_move(lifecycle.MOVES.get(n) or lifecycle.RECORDS[n]) for n in names]
        self.set_header("ETag", f'"{item.version}"')
        self.send({"id": str(item.pk), "serial": item.serial, "state": item.state, "version": item.version,
                   "moves": moves})


class TransitionHandler(BaseHandler):
    """POST: run one move on one item, with its inputs as the JSON body; idempotent under Idempotency-Key."""

    route = "/api/v1/equipment/{id}/transitions/{move}"

    def post(self, record_id: str, name: str) -> None:
        _move(name)
        # All that must be readable (body, headers) is read before any field is judged: 400 comes before 422.
        body, key, expected = self.json_body(), self.idempotency_key(), self.expected_version()
        given = parse_inputs(body)
        try:
            outcome = transitions.run(record_id, name, given, self.actor, self.caller.roles,
                                      dt.datetime.now(dt.timezone.utc), rules_for(self.services.settings),
                                      idempotency_key=key, expected_version=expected)
        except transitions.TransitionRefused as refused:
            raise refusal(refused) from None
        self.set_header("ETag", f'"{outcome.item.version}"')
        self.send(render_outcome(outcome))


class ScanBatchHandler(BaseHandler):
    """POST: one move on each item of a list of scans; every valid item moves, the others are reported."""

    route = "/api/v1/scans/{move}"

    async def post(self, name: str) -> None:
        move = _move(name)
        if not self.caller.may(tuple(move.roles)):
            raise ApiError(403, f"{name} needs one of the roles {', '.join(sorted(move.roles))}")
        body = self.json_body()
        scans, batch_key = body.get("scans"), body.get("batch_key")
        problems = {field: "unknown field" for field in sorted(set(body) - {"scans", "inputs", "batch_key"})}
        if not isinstance(scans, list) or not 1 <= len(scans) <= MAX_SCANS:
            problems["scans"] = f"expected a list of 1 to {MAX_SCANS} scanned serials or MAC addresses"
        elif not all(isinstance(s, str) and s.strip() and len(s) <= MAX_SCAN_LENGTH for s in scans):
            problems["scans"] = f"every scan must be a serial or MAC of at most {MAX_SCAN_LENGTH} characters"
        if not isinstance(batch_key, str) or not KEY_PATTERN.match(batch_key):
            problems["batch_key"] = ("required: 1 to 100 printable ASCII characters without blanks, the same when "
                                     "the batch is sent again, so nothing is done twice")
        if problems:
            raise ApiError(422, "the batch is not valid", problems)
        given = parse_inputs(body.get("inputs") or {})
        # Hundreds of moves take seconds: off the IOLoop, which keeps serving phones meanwhile.
        actor = dataclasses.replace(self.actor, source=f"scan batch {batch_key} from {self.request.remote_ip or '-'}")
        results = await self.off_loop(self._run_batch, name, scans, given, batch_key, actor)
        done = sum(1 for result in results if result["ok"])
        self.send({"move": name, "results": results, "done": done, "refused": len(results) - done})

    def _run_batch(self, name: str, scans: list[str], given: dict[str, Any], batch_key: str,
                   actor: Actor) -> list[dict[str, Any]]:
        results = run_scans(name, [(scan, given) for scan in scans], batch_key, actor, self.caller.roles,
                            rules_for(self.services.settings))
        return [self._render_scan(result, name) for result in results]

    @staticmethod
    def _render_scan(result: ScanResult, name: str) -> dict[str, Any]:
        """One scan of a batch as JSON: its item moved, or why not."""
        scan, refused, outcome = result.scan, result.refused, result.outcome
        if result.item is None:
            return {"scan": scan, "item": None, "ok": False, "status": 404,
                    "message": f"no equipment with serial or MAC {scan.strip()[:40]!r}"}
        if refused is not None:
            return {"scan": scan, "item": str(result.item.pk), "ok": False, "status": refused.status,
                    "message": refused.message, "state": refused.state, "allowed": list(refused.allowed),
                    **({"fields": refused.fields} if refused.fields else {})}
        assert outcome is not None
        item = outcome.item
        return {"scan": scan, "item": str(item.pk), "serial": item.serial, "ok": True, "status": 200,
                "repeated": outcome.repeated, "state": item.state, "version": item.version,
                "message": f"already done by this batch: {item.state}" if outcome.repeated else f"{name}: now {item.state}",
                "charges": [render_charge(charge) for charge in outcome.charges]}
