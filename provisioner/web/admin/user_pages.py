"""Creating and editing staff accounts (admin): the same field parsing, password hook, checks and version rule
as the API's users resource (provisioner/record_writes.py over RESOURCES["users"]), run off the event loop
because a password is hashed with scrypt."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId

from inventory.errors import DuplicateValue, InvalidRecord, VersionConflict
from inventory.passwords import MIN_LENGTH, one_time_password
from inventory.staff import LANGUAGES, ROLES, User
from provisioner.api.resources import RESOURCES
from provisioner.record_writes import create_record, parse_values, update_record
from provisioner.web.admin.admin_forms import field_messages
from provisioner.web.navigation import ADMIN_ROLES
from provisioner.web.page_handler import PageError, PageHandler

USERS = RESOURCES["users"]
#: The catalogue key naming each field of a user in a message.
LABELS = {"username": "users.username", "display_name": "users.display_name", "roles": "users.roles",
          "language": "users.language", "password": "users.password"}
#: What a page says after a change sent the browser back to the account (?done=...).
DONE = {"saved": "users.saved", "deactivated": "users.deactivated", "reactivated": "users.reactivated"}


@dataclass
class UserEntries:
    """What the admin typed or chose in a user form, kept to show again when it is refused."""

    username: str = ""
    display_name: str = ""
    roles: list[str] = field(default_factory=list)
    language: str = "fr"

    def details(self) -> dict[str, Any]:
        """The body of an edit (the fields an admin may change here), as the API takes it."""
        return {"display_name": self.display_name, "roles": self.roles, "language": self.language}

    def creation(self, password: str) -> dict[str, Any]:
        """The body of a creation, with its one-time password (to be changed at first sign-in)."""
        return {"username": self.username, **self.details(), "password": password, "must_change_password": True}


class UserPages(PageHandler):
    """What the account pages share: the form's entries, the refusals as messages, the one-time password page."""

    roles = ADMIN_ROLES

    def entries(self, username: str = "") -> UserEntries:
        """The user form as posted (the user name, which an edit does not change, defaults to `username`)."""
        return UserEntries(username=self.get_body_argument("username", username).strip(),
                           display_name=self.get_body_argument("display_name", "").strip(),
                           roles=self.get_body_arguments("roles")[:len(ROLES) * 2],
                           language=self.get_body_argument("language", "fr"))

    def refusals(self, refusal: InvalidRecord | DuplicateValue, entries: UserEntries) -> dict[str, str]:
        """A message per refused field, in the user's language."""
        if isinstance(refusal, DuplicateValue):
            return {"username": self.t("users.duplicate")}
        errors = field_messages(refusal, self.t, LABELS)
        if "roles" in errors and not entries.roles:
            errors["roles"] = self.t("users.no_role")
        return errors

    def show_password(self, account: User, password: str | None, created: bool) -> None:
        """The page that shows a one-time password, once (None: the admin typed it and knows it)."""
        self.render_page("user_password.html", account=account, password=password, created=created)


class UserNewPage(UserPages):
    """GET: the form of a new account; POST: create it with a one-time password, generated or typed."""

    route = "/staff/admin/users/new"

    def get(self) -> None:
        self.show_form(UserEntries(), {}, "generate")

    def show_form(self, entries: UserEntries, errors: dict[str, str], mode: str, status: int = 200) -> None:
        """The new-account form, with what was entered and why it was refused."""
        self.render_page("user_new.html", status=status, entries=entries, errors=errors, mode=mode,
                         all_roles=ROLES, languages=LANGUAGES, min_length=MIN_LENGTH)

    async def post(self) -> None:
        entries = self.entries()
        mode = "typed" if self.get_body_argument("password_mode", "") == "typed" else "generate"
        password = self.get_body_argument("password", "") if mode == "typed" else one_time_password()
        try:
            account = await self.off_loop(self.create, entries.creation(password))
        except (InvalidRecord, DuplicateValue) as refusal:
            self.show_form(entries, self.refusals(refusal, entries), mode, 422)
            return
        self.show_password(account, password if mode == "generate" else None, created=True)

    def create(self, body: dict[str, Any]) -> User:
        """Create the account as POST /api/v1/users does."""
        values, secrets = parse_values(USERS, body, creating=True)
        account, _ = create_record(USERS, values, secrets, self.services, self.actor)
        return account


class UserPage(UserPages):
    """GET: one account, what is stored and the forms to change it. POST (action): save the name, roles and
    language; deactivate or reactivate; reset the password to a one-time one. Each write names the version read."""

    route = "/staff/admin/users/{id}"

    def get(self, user_id: str) -> None:
        account = self.account(user_id)
        entries = UserEntries(account.username, account.display_name or "", list(account.roles), account.language)
        self.show(account, entries, {}, notice=DONE.get(self.get_query_argument("done", "")))

    def show(self, account: User, entries: UserEntries, errors: dict[str, str], status: int = 200,
             alert: str | None = None, notice: str | None = None) -> None:
        """The account page: what is stored, the forms (with `entries`), and an alert or a notice."""
        self.render_page("user_edit.html", status=status, account=account, entries=entries, errors=errors,
                         alert=alert, done=notice, all_roles=ROLES, languages=LANGUAGES)

    def account(self, user_id: str) -> User:
        """The account with this id, or the 404 page."""
        account = User.objects(pk=ObjectId(user_id)).first()
        if account is None:
            raise PageError(404, "error.404")
        return account

    def read_version(self) -> int:
        """The version the form was read at, or the 400 page."""
        text = self.get_body_argument("version", "")
        if not (text.isascii() and text.isdigit()) or len(text) > 18:
            raise PageError(400, "error.400")
        return int(text)

    async def post(self, user_id: str) -> None:
        account, version = self.account(user_id), self.read_version()
        action = self.get_body_argument("action", "")
        entries = self.entries(account.username)
        if action == "save":
            body, done = entries.details(), "saved"
        elif action in ("deactivate", "reactivate"):
            body, done = {"active": action == "reactivate"}, f"{action}d"
        elif action == "reset":
            body, done = {"password": one_time_password(), "must_change_password": True}, "reset"
        else:
            raise PageError(400, "error.400")
        try:
            await self.off_loop(self.change, account, body, version)
        except VersionConflict as conflict:
            if conflict.current_version is None:
                raise PageError(404, "error.404") from None
            fresh = self.account(user_id)
            # An edit keeps what the admin typed, on top of the version now stored; an action is simply not done.
            kept = entries if action == "save" else UserEntries(fresh.username, fresh.display_name or "",
                                                                list(fresh.roles), fresh.language)
            self.show(fresh, kept, {}, 409, "users.conflict" if action == "save" else "users.conflict_action")
            return
        except (InvalidRecord, DuplicateValue) as refusal:
            self.show(self.account(user_id), entries, self.refusals(refusal, entries), 422, "users.not_saved")
            return
        if action == "reset":
            self.show_password(account, body["password"], created=False)
            return
        self.redirect(f"/staff/admin/users/{user_id}?done={done}")

    def change(self, account: User, body: dict[str, Any], version: int) -> User:
        """Change the account as PATCH /api/v1/users/{id} does, at the version read."""
        values, secrets = parse_values(USERS, body, creating=False)
        return update_record(USERS, account, values, secrets, version, self.services, self.actor)
