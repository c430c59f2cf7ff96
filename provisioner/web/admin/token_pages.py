"""A member of staff's API tokens (admin: everyone's), with the API's own rules (provisioner/api_tokens.py):
listed page by page without their secret, created with the secret shown once, revoked at once."""

from __future__ import annotations

import datetime as dt

from inventory.counts import count
from inventory.staff import ApiToken, User
from provisioner import api_tokens
from provisioner.web.page_handler import PER_PAGE, PageHandler, page_count

#: What the page says after a change sent the browser back to it (?done=...).
DONE = {"revoked": "tokens.revoked"}


def token_state(token: ApiToken, now: dt.datetime) -> str:
    """active, revoked or expired: the catalogue suffix of the token's state."""
    if token.revoked_at is not None:
        return "revoked"
    return "active" if token.usable(now) else "expired"


def days_asked(text: str) -> object:
    """The expiry typed in the form: None when empty, an integer when it is one; anything else is passed on as
    typed, for api_tokens.issue_token to refuse like the API does."""
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else text


class TokensPage(PageHandler):
    """GET: the caller's tokens (everyone's for admin), ?page=. POST action=create: issue one and show it once;
    action=revoke (token=<id>): revoke one the caller may revoke."""

    route = "/staff/tokens"

    def get(self) -> None:
        page = self.page_number()
        self.show(page, notice=DONE.get(self.get_query_argument("done", "")))

    def show(self, page: int, status: int = 200, notice: str | None = None,
             created: tuple[ApiToken, str] | None = None, errors: dict[str, str] | None = None,
             entries: dict[str, str] | None = None) -> None:
        """The list page, with the token just created (its secret shown this once) or the form's refusals."""
        query = api_tokens.tokens_seen_by(self.caller)
        total = count(ApiToken._get_collection(), query._query)  # NX-27017 counts by reading (docs/storage.rst)
        tokens = list(query.order_by("-created_at").skip((page - 1) * PER_PAGE).limit(PER_PAGE))
        everyone = self.caller.may(())
        owners = ({u.pk: u.username for u in User.objects(pk__in=list({t.user.pk for t in tokens})).only("username")}
                  if everyone else {})
        now = dt.datetime.now(dt.timezone.utc)
        self.render_page("tokens.html", status=status, tokens=tokens, total=total, page=page,
                         pages=page_count(total), everyone=everyone, owners=owners, notice_key=notice,
                         state=lambda token: token_state(token, now), created=created, errors=errors or {},
                         entries=entries or {"name": "", "days": ""}, max_name=api_tokens.MAX_NAME,
                         max_days=api_tokens.MAX_TOKEN_DAYS)

    async def post(self) -> None:
        action = self.get_body_argument("action", "")
        if action == "create":
            name, days = self.get_body_argument("name", ""), self.get_body_argument("expires_in_days", "")
            try:
                created = await self.off_loop(api_tokens.issue_token, self.caller, name, days_asked(days))
            except api_tokens.TokenRefused as refused:
                errors = {field: self.t("tokens.bad_name", max=api_tokens.MAX_NAME) if field == "name"
                          else self.t("tokens.bad_days", max=api_tokens.MAX_TOKEN_DAYS) for field in refused.fields}
                self.show(1, 422, errors=errors, entries={"name": name, "days": days})
                return
            self.show(1, created=created)
            return
        if action == "revoke":
            token = api_tokens.revocable_token(self.caller, self.get_body_argument("token", ""))
            if token is None:
                self.show(1, 404, errors={"revoke": self.t("tokens.not_found")})
                return
            await self.off_loop(api_tokens.revoke_token, token, self.services.auth_cache)
            self.redirect("/staff/tokens?done=revoked")
            return
        self.show(1, 400, errors={"revoke": self.t("error.400")})
