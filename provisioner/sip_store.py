"""The SIP core's BindingStore over MongoDB (collection `sip_registrations`): bindings outlive a restart.

`save()` runs on the event loop on the REGISTER hot path, so it only queues; a thread writes every
FLUSH_SECONDS one bulk write of the latest bindings of each account saved meanwhile (several saves of one
account between two flushes cost one write). `load()` reads every live binding, once, at start.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from pymongo import DeleteOne, ReplaceOne

from inventory.registrations import Registration
from provisioner.write_behind import WriteBehind
from sip_core.location import Binding, live

#: Seconds between two writes of the bindings saved meanwhile.
FLUSH_SECONDS = 0.1
_FIELDS = tuple(field.name for field in dataclasses.fields(Binding))


def to_document(username: str, bindings: tuple[Binding, ...]) -> dict:
    """The stored form of an account's bindings (they must not be empty)."""
    latest = max(binding.expires_at for binding in bindings)
    return {"_id": username, "bindings": [dataclasses.asdict(binding) for binding in bindings],
            "expires_at": dt.datetime.fromtimestamp(latest, dt.timezone.utc)}


def from_document(raw: dict) -> tuple[Binding, ...]:
    """The bindings of a stored registration (fields this version does not know are left out)."""
    return tuple(Binding(**{name: item[name] for name in _FIELDS if name in item}) for item in raw.get("bindings") or ())


class MongoBindingStore:
    """Bindings by account user name, written behind the event loop in bulk; start() before use, close() at stop."""

    def __init__(self, flush_seconds: float = FLUSH_SECONDS):
        self.writer: WriteBehind[str, tuple[Binding, ...]] = WriteBehind(self._write, "sip-bindings", flush_seconds)

    def start(self) -> None:
        self.writer.start()

    def load(self, now: float) -> dict[str, tuple[Binding, ...]]:
        """Every account's live bindings (what the TTL index has not removed yet is filtered here)."""
        loaded = {}
        for raw in Registration._get_collection().find({}):
            bindings = live(from_document(raw), now)
            if bindings:
                loaded[raw["_id"]] = bindings
        return loaded

    def save(self, aor: str, bindings: tuple[Binding, ...]) -> None:
        """Queue the account's new bindings (none: its registration goes); written within FLUSH_SECONDS."""
        self.writer.put(aor, bindings)

    def flush(self) -> int:
        """Write what is queued now; how many accounts were written."""
        return self.writer.flush()

    def close(self) -> None:
        """Write what is queued and stop the writing thread."""
        self.writer.close()

    @staticmethod
    def _write(batch: dict[str, tuple[Binding, ...]]) -> None:
        writes = [ReplaceOne({"_id": aor}, to_document(aor, bindings), upsert=True) if bindings
                  else DeleteOne({"_id": aor}) for aor, bindings in batch.items()]
        Registration._get_collection().bulk_write(writes, ordered=False)
