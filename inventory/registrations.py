"""SIP registrations: each account's registered contacts as the SIP core last saved them, gone once all expire."""

from __future__ import annotations

import mongoengine as me


class Registration(me.Document):
    """One SIP account's bindings (plain dicts, one per registered contact), keyed by the account's user name.

    Written only whole (a bulk replace or delete by `_id`, from provisioner/sip_store.py), never by `$push` and
    never queried into: the array of sub-documents stays clear of NX-27017's defects (docs/storage.rst).
    `expires_at` is the latest binding's expiry; the TTL index on it removes a registration once every
    binding in it has expired (NX-27017 at once, MongoDB within a minute: readers filter on expiry).
    """

    username = me.StringField(primary_key=True, max_length=64)
    bindings = me.ListField(me.DictField())
    expires_at = me.DateTimeField(required=True)

    meta = {
        "collection": "sip_registrations",
        "indexes": [{"fields": ["expires_at"], "expireAfterSeconds": 0}],
    }
