"""Who is calling: API tokens (Authorization: Bearer) and signed session cookies, with a short cache.

The cache keeps the hot path (a read by id) from paying two database reads per request. Entries live
a few seconds, and every change made through this process drops them at once; other processes of a
cluster see revocations within `TTL_SECONDS`.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from bson import ObjectId
from bson.errors import InvalidId

from inventory.staff import TOKEN_PREFIX, ApiToken, User, token_digest

TTL_SECONDS = 5.0
#: Last-use times of tokens are written at most this often, to keep reads free of writes.
LAST_USED_EVERY = dt.timedelta(minutes=1)
SESSION_COOKIE = "session"


@dataclass(frozen=True)
class Caller:
    """The authenticated member of staff behind a request, as the handlers need it."""

    user_id: str
    username: str
    roles: tuple[str, ...]
    must_change_password: bool
    via: str  # "token" or "session"

    def may(self, roles: tuple[str, ...]) -> bool:
        """Whether the caller holds one of `roles` (admin may do everything)."""
        return "admin" in self.roles or any(role in self.roles for role in roles)


class AuthCache:
    """A small time-limited map from credential to caller."""

    def __init__(self, ttl: float = TTL_SECONDS, max_entries: int = 10_000):
        self.ttl, self.max_entries = ttl, max_entries
        self._entries: dict[str, tuple[float, Caller]] = {}

    def get(self, key: str) -> Caller | None:
        hit = self._entries.get(key)
        if hit is None or hit[0] < time.monotonic():
            self._entries.pop(key, None)
            return None
        return hit[1]

    def put(self, key: str, caller: Caller) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self.ttl, caller)

    def clear(self) -> None:
        """Forget everything; called after any change to users or tokens."""
        self._entries.clear()


def _caller(user: User, via: str) -> Caller:
    return Caller(str(user.pk), user.username, tuple(user.roles), bool(user.must_change_password), via)


def caller_from_token(header: str, cache: AuthCache) -> Caller | None:
    """The caller for an `Authorization: Bearer pvt_...` header, or None when it is not valid."""
    scheme, _, text = header.partition(" ")
    text = text.strip()
    if scheme.lower() != "bearer" or not text.startswith(TOKEN_PREFIX) or len(text) > 200:
        return None
    digest = token_digest(text)
    cached = cache.get("t:" + digest)
    if cached is not None:
        return cached
    now = dt.datetime.now(dt.timezone.utc)
    token = ApiToken.objects(digest=digest).first()
    if token is None or not token.usable(now):
        return None
    user = User.objects(pk=token.user.pk, active=True).first()
    if user is None:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
        token.touch()
    caller = _caller(user, "token")
    cache.put("t:" + digest, caller)
    return caller


def session_value(user: User) -> str:
    """What the signed session cookie holds: the user id and their session epoch."""
    return f"{user.pk}:{user.session_epoch}"


def caller_from_session(value: bytes | None, cache: AuthCache) -> Caller | None:
    """The caller for a verified session cookie value, or None when the session has been ended."""
    if not value:
        return None
    text = value.decode("ascii", "replace")
    cached = cache.get("s:" + text)
    if cached is not None:
        return cached
    user_id, _, epoch = text.partition(":")
    try:
        user = User.objects(pk=ObjectId(user_id), active=True).first()
    except (InvalidId, TypeError):
        return None
    if user is None or str(user.session_epoch) != epoch:
        return None
    caller = _caller(user, "session")
    cache.put("s:" + text, caller)
    return caller
