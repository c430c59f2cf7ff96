"""The rules of a staff session, shared by the API and the staff pages: signing in, the session cookie,
signing out and changing one's password."""

from __future__ import annotations

import asyncio
import time

import tornado.web

from inventory.events import Actor
from inventory.passwords import check_password_policy, hash_password
from inventory.staff import User
from provisioner.api.authentication import SESSION_COOKIE, AuthCache, session_value

#: A failed sign-in costs at least this long, so passwords cannot be guessed quickly from one connection.
FAILED_LOGIN_DELAY = 0.5


async def check_sign_in(username: str, password: str) -> User | None:
    """The active user with this user name and password, or None (after the same delay whatever was wrong)."""
    started = time.monotonic()
    user = User.objects(username=username.strip().lower(), active=True).first()
    if user is not None and user.password_matches(password):
        return user
    # Same wait for unknown users and wrong passwords: nothing tells them apart.
    remaining = FAILED_LOGIN_DELAY - (time.monotonic() - started)
    if remaining > 0:
        await asyncio.sleep(remaining)
    return None


def start_session(handler: tornado.web.RequestHandler, user: User, session_hours: float) -> None:
    """Set the signed session cookie (HttpOnly, SameSite=Strict, Secure over HTTPS) and the _xsrf cookie."""
    handler.set_signed_cookie(
        SESSION_COOKIE, session_value(user), expires_days=session_hours / 24, httponly=True,
        secure=handler.request.protocol == "https", samesite="Strict", path="/",
    )
    _ = handler.xsrf_token  # sets the _xsrf cookie for the pages and API calls that follow


def end_session(handler: tornado.web.RequestHandler) -> None:
    """Drop the session cookie of this browser."""
    handler.clear_cookie(SESSION_COOKIE, path="/")


class PasswordRefused(ValueError):
    """Why a password change was refused: `field` (current_password or new_password), a `reason` code
    (wrong_current, missing, policy, same) and, for the policy, the rule broken in `detail`."""

    def __init__(self, field: str, reason: str, detail: str = ""):
        super().__init__(detail or reason)
        self.field, self.reason, self.detail = field, reason, detail


def change_password(user: User, current: object, new: object, actor: Actor, cache: AuthCache) -> None:
    """Check the current password and the policy, store the new one and end the user's other sessions."""
    if not isinstance(current, str) or not user.password_matches(current):
        raise PasswordRefused("current_password", "wrong_current")
    if not isinstance(new, str):
        raise PasswordRefused("new_password", "missing")
    try:
        check_password_policy(new)
    except ValueError as exc:
        raise PasswordRefused("new_password", "policy", str(exc)) from None
    if new == current:
        raise PasswordRefused("new_password", "same")
    user.update(actor, {"password_hash": hash_password(new), "must_change_password": False,
                        "session_epoch": user.session_epoch + 1})
    cache.clear()
