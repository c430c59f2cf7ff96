"""Fixtures for the HTTP front end in-process: the real application over the real embedded database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
import tornado.httpclient

from inventory.events import Actor
from inventory.passwords import hash_password
from inventory.secret_box import SecretBox
from inventory.staff import ApiToken, User
from provisioner.app import make_app
from provisioner.services import Services
from provisioner.settings import load_settings
from provisioner.storage import Storage, ensure_indexes

STAFF_PASSWORD = "staff password 1234"


@pytest.fixture
def services(mongo_db, tmp_path) -> Services:
    """Services over a fresh database, with a fresh secret key."""
    ensure_indexes()
    settings = load_settings(None, {"PROVISIONER_DATA_DIR": str(tmp_path / "var")}, {})
    box = SecretBox([SecretBox.generate_key()])
    return Services(settings=settings, box=box, cookie_secret=box.derive("test cookies"))


@pytest.fixture
def app(services):
    """The application under test (pytest-tornado serves it on a free port)."""
    return make_app(services)


@pytest.fixture
def staff(services) -> Callable[..., str]:
    """Creates a member of staff with the given roles and returns an API token of theirs."""

    def make(*roles: str, username: str | None = None) -> str:
        name = username or "-".join(roles or ("nobody",)) + f"-{User.objects.count()}"
        user = User(username=name, roles=list(roles), password_hash=hash_password(STAFF_PASSWORD))
        user.insert(Actor.system("tests"))
        return ApiToken.issue(user, "tests")[1]

    return make


@dataclass
class Answer:
    """An HTTP answer, with its JSON body parsed."""

    status: int
    headers: Any
    body: Any


@pytest.fixture
def call(http_client, base_url) -> Callable[..., Any]:
    """An async function making one JSON request: await call(method, path, body=None, token=None, headers=None)."""

    async def request(method: str, path: str, body: Any = None, token: str | None = None,
                      headers: dict[str, str] | None = None, raw: bytes | None = None) -> Answer:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        if payload is None and method in ("POST", "PATCH", "PUT"):
            payload = b""
        response = await http_client.fetch(base_url + path, method=method, body=payload, headers=all_headers,
                                           raise_error=False, allow_nonstandard_methods=True)
        text = response.body.decode() if response.body else ""
        return Answer(response.code, response.headers, json.loads(text) if text.startswith(("{", "[")) else text)

    return request


@pytest.fixture
def admin(staff) -> str:
    """An admin's API token."""
    return staff("admin", username="boss")


def pytest_configure(config: pytest.Config) -> None:
    tornado.httpclient.AsyncHTTPClient.configure(None, max_body_size=10 * 1024 * 1024)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory whose embedded database this test runs, as a server would: the commands under test use
    it, and the test reads it."""
    folder = tmp_path / "var"
    storage = Storage(load_settings(None, {}, {"data_dir": str(folder)}))
    storage.open()
    try:
        yield folder
    finally:
        storage.close()
