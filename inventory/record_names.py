"""Names of customers and sites by id, for the reports' rows, kept in memory until told to forget them.

A report names the customer and site of each row: among 100,000 items that is about a thousand of each,
and NX-27017 takes some 30 ms to read a thousand records whatever the query (docs/storage.rst). Names
change rarely: the server keeps them and forgets those whose records changed
(provisioner/report_cache.py follows the event log for that); a command reads them afresh each time.
"""

from __future__ import annotations

from collections.abc import Iterable

from bson import ObjectId
from bson.errors import InvalidId

from inventory.customers import Customer, Site

#: Beyond this many names the cache starts again (a fleet has a few thousand customers and sites).
MAX_NAMES = 200_000
KINDS = {"customers": Customer, "sites": Site}


class RecordNames:
    """Id (text) to name of customers and sites, read through the `_id` index; not thread-safe (its owner locks)."""

    def __init__(self) -> None:
        self._names: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}

    def customers(self, ids: Iterable[str | None]) -> dict[str, str]:
        """The names of these customers ("" for an id that names none)."""
        return self._lookup("customers", ids)

    def sites(self, ids: Iterable[str | None]) -> dict[str, str]:
        """The names of these sites ("" for an id that names none)."""
        return self._lookup("sites", ids)

    def forget(self, kind: str | None = None, ids: Iterable[str] = ()) -> None:
        """Forget these ids of `kind` (customers or sites), or every name when `kind` is None."""
        if kind is None:
            self._names = {name: {} for name in KINDS}
            return
        for text in ids:
            self._names[kind].pop(text, None)

    def _lookup(self, kind: str, ids: Iterable[str | None]) -> dict[str, str]:
        if sum(map(len, self._names.values())) > MAX_NAMES:
            self.forget()
        known = self._names[kind]
        wanted = {text for text in ids if text}
        missing = []
        for text in wanted - set(known):
            try:
                missing.append(ObjectId(text))
            except (InvalidId, TypeError):
                known[text] = ""
        if missing:
            found = KINDS[kind]._get_collection().find({"_id": {"$in": missing}}, {"name": 1})
            known.update({str(record["_id"]): record.get("name", "") for record in found})
            known.update({str(oid): "" for oid in missing if str(oid) not in known})
        return {text: known[text] for text in wanted}
