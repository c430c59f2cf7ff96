"""Fraud signs the SIP core observed (unmanaged devices, scanners, sweeps, brute force): one record each, kept."""

from __future__ import annotations

import mongoengine as me


class FraudSign(me.Document):
    """One sign of misuse: when, what kind, from where, and the account and line concerned when known.

    Written in batches by the SIP recorder (provisioner/sip_recorder.py), never changed; listed by line or by
    date, newest first (sorted rather than filtered on time: NX-27017 compares datetimes to the second).
    """

    at = me.DateTimeField(required=True)
    kind = me.StringField(required=True, max_length=40)
    source = me.StringField(max_length=64)  # the address the message came from
    port = me.IntField()
    transport = me.StringField(max_length=8)
    username = me.StringField(max_length=64)
    line = me.StringField(max_length=24)  # the line's id as text, kept after the line is deleted
    customer = me.StringField(max_length=24)
    detail = me.StringField(max_length=500)

    meta = {
        "collection": "fraud_signs",
        "indexes": ["-at", ("line", "-at"), ("source", "-at")],
        "ordering": ["-at"],
    }

    @classmethod
    def of_line(cls, line_id: str, limit: int = 100) -> list["FraudSign"]:
        """The newest signs concerning one line."""
        return list(cls.objects(line=line_id).order_by("-at", "-id").limit(limit))

    @classmethod
    def newest(cls, limit: int = 100) -> list["FraudSign"]:
        """The newest signs, every line and none."""
        return list(cls.objects.order_by("-at", "-id").limit(limit))
