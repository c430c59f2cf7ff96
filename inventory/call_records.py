"""Call records (CDR) as stored: one document per call the SIP core's proxy saw end, kept one year.

French law has operators keep the traffic data of electronic communications for one year (CPCE, art. L34-1 and
R10-13), and the GDPR has nothing kept longer than its purpose needs: the TTL index on `start` removes a record
365 days after its call began. A fixed period, not a setting: it is the law's, not a local choice.

Written in batches by provisioner/sip_call_log.py, never changed. Read by caller line, site or customer and by
time through the indexes below, newest first. Times are whole-second filtered on NX-27017 (docs/storage.rst):
`between` takes bounds at whole seconds (midnights), where that truncation changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import mongoengine as me
from pymongo.collection import Collection

from inventory.counts import count

#: Days a record is kept: the one year of CPCE art. R10-13.
RETENTION_DAYS = 365
#: The fields a list of records may be filtered on by equality, and the stored field each one means.
FILTERS = {"line": "caller_line", "site": "caller_site", "customer": "caller_customer", "outcome": "outcome"}


class CallRecord(me.Document):
    """One call: the calling line (and its site and customer), the number dialled and its class, the line
    called when it is one of ours, when it started, was answered and ended, and how it ended."""

    call_id = me.StringField(required=True, max_length=256)
    caller = me.StringField(required=True, max_length=64)  # the calling SIP account's user name
    caller_number = me.StringField(max_length=16)
    caller_line = me.StringField(max_length=24)  # ids as text, kept after the line or site is deleted
    caller_site = me.StringField(max_length=24)
    caller_customer = me.StringField(max_length=24)
    dialled = me.StringField(max_length=64)
    number = me.StringField(max_length=16)  # E.164 when the numbering plan gives one, else ""
    destination_class = me.StringField(max_length=24)  # sip_core.numbering.DestinationClass; "" unclassified
    callee_line = me.StringField(max_length=24)
    callee_site = me.StringField(max_length=24)
    callee_customer = me.StringField(max_length=24)
    start = me.DateTimeField(required=True)
    answer = me.DateTimeField()
    end = me.DateTimeField(required=True)
    duration = me.FloatField(min_value=0)  # seconds from answer to end
    outcome = me.StringField(required=True, max_length=16)  # sip_core.call_records.Outcome
    status = me.IntField()  # the final status sent to the caller
    ended_by = me.StringField(max_length=16)  # sip_core.call_records.EndedBy

    meta = {
        "collection": "call_records",
        "indexes": [
            {"fields": ["start"], "expireAfterSeconds": RETENTION_DAYS * 86400},
            ("caller_line", "-start"),
            ("caller_site", "-start"),
            ("caller_customer", "-start"),
        ],
    }


def _collection() -> Collection:
    return CallRecord._get_collection()


def query(filters: dict[str, str], since: dt.datetime | None = None,
          before: dt.datetime | None = None) -> dict[str, Any]:
    """The stored-form filter of a list: equality on `FILTERS` keys, `since <= start < before` (whole seconds)."""
    found: dict[str, Any] = {FILTERS[name]: value for name, value in filters.items()}
    if since is not None or before is not None:
        found["start"] = {**({"$gte": since} if since else {}), **({"$lt": before} if before else {})}
    return found


def page(found: dict[str, Any], page_number: int, per_page: int) -> tuple[list[dict[str, Any]], int]:
    """One page of the records matching `found`, newest first, and how many match."""
    cursor = (_collection().find(found).sort([("start", -1), ("_id", -1)])
              .skip((page_number - 1) * per_page).limit(per_page))
    return list(cursor), count(_collection(), found)


def answered_between(since: dt.datetime, before: dt.datetime) -> list[dict[str, Any]]:
    """The answered calls that started in [since, before) (whole seconds), in start order: the fair-use count's
    input, read with the fields it needs only."""
    fields = {"call_id": 1, "caller": 1, "caller_line": 1, "caller_site": 1, "caller_customer": 1, "dialled": 1,
              "number": 1, "destination_class": 1, "start": 1, "answer": 1, "end": 1, "status": 1, "ended_by": 1,
              "outcome": 1}
    cursor = _collection().find({"start": {"$gte": since, "$lt": before}, "outcome": "answered"}, fields)
    return list(cursor.sort([("start", 1), ("_id", 1)]))
