"""Signing in and out, the caller's own account and password, and API tokens."""

from __future__ import annotations

from bson import ObjectId

from inventory.staff import ApiToken, User
from provisioner.api.base import ApiError, BaseHandler
from provisioner.api.fields import Field
from provisioner.api_tokens import TokenRefused, issue_token, revocable_token, revoke_token, tokens_seen_by
from provisioner.staff_sessions import PasswordRefused, change_password, check_sign_in, end_session, start_session

#: The API's message and field line for each reason a password change is refused.
API_REFUSALS = {
    "wrong_current": lambda r: ("the current password is wrong", {"current_password": "does not match"}),
    "missing": lambda r: ("send the new password", {"new_password": "required"}),
    "policy": lambda r: ("the new password is refused", {"new_password": r.detail}),
    "same": lambda r: ("the new password is refused", {"new_password": "must differ from the current one"}),
}


def me_json(user: User) -> dict:
    """What a member of staff sees of their own account."""
    return {"id": str(user.pk), "username": user.username, "display_name": user.display_name or "",
            "roles": list(user.roles), "language": user.language, "must_change_password": user.must_change_password}


class SessionHandler(BaseHandler):
    """POST signs in with a user name and password (sets the session cookie); DELETE signs out."""

    roles = None
    route = "/api/v1/session"

    def check_xsrf_cookie(self) -> None:
        # Signing in has no session to forge yet; the cookie it sets is SameSite=Strict.
        if self.request.method != "POST":
            super().check_xsrf_cookie()

    async def post(self) -> None:
        body = self.json_body()
        username, password = body.get("username"), body.get("password")
        if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
            raise ApiError(422, "send a username and a password", {"username": "required", "password": "required"})
        user = await check_sign_in(username, password)
        if user is None:
            raise ApiError(401, "wrong user name or password")
        start_session(self, user, self.services.settings.api.session_hours)
        self.send(me_json(user))

    def delete(self) -> None:
        end_session(self)
        self.set_status(204)
        self.finish()


class MeHandler(BaseHandler):
    """GET: the signed-in member of staff."""

    allowed_before_password_change = True
    route = "/api/v1/me"

    def get(self) -> None:
        self.send(me_json(User.objects.get(pk=ObjectId(self.caller.user_id))))


class PasswordHandler(BaseHandler):
    """POST: change one's own password (the current one is required); other sessions end."""

    allowed_before_password_change = True
    route = "/api/v1/me/password"

    def post(self) -> None:
        body = self.json_body()
        current, new = body.get("current_password"), body.get("new_password")
        user = User.objects.get(pk=ObjectId(self.caller.user_id))
        try:
            change_password(user, current, new, self.actor, self.services.auth_cache)
        except PasswordRefused as refused:
            raise ApiError(422, *API_REFUSALS[refused.reason](refused)) from None
        if self.caller.via == "session":
            start_session(self, user, self.services.settings.api.session_hours)
        self.send(me_json(user))


def token_json(token: ApiToken) -> dict:
    """A token as listed: never the token itself, only a hint of its first characters."""
    render = Field("moment", "datetime").render
    return {"id": str(token.pk), "name": token.name, "hint": token.hint, "user": str(token.user.pk),
            "created_at": render(token.created_at), "expires_at": render(token.expires_at),
            "last_used_at": render(token.last_used_at), "revoked": token.revoked_at is not None}


class TokensHandler(BaseHandler):
    """GET lists the caller's tokens (all tokens for admin); POST issues one, shown once."""

    route = "/api/v1/tokens"

    def get(self) -> None:
        items = [token_json(t) for t in tokens_seen_by(self.caller).order_by("-created_at").limit(1000)]
        self.send({"items": items, "total": len(items)})

    def post(self) -> None:
        body = self.json_body()
        try:
            record, text = issue_token(self.caller, body.get("name"), body.get("expires_in_days"))
        except TokenRefused as refused:
            raise ApiError(422, refused.message, refused.fields) from None
        self.set_header("Location", f"/api/v1/tokens/{record.pk}")
        self.send({**token_json(record), "token": text}, status=201)


class TokenHandler(BaseHandler):
    """DELETE revokes a token at once (one's own, or any for admin)."""

    route = "/api/v1/tokens/{id}"

    def delete(self, token_id: str) -> None:
        token = revocable_token(self.caller, token_id)
        if token is None:
            raise ApiError(404, f"no token with id {token_id[:40]!r}")
        revoke_token(token, self.services.auth_cache)
        self.set_status(204)
        self.finish()
