"""Staff accounts, their roles and their API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets as _random

import mongoengine as me

from inventory.passwords import hash_password, verify_password
from inventory.references import Reference
from inventory.versioned import VersionedDocument

ROLES = ("admin", "support", "warehouse", "technician")
LANGUAGES = ("fr", "en")
TOKEN_PREFIX = "pvt_"


class User(VersionedDocument):
    """A member of staff who signs in to the pages or the API; the password is kept as a scrypt hash."""

    username = me.StringField(required=True, regex=r"^[a-z0-9][a-z0-9._-]{1,63}$")
    display_name = me.StringField(max_length=120)
    email = me.EmailField(max_length=200)
    roles = me.ListField(me.StringField(choices=ROLES), required=True, max_length=len(ROLES))
    language = me.StringField(choices=LANGUAGES, default="fr")
    active = me.BooleanField(default=True)
    must_change_password = me.BooleanField(default=False)
    password_hash = me.StringField(required=True)
    #: Bumped on logout-everywhere and password change: older session cookies stop working.
    session_epoch = me.IntField(default=0)

    meta = {"collection": "users", "indexes": [{"fields": ["username"], "unique": True}]}
    unique_fields = ("username",)
    formats = {"username": "2 to 64 lower-case letters, digits, dots, dashes or underscores"}

    def normalize(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        if self.username:
            self.username = self.username.strip().lower()
        roles = list(dict.fromkeys(self.roles or []))
        unknown = [role for role in roles if role not in ROLES]
        if unknown:
            problems["roles"] = f"unknown role(s) {', '.join(map(str, unknown))}: expected {', '.join(ROLES)}"
        elif not roles:
            problems["roles"] = f"at least one role is needed, among {', '.join(ROLES)}"
        self.roles = roles
        return problems

    def set_password(self, password: str) -> None:
        """Store the scrypt hash of a new password (the caller checks the policy first)."""
        self.password_hash = hash_password(password)

    def password_matches(self, password: str) -> bool:
        """Whether `password` is this user's password."""
        return verify_password(password, self.password_hash)

    def has_role(self, *roles: str) -> bool:
        """Whether the user holds any of `roles`; admin holds them all."""
        return "admin" in self.roles or any(role in self.roles for role in roles)


def token_digest(token: str) -> str:
    """The stored form of a secret token (an API token, a calendar feed token): its SHA-256, so a stolen
    database holds no usable token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ApiToken(me.Document):
    """A bearer token for scripts and monitoring; only its digest is kept, the token is shown once."""

    user = Reference(User, required=True)
    name = me.StringField(required=True, min_length=1, max_length=80)
    digest = me.StringField(required=True)
    hint = me.StringField(required=True)
    created_at = me.DateTimeField(required=True)
    expires_at = me.DateTimeField()
    last_used_at = me.DateTimeField()
    revoked_at = me.DateTimeField()

    # Listed newest first, everyone's (admin) or one user's: both orders have their index.
    meta = {"collection": "api_tokens",
            "indexes": [{"fields": ["digest"], "unique": True}, "user", ("user", "-created_at"), "-created_at"]}

    @classmethod
    def issue(cls, user: User, name: str, expires_at: dt.datetime | None = None) -> tuple["ApiToken", str]:
        """Create a token for `user`; returns the record and the token text, which is never stored."""
        text = TOKEN_PREFIX + _random.token_urlsafe(32)
        record = cls(
            user=user, name=name, digest=token_digest(text), hint=text[: len(TOKEN_PREFIX) + 4],
            created_at=dt.datetime.now(dt.timezone.utc), expires_at=expires_at,
        )
        record.save(force_insert=True)
        return record, text

    def touch(self) -> None:
        """Record that the token was just used."""
        # $currentDate, not $set: NX-27017 stores a datetime given to $set as a string.
        self._get_collection().update_one({"_id": self.pk}, {"$currentDate": {"last_used_at": True}})

    def revoke(self) -> None:
        """Stop the token from working, at once."""
        self._get_collection().update_one({"_id": self.pk, "revoked_at": None}, {"$currentDate": {"revoked_at": True}})

    def usable(self, now: dt.datetime) -> bool:
        """Whether the token may still authenticate a request."""
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or _aware(self.expires_at) > now


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
