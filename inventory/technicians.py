"""Technicians who install equipment on customers' sites: their working hours, zones, skills, travel buffers,
and the secret token of their calendar feed."""

from __future__ import annotations

import hmac
import secrets as _random

import mongoengine as me

from inventory.appointment_rules import TechnicianProfile, WorkingHours, served_departement
from inventory.references import Reference
from inventory.staff import User, token_digest
from inventory.versioned import VersionedDocument

FEED_TOKEN_PREFIX = "ics_"
MAX_BUFFER_MINUTES = 240
SKILL_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"


class Technician(VersionedDocument):
    """A member of staff with the technician role who visits sites, in the départements of `zones`."""

    user = Reference(User, required=True)
    name = me.StringField(required=True, min_length=1, max_length=120)
    #: Week day ("mon".."sun") to "HH:MM-HH:MM", wall-clock time in Europe/Paris; a day left out is not worked.
    working_hours = me.MapField(me.StringField(max_length=11))
    #: Département codes the technician travels to ("2A" and "2B" for Corsica, never "20").
    zones = me.ListField(me.StringField(max_length=3), max_length=120)
    skills = me.ListField(me.StringField(regex=SKILL_PATTERN), max_length=32)
    #: Travel buffer in minutes around each visit, per département; `default_travel_minutes` elsewhere.
    travel_minutes = me.MapField(me.IntField(min_value=0, max_value=MAX_BUFFER_MINUTES))
    default_travel_minutes = me.IntField(required=True, min_value=0, max_value=MAX_BUFFER_MINUTES, default=30)
    active = me.BooleanField(default=True)
    feed_token_hash = me.StringField(max_length=64)
    feed_token_hint = me.StringField(max_length=12)

    meta = {"collection": "technicians", "indexes": [{"fields": ["user"], "unique": True}, "active"]}
    unique_fields = ("user",)
    formats = {"skills": "lower-case letters, digits, dashes or underscores (such as fibre or cisco)"}

    def normalize(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        user = self.user
        if isinstance(user, User) and "technician" not in (user.roles or ()):
            problems["user"] = f"{user.username} does not hold the technician role"
        try:
            WorkingHours.parse(dict(self.working_hours or {}))
        except ValueError as exc:
            problems["working_hours"] = str(exc)
        zones: list[str] = []
        for code in self.zones or []:
            try:
                canonical = served_departement(code)
            except ValueError as exc:
                problems["zones"] = str(exc)
                break
            if canonical not in zones:
                zones.append(canonical)
        self.zones = zones
        if not zones and "zones" not in problems:
            problems["zones"] = "at least one département code is needed, such as 75, 2A or 57"
        buffers = {}
        for code, minutes in (self.travel_minutes or {}).items():
            try:
                canonical = served_departement(code)
            except ValueError as exc:
                problems["travel_minutes"] = str(exc)
                break
            if canonical not in zones:
                problems["travel_minutes"] = f"{canonical} is not one of the technician's zones"
                break
            buffers[canonical] = minutes
        self.travel_minutes = buffers
        self.skills = sorted({skill.strip().lower() for skill in self.skills or [] if isinstance(skill, str)})
        return problems

    def profile(self) -> TechnicianProfile:
        """What the scheduling rules read of this technician."""
        return TechnicianProfile(
            ident=str(self.pk), name=self.name, hours=WorkingHours.parse(dict(self.working_hours or {})),
            zones=frozenset(self.zones or ()), skills=frozenset(self.skills or ()),
            buffers=dict(self.travel_minutes or {}), default_buffer=self.default_travel_minutes)

    def new_feed_token(self) -> tuple[str, dict[str, str]]:
        """A new random feed token, never stored, and the changes that make it the technician's (the previous one
        stops working once they are written)."""
        token = FEED_TOKEN_PREFIX + _random.token_urlsafe(32)
        return token, {"feed_token_hash": token_digest(token), "feed_token_hint": token[:len(FEED_TOKEN_PREFIX) + 4]}

    def feed_token_matches(self, token: str) -> bool:
        """Whether `token` is the technician's current feed token (none matches once it is revoked)."""
        if not self.feed_token_hash or not isinstance(token, str):
            return False
        return hmac.compare_digest(self.feed_token_hash, token_digest(token))
