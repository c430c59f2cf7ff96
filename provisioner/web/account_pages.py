"""A member of staff's own account: the home page of their roles, their password and their language."""

from __future__ import annotations

from inventory.passwords import MIN_LENGTH
from inventory.staff import LANGUAGES
from provisioner.staff_sessions import PasswordRefused, change_password, start_session
from provisioner.web.navigation import groups_for
from provisioner.web.page_handler import PageHandler


class HomePage(PageHandler):
    """GET: what the signed-in member of staff can do, by role."""

    route = "/staff/"

    def get(self) -> None:
        roles = ", ".join(self.t(f"role.{role}") for role in self.caller.roles)
        self.render_page("home.html", groups=groups_for(self.caller), roles=roles)


class PasswordPage(PageHandler):
    """GET: the password form (first, for a one-time password); POST: change the password."""

    allowed_before_password_change = True
    route = "/staff/password"

    def get(self) -> None:
        self.show_form({})

    def show_form(self, errors: dict[str, str], status: int = 200) -> None:
        self.render_page("password.html", status=status, errors=errors, min_length=MIN_LENGTH)

    def post(self) -> None:
        current = self.get_body_argument("current_password", "")
        new = self.get_body_argument("new_password", "")
        if new != self.get_body_argument("confirm_password", ""):
            self.show_form({"confirm_password": self.t("password.mismatch")}, 422)
            return
        user = self.user  # read by prepare() in this request
        try:
            change_password(user, current, new, self.actor, self.services.auth_cache)
        except PasswordRefused as refused:
            message = (self.t("password.policy", detail=self.t.policy(refused.detail)) if refused.reason == "policy"
                       else self.t(f"password.{refused.reason}"))
            self.show_form({refused.field: message}, 422)
            return
        start_session(self, user, self.services.settings.api.session_hours)
        self.redirect("/staff/?notice=password")


class PreferencesPage(PageHandler):
    """GET: the language form; POST: store the chosen language on the user's record."""

    route = "/staff/preferences"

    def get(self) -> None:
        self.render_page("preferences.html", languages=LANGUAGES, error=None)

    def post(self) -> None:
        language = self.get_body_argument("language", "")
        if language not in LANGUAGES:
            self.render_page("preferences.html", status=422, languages=LANGUAGES, error=self.t("preferences.invalid"))
            return
        self.user.update(self.actor, {"language": language})
        self.redirect("/staff/preferences?notice=language")
