"""API tokens: who sees which, issuing one (its text shown once) and revoking one, shared by the API's
/api/v1/tokens and the staff pages' /staff/tokens."""

from __future__ import annotations

import datetime as dt

from bson import ObjectId
from mongoengine import QuerySet

from inventory.references import record_by_id
from inventory.staff import ApiToken, User
from provisioner.api.authentication import AuthCache, Caller

MAX_TOKEN_DAYS = 3650
MAX_NAME = 80


class TokenRefused(ValueError):
    """A token request that cannot be issued: a `message` and one line per bad field."""

    def __init__(self, message: str, fields: dict[str, str]):
        super().__init__(message)
        self.message, self.fields = message, fields


def tokens_seen_by(caller: Caller) -> QuerySet:
    """The tokens `caller` may list and revoke: their own, or every one for admin."""
    return ApiToken.objects if caller.may(()) else ApiToken.objects(user=ObjectId(caller.user_id))


def issue_token(caller: Caller, name: object, days: object) -> tuple[ApiToken, str]:
    """Issue a token named `name` (1 to 80 characters) for `caller`, expiring after `days` (None: never);
    returns the record and the token's text, which is never stored. TokenRefused names what is wrong."""
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= MAX_NAME:
        raise TokenRefused("name the token", {"name": f"required, 1 to {MAX_NAME} characters"})
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_TOKEN_DAYS):
        raise TokenRefused("the expiry is not valid", {"expires_in_days": f"an integer from 1 to {MAX_TOKEN_DAYS}"})
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days) if days else None
    user = User.objects.get(pk=ObjectId(caller.user_id))
    return ApiToken.issue(user, name.strip(), expires)


def revocable_token(caller: Caller, token_id: str) -> ApiToken | None:
    """The token with this id if `caller` may revoke it (their own, or any for admin), else None."""
    token = record_by_id(ApiToken, token_id)
    if token is None or (str(token.user.pk) != caller.user_id and not caller.may(())):
        return None
    return token


def revoke_token(token: ApiToken, cache: AuthCache) -> None:
    """Stop `token` from working at once, in this process's credential cache too."""
    token.revoke()
    cache.clear()
