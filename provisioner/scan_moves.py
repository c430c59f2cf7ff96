"""Scans that move items: finding the item a scan names, and one lifecycle move on each item of a batch.

Shared by the API's scan batches (``POST /api/v1/scans/{move}``) and the staff pages' scan pages, so both
find items and key their moves alike: each item's idempotency key is ``<batch key>:<scan>``, and sending the
same batch again moves nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from inventory import transitions
from inventory.equipment import Equipment
from inventory.events import Actor
from inventory.mac import normalize_mac
from provisioner.labels import serial_from_payload


@dataclass(frozen=True)
class ScanResult:
    """What became of one scan: no item (`item` None), the move made (`outcome`) or why not (`refused`)."""

    scan: str
    item: Equipment | None
    outcome: transitions.Outcome | None = None
    refused: transitions.TransitionRefused | None = None


def find_scanned(scan: str) -> Equipment | None:
    """The item a scan names: our label's QR code (EQ:<serial>), a serial, else a MAC in any notation."""
    serial = serial_from_payload(scan) or scan.strip()
    collection = Equipment._get_collection()
    found = collection.find_one({"serial": serial})
    if found is None:
        try:
            found = collection.find_one({"mac": normalize_mac(scan)})
        except ValueError:
            return None
    return None if found is None else Equipment._from_son(found)


def scan_key(batch_key: str, scan: str) -> str:
    """The idempotency key of one scan's move within a batch."""
    return f"{batch_key}:{scan.strip()}"


def run_scans(move: str, scans: Sequence[tuple[str, Mapping[str, Any]]], batch_key: str, actor: Actor,
              roles: tuple[str, ...], rules: transitions.RulesFor) -> list[ScanResult]:
    """Run `move` on the item of each scan with that scan's inputs; the events and charges of the batch are
    written together at the end. Takes seconds for hundreds of scans: call it off the event loop."""
    deliveries = transitions.Deliveries()
    try:
        return [_run_scan(move, scan, given, batch_key, actor, roles, rules, deliveries) for scan, given in scans]
    finally:
        deliveries.deliver()


def _run_scan(move: str, scan: str, given: Mapping[str, Any], batch_key: str, actor: Actor, roles: tuple[str, ...],
              rules: transitions.RulesFor, deliveries: transitions.Deliveries) -> ScanResult:
    found = find_scanned(scan)
    if found is None:
        return ScanResult(scan, None)
    try:
        outcome = transitions.run(found, move, given, actor, roles, dt.datetime.now(dt.timezone.utc), rules,
                                  idempotency_key=scan_key(batch_key, scan), deliveries=deliveries)
    except transitions.TransitionRefused as refused:
        return ScanResult(scan, found, refused=refused)
    return ScanResult(scan, outcome.item, outcome=outcome)
