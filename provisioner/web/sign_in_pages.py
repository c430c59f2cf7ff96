"""Signing in and out of the staff pages, with the same rules and session cookie as the API."""

from __future__ import annotations

from provisioner.staff_sessions import check_sign_in, end_session, start_session
from provisioner.web.page_handler import PageHandler


class LoginPage(PageHandler):
    """GET: the sign-in form; POST: check the user name and password, then open the session."""

    roles = None
    route = "/staff/login"

    def get(self) -> None:
        if self.caller is not None:
            self.redirect("/staff/")
            return
        self.render_page("login.html", username="", error=None)

    async def post(self) -> None:
        username = self.get_body_argument("username", "").strip()
        password = self.get_body_argument("password", "")
        if not username or not password:
            self.render_page("login.html", status=422, username=username, error=self.t("login.missing"))
            return
        user = await check_sign_in(username, password)
        if user is None:
            self.render_page("login.html", status=401, username=username, error=self.t("login.wrong"))
            return
        start_session(self, user, self.services.settings.api.session_hours)
        self.redirect("/staff/password" if user.must_change_password else "/staff/")


class LogoutPage(PageHandler):
    """POST: end this browser's session and go back to the sign-in form."""

    allowed_before_password_change = True
    route = "/staff/logout"

    def post(self) -> None:
        end_session(self)
        self.redirect("/staff/login?notice=signed_out")
