"""The SIP core's call records, stored: the server's CallLog queues each record and a thread writes them in bulk
(provisioner/write_behind.py), so the event loop never waits on the database. Also the way back, from stored
records to the core's: the fair-use report reads them, and a restarted core reloads its month's counts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from bson import ObjectId

from inventory import call_records as stored
from provisioner.write_behind import WriteBehind
from sip_core.call_records import CallRecord, EndedBy, Outcome
from sip_core.fair_use import counts_toward_fair_use, month_bounds
from sip_core.fraud import DistinctDestinations, month_key
from sip_core.numbering import DestinationClass

#: Seconds between two writes of the records ended meanwhile.
FLUSH_SECONDS = 1.0
#: Records waiting to be written at most; past that (the database gone for long) new ones are counted, not kept.
MAX_PENDING = 100_000


def as_document(record: CallRecord) -> dict[str, Any]:
    """A record in its stored form (inventory/call_records.py), text cut to the stored bounds."""
    return {
        "call_id": record.call_id[:256], "caller": record.caller[:64], "caller_number": record.caller_number[:16],
        "caller_line": record.caller_line, "caller_site": record.caller_site,
        "caller_customer": record.caller_customer, "dialled": record.dialled[:64], "number": record.number[:16],
        "destination_class": record.destination_class.value if record.destination_class else "",
        "callee_line": record.callee_line, "callee_site": record.callee_site,
        "callee_customer": record.callee_customer, "start": record.start, "answer": record.answer,
        "end": record.end, "duration": round(record.duration, 3), "outcome": record.outcome.value,
        "status": record.status, "ended_by": record.ended_by.value,
    }


def from_document(document: dict[str, Any]) -> CallRecord:
    """A stored record (or the fields of it the fair-use count reads) as the core's CallRecord, times in UTC."""
    def utc(value: dt.datetime | None) -> dt.datetime | None:
        return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value

    start = utc(document["start"])
    return CallRecord(
        call_id=document.get("call_id", ""), caller=document.get("caller", ""),
        caller_number=document.get("caller_number") or "", caller_line=document.get("caller_line") or "",
        caller_site=document.get("caller_site") or "", caller_customer=document.get("caller_customer") or "",
        dialled=document.get("dialled") or "", number=document.get("number") or "",
        destination_class=DestinationClass(document["destination_class"]) if document.get("destination_class") else None,
        callee_line=document.get("callee_line") or "", callee_site=document.get("callee_site") or "",
        callee_customer=document.get("callee_customer") or "", start=start, answer=utc(document.get("answer")),
        end=utc(document.get("end")) or start, outcome=Outcome(document["outcome"]), status=document.get("status"),
        ended_by=EndedBy(document.get("ended_by") or EndedBy.FINAL.value))


def month_records(month: str) -> list[CallRecord]:
    """The answered calls that started in a contract month ("2026-11"), in start order."""
    since, before = month_bounds(month)
    return [from_document(document) for document in stored.answered_between(since, before)]


class SipCallLog:
    """The server's CallLog: records queued by the event loop, written by a thread in one bulk insert a second;
    start(), then close()."""

    def __init__(self, flush_seconds: float = FLUSH_SECONDS):
        self.writer: WriteBehind[ObjectId, dict] = WriteBehind(_write_records, "sip-call-records", flush_seconds,
                                                               MAX_PENDING)

    def start(self) -> None:
        self.writer.start()

    def close(self) -> None:
        """Write the records still waiting and stop the writing thread."""
        self.writer.close()

    def record(self, record: CallRecord) -> None:
        # The id is chosen here: a batch tried again after a partial write names the same documents, whose
        # second insert the database refuses as duplicates instead of storing twice.
        self.writer.put(ObjectId(), as_document(record))

    def restore(self, counter: DistinctDestinations, now: dt.datetime | None = None) -> int:
        """Load the distinct numbers each line called this month into the core's live counter (after a restart,
        so no line starts the month again from zero); how many lines."""
        month = month_key(now or dt.datetime.now(dt.UTC))
        numbers: dict[str, set[str]] = defaultdict(set)
        for record in month_records(month):
            if record.caller_line and counts_toward_fair_use(record.outcome, record.destination_class):
                numbers[record.caller_line].add(record.destination)
        for line, called in numbers.items():
            counter.restore(line, month, called)
        return len(numbers)


def _write_records(batch: dict[ObjectId, dict]) -> None:
    stored.CallRecord._get_collection().insert_many([{"_id": key, **value} for key, value in batch.items()],
                                                    ordered=False)
