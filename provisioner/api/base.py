"""The base of every API handler: request ids, authentication, role checks, JSON bodies, the version a client
read (If-Match) and JSON errors."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Mapping
from typing import Any

import mongoengine as me
import tornado.web

from inventory.booking_locks import ScheduleBusy
from inventory.errors import DuplicateValue, InvalidRecord, StillReferenced, VersionConflict
from inventory.events import Actor
from inventory.references import record_by_id
from provisioner.api.authentication import SESSION_COOKIE, Caller, caller_from_session, caller_from_token
from provisioner.api.fields import Field, FieldProblem
from provisioner.blocking_work import OffLoop
from provisioner.logs import request_id_var
from provisioner.services import Services

log = logging.getLogger("provisioner.api")
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
REASONS = {400: "bad request", 401: "unauthenticated", 403: "forbidden", 404: "not found",
           405: "method not allowed", 409: "conflict", 413: "too large", 415: "unsupported media type",
           422: "invalid", 429: "too many requests", 500: "internal error", 503: "unavailable"}
_VERSION = Field("version", "integer")
#: An idempotency key (Idempotency-Key, a scan batch's batch_key): printable ASCII, no blanks.
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,100}$")


#: Seconds a client is told to wait before trying again a request refused 503 because something was busy.
RETRY_AFTER_SECONDS = 2


class ApiError(tornado.web.HTTPError):
    """An error the caller can fix, answered as JSON with a message and, for bad fields, one line per field."""

    def __init__(self, status: int, message: str, fields: dict[str, str] | None = None,
                 details: dict[str, Any] | None = None):
        super().__init__(status, reason=REASONS.get(status))
        self.message, self.fields = message, fields or {}
        #: More of the answer's body, such as a lifecycle refusal's current state and allowed moves.
        self.details = details or {}


class BaseHandler(OffLoop, tornado.web.RequestHandler):
    """Shared behaviour of the JSON handlers; subclasses set `roles` (None: public, (): any signed-in staff)."""

    roles: tuple[str, ...] | None = ()
    #: Handlers a user who must change their password may still use.
    allowed_before_password_change = False
    route = "api"

    def initialize(self, services: Services) -> None:
        self.services = services
        self.caller: Caller | None = None
        # Set here, not in prepare(): Tornado checks the XSRF token before prepare() runs.
        self.request_id = self._request_id()
        request_id_var.set(self.request_id)

    # -- the request -------------------------------------------------------------------

    def _request_id(self) -> str:
        given = self.request.headers.get("X-Request-ID", "")
        return given if REQUEST_ID_PATTERN.match(given) else uuid.uuid4().hex

    def prepare(self) -> None:
        self.set_header("X-Request-ID", self.request_id)
        self.set_header("Cache-Control", "no-store")
        if self.roles is None:
            return
        self.caller = self._authenticate()
        if self.caller is None:
            raise ApiError(401, "sign in first: send 'Authorization: Bearer <token>' or a session cookie")
        if self.caller.must_change_password and not self.allowed_before_password_change:
            raise ApiError(403, "change your one-time password first: POST /api/v1/me/password")
        if self.roles and not self.caller.may(self.roles):
            raise ApiError(403, f"this needs one of the roles: {', '.join(self.roles)}")

    def _authenticate(self) -> Caller | None:
        header = self.request.headers.get("Authorization")
        if header:
            return caller_from_token(header, self.services.auth_cache)
        max_age = self.services.settings.api.session_hours / 24
        value = self.get_signed_cookie(SESSION_COOKIE, max_age_days=max_age)
        return caller_from_session(value, self.services.auth_cache)

    def check_xsrf_cookie(self) -> None:
        # Token-authenticated calls carry no ambient credential, so cross-site forgery cannot ride them.
        if self.request.headers.get("Authorization"):
            return
        try:
            super().check_xsrf_cookie()
        except tornado.web.HTTPError:
            raise ApiError(403, "send the X-XSRFToken header with the value of the _xsrf cookie, "
                                "or authenticate with an API token") from None

    @property
    def actor(self) -> Actor:
        """Who is acting, for the event log."""
        return Actor(self.caller.username if self.caller else "@anonymous", self.request_id,
                     f"api {self.request.remote_ip or '-'}")

    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object, or a 400 saying why it is not one."""
        kind = self.request.headers.get("Content-Type", "application/json").split(";")[0].strip().lower()
        if kind not in ("application/json", ""):
            raise ApiError(415, f"send JSON with 'Content-Type: application/json', not {kind!r}")
        try:
            body = json.loads(self.request.body or b"{}")
            # json.loads accepts escaped lone surrogates ("\ud800"), which neither the database nor an answer can encode.
            json.dumps(body, ensure_ascii=False).encode("utf-8")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, f"the body is not valid JSON: {exc}") from None
        except UnicodeEncodeError:
            raise ApiError(400, "the body is not valid JSON: it holds a lone surrogate such as \\ud800") from None
        if not isinstance(body, dict):
            raise ApiError(400, "the body must be a JSON object")
        return body

    def idempotency_key(self) -> str | None:
        """The Idempotency-Key header (None without one): a request sent again under it does its work once."""
        key = self.request.headers.get("Idempotency-Key")
        if key is not None and not KEY_PATTERN.match(key):
            raise ApiError(400, "Idempotency-Key must be 1 to 100 printable ASCII characters without blanks")
        return key

    def expected_version(self, body: Mapping[str, Any] | None = None) -> int | None:
        """The version the client read, for a conditional write: from If-Match (400 when it holds none), else from
        `body`'s `version` when a body is given (422 when it is not an integer); None when neither says."""
        header = self.request.headers.get("If-Match")
        if header:
            return if_match_version(header)
        if body is None or body.get("version") is None:
            return None
        try:
            return _VERSION.parse(body["version"])
        except FieldProblem as problem:
            raise ApiError(422, "the version is not valid", {"version": str(problem)}) from None

    def send(self, payload: Any, status: int = 200) -> None:
        """Answer with a JSON document."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str))

    # -- errors ------------------------------------------------------------------------

    def _handle_request_exception(self, exc: BaseException) -> None:
        translated = domain_error(exc)
        if translated is None or self._finished:
            super()._handle_request_exception(exc)
        else:
            self.send_error(translated.status_code, exc_info=(ApiError, translated, exc.__traceback__))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        body: dict[str, Any] = {"status": status_code, "error": REASONS.get(status_code, self._reason.lower())}
        if isinstance(exc, ApiError):
            body["message"] = exc.message
            if exc.fields:
                body["fields"] = exc.fields
            body.update(exc.details)
        elif isinstance(exc, tornado.web.HTTPError) and exc.log_message and status_code < 500:
            body["message"] = exc.log_message % exc.args if exc.args else exc.log_message
        else:
            body["message"] = "the server failed to handle this request; it has been logged"
        body["request_id"] = getattr(self, "request_id", "")
        self.set_header("X-Request-ID", body["request_id"])
        if status_code == 401:
            self.set_header("WWW-Authenticate", 'Bearer realm="provisioner"')
        if status_code == 503 and isinstance(exc, ApiError):  # busy for a moment, not down: say when to come back
            self.set_header("Retry-After", str(RETRY_AFTER_SECONDS))
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(body, ensure_ascii=False))

    def log_exception(self, typ, value, tb) -> None:  # type: ignore[no-untyped-def]
        if isinstance(value, ApiError):
            return
        super().log_exception(typ, value, tb)


def if_match_version(header: str) -> int:
    """The version an If-Match header holds (\"3\", 3 or W/\"3\"), or a 400 saying what is expected."""
    text = header.strip().strip('W/').strip('"')
    # isdigit() alone accepts "²", which int() refuses; the database holds no integer past 64 bits.
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise ApiError(400, "If-Match must hold the record's version, such as \"3\"")
    return int(text)


def record_or_404(document: type, record_id: str, what: str) -> Any:
    """The record of `document` with this id, or a 404 naming `what` ("equipment record") and the id asked for."""
    record = record_by_id(document, record_id)
    if record is None:
        raise ApiError(404, f"no {what} with id {record_id[:40]!r}")
    return record


def domain_error(exc: BaseException) -> ApiError | None:
    """The API answer for an error raised by the domain, or None when it is not one."""
    if isinstance(exc, InvalidRecord):
        return ApiError(422, "some fields are not valid", exc.fields)
    if isinstance(exc, DuplicateValue):
        return ApiError(409, str(exc), {exc.field: str(exc)} if exc.field else None)
    if isinstance(exc, (VersionConflict, StillReferenced)):
        return ApiError(409, str(exc))
    if isinstance(exc, me.DoesNotExist):
        return ApiError(404, "no such record")
    if isinstance(exc, ScheduleBusy):  # another request holds a technician's schedule for longer than the wait
        return ApiError(503, str(exc))
    return None


class NotFoundHandler(BaseHandler):
    """Any path that names nothing: the same JSON 404 for everyone, signed in or not."""

    roles = None

    def prepare(self) -> None:
        super().prepare()
        raise ApiError(404, f"nothing at {self.request.path[:200]}")
