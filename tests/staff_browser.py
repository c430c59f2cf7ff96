"""Helpers of the staff pages' browser tests (tests/web/): what they need installed, the test server's staff and
fleet, signing in through the form and keeping screenshots."""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from server_process import ServerProcess

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "web" / "screenshots"
#: The password of every member of staff the tests create.
PASSWORD = "correct horse battery 42"
SHIP = {"carrier": "Colissimo", "tracking_number": "6A0001", "accessories": ["cable"]}


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: apt-get install -y chromium"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is missing: pip install -e '.[test]'"
    return None


def ago(**delta: float) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(**delta)).isoformat(timespec="seconds")


class Staff:
    """The running server, an admin token, and what was inserted for the tests."""

    def __init__(self, server: ServerProcess):
        self.server, self.token = server, server.token()
        self.items: dict[str, str] = {}

    def api(self, method: str, path: str, body: Any = None) -> Any:
        status, _, answer = self.server.request(method, path, body, token=self.token)
        assert status in (200, 201), (method, path, status, answer)
        return answer

    def user(self, username: str, *roles: str, one_time: bool = False) -> str:
        self.api("POST", "/api/v1/users", {"username": username, "roles": list(roles), "password": PASSWORD,
                                            "display_name": username.title(), "must_change_password": one_time})
        return username

    def move(self, serial: str, name: str, body: dict[str, Any] | None = None) -> None:
        self.api("POST", f"/api/v1/equipment/{self.items[serial]}/transitions/{name}", body or {})

    def fleet(self) -> None:
        """Acme's site in Metz: WH-1 and WH-2 in stock, WH-3 staged, WH-4 due back since February, WH-5 failed
        80 hours ago (its 72-hour replacement breached); Acme holds lent items without any insurance."""
        customer = self.api("POST", "/api/v1/customers", {"reference": "ACME-01", "name": "Acme"})["id"]
        site = self.api("POST", "/api/v1/sites", {"customer": customer, "name": "Entrepôt de Metz",
                                                  "address": "3 rue des Messageries", "postcode": "57000",
                                                  "city": "Metz"})["id"]
        for number in range(1, 6):
            item = self.api("POST", "/api/v1/equipment", {"serial": f"WH-{number}", "mac": f"805ec1{number:06x}",
                                                          "vendor": "yealink", "model": "T46U", "ownership": "lent"})
            self.items[f"WH-{number}"] = item["id"]
        for serial in ("WH-3", "WH-4", "WH-5"):
            self.move(serial, "stage", {"site": site})
        for serial in ("WH-4", "WH-5"):
            self.move(serial, "ship", SHIP)
        self.move("WH-4", "deliver", {"proof": "signed", "delivered_at": ago(days=400)})
        self.move("WH-4", "end_contract", {"contract_end": "2026-01-30"})
        self.move("WH-5", "deliver", {"proof": "signed", "delivered_at": ago(days=100)})
        self.move("WH-5", "note_failure", {"description": "no tone", "noted_at": ago(hours=80)})


def screenshot(page: Any, name: str) -> None:
    """Keep a picture of the page for review, in tests/web/screenshots/."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, username: str, password: str = PASSWORD) -> Any:
    """Fill and send the sign-in form; returns the answer to the form."""
    page.goto("/staff/login")
    page.get_by_label("Nom d'utilisateur").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Se connecter").click()
    return navigation.value


@contextmanager
def staff_server(folder: Path) -> Iterator[Staff]:
    """A server of the browser tests on `folder`, with its fleet inserted; stopped on leaving."""
    server = ServerProcess(folder).start()
    try:
        staff = Staff(server)
        staff.fleet()
        yield staff
    finally:
        server.stop()
