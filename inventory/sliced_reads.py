"""Reading every record of a collection in slices, so that the database answers others in between.

NX-27017 holds itself for the whole of one query: reading 100,000 items at once took it 6 to 13 s, long
enough for the driver's monitor to give up on the server and cancel every operation in flight
(docs/benchmarks.rst, "Staff pages"). Slices of SLICE records in `_id` order, by skip and limit (NX-27017
does not use the `_id` index for a range), take it about 0.3 s each, and the whole read no longer than the
one query did. On MongoDB the slices cost little more than one query.

A record deleted during the read moves the later ones back: each slice starts OVERLAP records before the
previous one ended, and one that does not reach back to the last record read means more than OVERLAP went,
so the read starts over (ATTEMPTS times, then in one query). Records inserted or changed during the read are
the caller's to catch, as they are for one query (the report cache polls its change feed before reading).
"""

from __future__ import annotations

import logging
from typing import Any

from pymongo.collection import Collection

log = logging.getLogger("inventory.sliced_reads")

SLICE = 5000
OVERLAP = 100
ATTEMPTS = 3
#: Slices read at most in one attempt (a billion records): ends the read even if records kept coming.
MAX_SLICES = 200_000


def read_all(collection: Collection, fields: dict[str, int], size: int = SLICE,
             overlap: int = OVERLAP) -> list[dict[str, Any]]:
    """Every record of `collection` with `fields` (and `_id`), in `_id` order, read `size` at a time."""
    if not 0 < overlap < size:
        raise ValueError(f"the overlap ({overlap}) must be positive and smaller than a slice ({size})")
    for _ in range(ATTEMPTS):
        found = _read_slices(collection, fields, size, overlap)
        if found is not None:
            return found
    log.warning("%s: records kept moving during %d sliced reads; read in one query", collection.name, ATTEMPTS)
    return list(collection.find({}, fields).sort("_id", 1))


def _read_slices(collection: Collection, fields: dict[str, int], size: int,
                 overlap: int) -> list[dict[str, Any]] | None:
    """One attempt: the records, or None when more than `overlap` of those already read were deleted meanwhile."""
    found: list[dict[str, Any]] = []
    for _ in range(MAX_SLICES):
        rows = list(collection.find({}, fields).sort("_id", 1).skip(max(len(found) - overlap, 0)).limit(size))
        if found:
            last = found[-1]["_id"]
            if not rows or rows[0]["_id"] > last:
                return None  # the slice starts past the last record read: some between may have been skipped
            found += [row for row in rows if row["_id"] > last]
        else:
            found += rows
        if len(rows) < size:
            return found
    return None
