"""The base of every staff page: the session, the role check, the language, rendering and the error pages."""

from __future__ import annotations

import logging
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import tornado.web
from bson import ObjectId
from markupsafe import Markup

from inventory.equipment import EQUIPMENT_STATES
from inventory.events import Actor
from inventory.staff import User
from provisioner.api.authentication import SESSION_COOKIE, Caller, caller_from_session
from provisioner.blocking_work import OffLoop
from provisioner.logs import request_id_var
from provisioner.services import Services
from provisioner.web.messages import DEFAULT_LANGUAGE, Translator
from provisioner.web.navigation import groups_for
from provisioner.web.refusals import RefusalWords
from provisioner.web.rendering import ENVIRONMENT, shown_date, shown_time

log = logging.getLogger("provisioner.web")
#: Pages load nothing from elsewhere: scripts, styles and images come from this server only.
CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"

#: What a page says after a form sent the browser to it (?notice=...): the catalogue key of each notice.
NOTICES = {"password": "password.done", "language": "preferences.done", "signed_out": "logout.done"}


class PageError(tornado.web.HTTPError):
    """A refusal shown as a page: the status and the catalogue key of its message, with the key's values."""

    def __init__(self, status: int, key: str, **values: Any):
        super().__init__(status)
        self.key, self.values = key, values


#: Rows a list page shows, and the highest page number it takes.
PER_PAGE = 50
MAX_PAGE = 1_000_000


def asked_page(text: str) -> int:
    """The page number of ?page= (from 1), or the 400 page for anything else."""
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PAGE:
        raise PageError(400, "error.400")
    return int(text)


def page_count(total: int, per_page: int = PER_PAGE) -> int:
    """How many pages `total` rows fill (at least one, empty)."""
    return max(1, -(-total // per_page))


class PageHandler(OffLoop, tornado.web.RequestHandler):
    """Shared behaviour of the pages; subclasses set `roles` (None: public, (): any signed-in staff)."""

    roles: tuple[str, ...] | None = ()
    #: Pages a user who must change their one-time password may still open.
    allowed_before_password_change = False
    route = "staff"

    def initialize(self, services: Services) -> None:
        self.services = services
        self.caller: Caller | None = None
        self.user: User | None = None
        self.request_id = uuid.uuid4().hex  # set here: Tornado checks the XSRF token before prepare() runs
        request_id_var.set(self.request_id)

    def prepare(self) -> None:
        self.set_header("X-Request-ID", self.request_id)
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "same-origin")
        self.identify()
        if self.roles is None:
            return
        if self.caller is None:
            self.redirect("/staff/login")
            return
        if self.caller.must_change_password and not self.allowed_before_password_change:
            self.redirect("/staff/password")
            return
        if self.roles and not self.caller.may(self.roles):
            raise PageError(403, "error.403", roles=self.role_names(self.roles))

    def identify(self) -> None:
        """Find the signed-in member of staff, if any, from the session cookie."""
        max_age = self.services.settings.api.session_hours / 24
        self.caller = caller_from_session(self.get_signed_cookie(SESSION_COOKIE, max_age_days=max_age),
                                          self.services.auth_cache)
        if self.caller is not None:
            self.user = User.objects(pk=ObjectId(self.caller.user_id)).first()

    # -- what the templates need ---------------------------------------------------------

    @property
    def t(self) -> Translator:
        return Translator(self.user.language if self.user else DEFAULT_LANGUAGE)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.services.settings.calendar.timezone)

    @property
    def actor(self) -> Actor:
        """Who is acting, for the event log."""
        return Actor(self.caller.username if self.caller else "@anonymous", self.request_id,
                     f"staff pages {self.request.remote_ip or '-'}")

    def money(self, cents: int) -> str:
        """An amount in euros, written the language's way."""
        sign = "-" if cents < 0 else ""
        cents = abs(cents)
        return sign + self.t("money", euros=f"{cents // 100:,}".replace(",", "\u202f"), cents=f"{cents % 100:02d}")

    def state_name(self, state: Any) -> str:
        """An equipment state in the user's language (any other value as it is)."""
        return self.t(f"state.{state}") if state in EQUIPMENT_STATES else str(state or "")

    def refusal_words(self, subject: str) -> RefusalWords:
        """How this page says the rules' refusals about `subject` ("equipment", "ticket", "resync", "appointment",
        "quarantine")."""
        return RefusalWords(self.t, subject, self.zone)

    def page_number(self) -> int:
        """?page= (1 by default); the 400 page for anything but a page number."""
        return asked_page(self.get_query_argument("page", "1"))

    def role_names(self, roles: tuple[str, ...]) -> str:
        """The roles that may open a page, named in the user's language (admin may open every page)."""
        return ", ".join(self.t(f"role.{role}") for role in dict.fromkeys((*roles, "admin")))

    def render_page(self, template: str, status: int = 200, **values: Any) -> None:
        """Answer with `template` rendered in the user's language, with the navigation of their roles."""
        t = self.t
        page = ENVIRONMENT.get_template(template).render(
            t=t, lang=t.language, caller=self.caller, user=self.user, path=self.request.path,
            nav=groups_for(self.caller) if self.caller and not self.caller.must_change_password else [],
            xsrf=Markup(self.xsrf_form_html()), date=lambda v: shown_date(v, t),
            moment=lambda v: shown_time(v, t, self.zone),
            notice=NOTICES.get(self.get_query_argument("notice", "")), **values)
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(page)

    # -- errors ------------------------------------------------------------------------------

    def check_xsrf_cookie(self) -> None:
        try:
            super().check_xsrf_cookie()
        except tornado.web.HTTPError:
            raise PageError(403, "error.xsrf") from None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if self.caller is None:
            try:  # the XSRF check runs before prepare(): find the user for their language
                self.identify()
            except Exception:  # noqa: BLE001 - an error page must not fail for want of the user
                self.caller = self.user = None
        if isinstance(exc, PageError):
            key, values = exc.key, exc.values
        elif status_code == 403:
            key, values = "error.403", {"roles": self.role_names(self.roles or ())}
        else:
            key, values = f"error.{status_code}" if status_code in (400, 404) else "error.500", {}
        self.set_header("X-Request-ID", self.request_id)
        self.render_page("error.html", status=status_code, status_code=status_code,
                         message=self.t(key, **values), request_id=self.request_id)

    def log_exception(self, typ, value, tb) -> None:  # type: ignore[no-untyped-def]
        if isinstance(value, PageError):
            return
        super().log_exception(typ, value, tb)


class NotFoundPage(PageHandler):
    """Any path under /staff/ that names no page: a 404 page, signed in or not."""

    roles = None

    def prepare(self) -> None:
        super().prepare()
        raise PageError(404, "error.404")
