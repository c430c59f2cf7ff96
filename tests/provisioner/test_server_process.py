"""`provisioner serve` as a real process: start-up, logs, the first administrator, restarts, side-by-side
instances, the demo fleet, and the commands that work on a running server's data directory."""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import json
import re
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import tornado.web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from server_process import ADMIN_PASSWORD, ServerProcess, free_port, nx_running, wait_until

from inventory.catalogue import VENDORS
from provisioner.app import routes
from provisioner.provisioning.firmware_files import FirmwareFileHandler

pytestmark = pytest.mark.slow

STATE_FILE = Path("var/run/nx-27017.json")
NX_LOG = Path("var/log/nx-27017.log")
#: Generous bound; the target is 3 s on a developer's machine.
MAX_READY_SECONDS = 10.0
COMMAND_TIMEOUT = 60.0
NEW_PASSWORD = "a brand new admin password"


# --- helpers -----------------------------------------------------------------------------------


class Browser:
    """A client that signs in with a session cookie and sends the _xsrf cookie back as X-XSRFToken."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def request(self, method: str, path: str, body: Any = None, xsrf: bool = True) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        token = self.cookie("_xsrf")
        if xsrf and token:
            request.add_header("X-XSRFToken", token)
        try:
            with self.opener.open(request, timeout=10) as answer:
                status, raw = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        text = raw.decode("utf-8", "replace")
        try:
            return status, json.loads(text) if text else None
        except json.JSONDecodeError:
            return status, text

    def sign_in(self, password: str, username: str = "admin") -> tuple[int, Any]:
        return self.request("POST", "/api/v1/session", {"username": username, "password": password})


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every log line that is a JSON object."""
    entries = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries



def nx_processes_on(data_dir: Path) -> list[int]:
    """Pids of the live NX-27017 processes whose files are under `data_dir`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(b"nx_27017" in part for part in cmdline) and str(data_dir).encode() in cmdline:
                found.append(int(entry.name))
    return found



def run_command(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m provisioner ARGS`, bounded in time."""
    return subprocess.run([sys.executable, "-m", "provisioner", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=COMMAND_TIMEOUT)


def request_id(headers: dict[str, str]) -> str:
    """The X-Request-ID answer header (Tornado spells it X-Request-Id)."""
    return next(value for name, value in headers.items() if name.lower() == "x-request-id")


def total(server: ServerProcess, token: str, path: str) -> int:
    status, _, body = server.request("GET", path, token=token)
    assert status == 200, body
    return body["total"]


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                   .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


# --- start-up and logs -------------------------------------------------------------------------


def test_starts_without_a_configuration_file_and_logs_json_lines(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    https_port = free_port()
    # No file anywhere: HTTPS comes from variables, so there are two listeners to announce.
    server = ServerProcess(tmp_path / "srv", env={
        "PROVISIONER_CONFIG": "", "PROVISIONER_LOGGING_FORMAT": "json",
        "PROVISIONER_HTTPS_ADDRESS": "127.0.0.1", "PROVISIONER_HTTPS_PORT": str(https_port),
        "PROVISIONER_HTTPS_CERTIFICATE": str(cert), "PROVISIONER_HTTPS_PRIVATE_KEY": str(key)})
    try:
        server.start()
        print(f"\nstart-up: healthz answered 200 {server.ready_seconds:.2f} s after the process started")
        assert server.ready_seconds is not None and server.ready_seconds < MAX_READY_SECONDS

        status, headers, body = server.request("GET", "/healthz", headers={"X-Request-ID": "trace-4711"})
        assert (status, body["database"], request_id(headers)) == (200, "ok", "trace-4711")
        status, headers, _ = server.request("GET", "/api/v1/customers")
        assert status == 401
        generated_id = request_id(headers)
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        with urllib.request.urlopen(f"https://127.0.0.1:{https_port}/healthz", context=context, timeout=10) as answer:
            assert answer.status == 200
        assert server.stop() == 0
    finally:
        server.kill()

    text = server.log()
    lines = [line for line in text.splitlines() if line.strip()]
    entries = json_lines(text)
    assert len(entries) == len(lines), [line for line in lines if not line.startswith("{")]
    messages = [entry["message"] for entry in entries]
    assert all({"time", "level", "logger", "message", "request_id"} <= entry.keys() for entry in entries)

    listening = [m for m in messages if m.startswith("listening:")]
    assert listening == [f"listening: http on 127.0.0.1:{server.port}", f"listening: https on 127.0.0.1:{https_port}",
                         f"listening: tftp on 127.0.0.1:{server.tftp_port}"]
    ready = [m for m in messages if m.startswith("ready in")]
    assert len(ready) == 1 and f"(pid {server.process.pid})" in ready[0]
    assert any("embedded NX-27017" in m for m in messages if m.startswith("storage:"))
    assert messages[-1] == "stopped"

    access = [e for e in entries if e["logger"] == "tornado.access"]
    assert {"request_id": "trace-4711", "path": "/healthz", "status": 200}.items() <= \
        next(e for e in access if e["request_id"] == "trace-4711").items()
    unauthenticated = next(e for e in access if e["path"] == "/api/v1/customers")
    assert (unauthenticated["status"], unauthenticated["request_id"]) == (401, generated_id)
    assert re.fullmatch(r"[0-9a-f]{32}", generated_id)


# --- the first administrator -------------------------------------------------------------------


def staff_endpoints() -> list[tuple[str, str]]:
    """(method, path) of every route a signed-in member of staff may call, with a made-up record id."""
    # The technicians' calendar feeds: calendar clients send no credentials, the feed's secret token in the
    # URL is the proof (provisioner/api/technicians.py; a wrong one gets the unknown-technician 404).
    expected_open = {"/healthz", "/api/v1/session", "/api/v1/me", "/api/v1/me/password", "/api/.*",
                     r"/api/v1/technicians/([^/]+)/calendar\.ics",
                     # The staff pages' way in and out, their assets and their 404 page (docs/staff_pages.rst).
                     "/staff", "/staff/static/(.*)", "/staff/login", "/staff/logout", "/staff/password", "/staff/.*"}
    calls, open_paths = [], set()
    for pattern, handler, _ in routes(None):  # type: ignore[arg-type]
        if handler is FirmwareFileHandler:
            continue  # firmware, like devices' files (not in the table): no staff credentials, ever
        if getattr(handler, "roles", None) is None or getattr(handler, "allowed_before_password_change", False):
            open_paths.add(pattern)
            continue
        if pattern.startswith("/staff"):
            continue  # pages send a one-time password to /staff/password instead of a 403: tests/web/
        path = pattern.replace(r"\.", ".").replace("([^/]+)", "0" * 24)
        for method in ("get", "post", "patch", "delete"):
            if getattr(handler, method) is not getattr(tornado.web.RequestHandler, method):
                calls.append((method.upper(), path))
    # A new route that anyone, or a user with a one-time password, may call must be a deliberate choice.
    assert open_paths == expected_open
    return calls


def test_first_start_prints_a_one_time_password_that_must_be_changed(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, admin_password=None, env={"PROVISIONER_LOGGING_FORMAT": "json"})
    server.env.pop("PROVISIONER_ADMIN_PASSWORD", None)
    try:
        server.start()
        found = re.findall(r"One-time password: (\S+)", server.log())
        assert len(found) == 1, server.log()
        one_time = found[0]

        browser = Browser(server.base)
        status, me = browser.sign_in(one_time)
        assert status == 200 and me["must_change_password"] is True
        assert browser.request("GET", "/api/v1/me")[0] == 200
        calls = staff_endpoints()
        assert ("GET", "/api/v1/customers") in calls and ("POST", "/api/v1/tokens") in calls
        refused = {(method, path): browser.request(method, path, {} if method in ("POST", "PATCH") else None)
                   for method, path in calls}
        # 403 for the one-time password, not for a missing XSRF header or anything else.
        assert {call: (status, body) for call, (status, body) in refused.items()
                if status != 403 or "one-time password" not in body["message"]} == {}

        change = {"current_password": one_time, "new_password": NEW_PASSWORD}
        assert browser.request("POST", "/api/v1/me/password", change, xsrf=False)[0] == 403
        status, me = browser.request("POST", "/api/v1/me/password", change)
        assert status == 200 and me["must_change_password"] is False
        status, body = browser.request("GET", "/api/v1/customers")
        assert status == 200 and body["total"] == 0
        assert browser.request("POST", "/api/v1/tokens", {"name": "after the change"})[0] == 201

        assert Browser(server.base).sign_in(one_time)[0] == 401
        assert Browser(server.base).sign_in(NEW_PASSWORD)[0] == 200
        assert server.stop() == 0
    finally:
        server.kill()

    text = server.log()
    assert text.count(one_time) == 1
    assert not any(one_time in json.dumps(entry) for entry in json_lines(text))
    # Nor is it written in clear anywhere under the data directory (database files, key, logs).
    for path in (tmp_path / "var").rglob("*"):
        if path.is_file():
            assert one_time.encode() not in path.read_bytes(), path


def test_given_admin_password_needs_no_change_and_a_second_start_creates_no_admin(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path)
    try:
        server.start()
        browser = Browser(server.base)
        status, me = browser.sign_in(ADMIN_PASSWORD)
        assert status == 200 and me["must_change_password"] is False
        assert browser.request("GET", "/api/v1/customers")[0] == 200
        assert "One-time password" not in server.log()
        assert server.stop() == 0

        # Started again without the variable: the admin exists, so nothing is created or printed.
        server.env.pop("PROVISIONER_ADMIN_PASSWORD")
        first_run = len(server.log())
        server.start()
        assert "One-time password" not in server.log()[first_run:]
        token = server.token()
        status, _, users = server.request("GET", "/api/v1/users", token=token)
        assert status == 200 and [u["username"] for u in users["items"]] == ["admin"]
        assert server.stop() == 0
    finally:
        server.kill()


# --- restarts and instances --------------------------------------------------------------------


def test_data_survives_a_restart_and_stopping_leaves_nothing_running(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path)
    try:
        server.start()
        token = server.token()
        status, _, created = server.request("POST", "/api/v1/customers", {"reference": "KEEP-01", "name": "Kept"},
                                            token=token)
        assert status == 201, created
        db_pid = json.loads((tmp_path / STATE_FILE).read_text())["db_pid"]
        assert nx_running(db_pid)

        assert server.stop() == 0
        assert not nx_running(db_pid)
        assert not (tmp_path / STATE_FILE).exists()

        server.start()
        token = server.token()
        status, _, found = server.request("GET", f"/api/v1/customers/{created['id']}", token=token)
        assert status == 200 and (found["reference"], found["name"]) == ("KEEP-01", "Kept")
        assert total(server, token, "/api/v1/customers?reference=KEEP-01") == 1
        assert server.stop() == 0
    finally:
        server.kill()


def test_two_instances_run_side_by_side_but_not_on_one_data_directory(tmp_path: Path) -> None:
    first = ServerProcess(tmp_path / "one", env={"PROVISIONER_LOGGING_FORMAT": "text"})
    second = ServerProcess(tmp_path / "two")
    try:
        first.start()
        second.start()
        assert first.port != second.port
        first_token, second_token = first.token(), second.token()
        status, _, _ = first.request("POST", "/api/v1/customers", {"reference": "ONLY-ONE", "name": "One"},
                                     token=first_token)
        assert status == 201
        assert total(first, first_token, "/api/v1/customers") == 1
        assert total(second, second_token, "/api/v1/customers") == 0
        assert re.search(rf"^\S+ \S+ INFO provisioner\.server \[-\] listening: http on 127\.0\.0\.1:{first.port}$",
                         first.log(), re.MULTILINE), first.log()
        state_before = (tmp_path / "one" / STATE_FILE).read_text()

        data_dir = (tmp_path / "one" / "var").resolve()
        intruder = run_command("serve", "--data-dir", str(data_dir), "--http-port", str(free_port()), env=first.env)
        assert intruder.returncode == 2, intruder.stderr
        message = intruder.stderr.strip()
        assert "\n" not in message and str(data_dir) in message, intruder.stderr
        assert intruder.stdout == ""

        # The refused instance left the running one alone.
        assert (tmp_path / "one" / STATE_FILE).read_text() == state_before
        assert total(first, first_token, "/api/v1/customers") == 1
        assert first.stop() == 0 and second.stop() == 0
    finally:
        first.kill()
        second.kill()


# --- demo data ---------------------------------------------------------------------------------


def fleet_counts(server: ServerProcess, token: str) -> dict[str, int]:
    return {name: total(server, token, f"/api/v1/{name}?per_page=1")
            for name in ("customers", "sites", "contracts", "lines", "equipment")}


def test_demo_flag_loads_the_demo_fleet_once(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, extra_args=("--demo",))
    try:
        server.start()
        token = server.token()
        counts = fleet_counts(server, token)
        assert counts["customers"] == 3
        assert 45 <= counts["lines"] <= 60

        status, _, sites = server.request("GET", "/api/v1/sites?per_page=500", token=token)
        assert status == 200
        corsica = [s for s in sites["items"] if s["departement"] == "2A"]
        assert len(corsica) == 1 and corsica[0]["zone"] == "corsica"
        alsace_moselle = {s["customer"] for s in sites["items"] if s["departement"] in ("57", "67", "68")}
        assert len(alsace_moselle) == 1
        status, _, equipment = server.request("GET", "/api/v1/equipment?per_page=500", token=token)
        assert status == 200 and len(equipment["items"]) == counts["equipment"]
        assert {item["vendor"] for item in equipment["items"]} == set(VENDORS)
        assert server.stop() == 0

        first_run = len(server.log())
        server.start()
        assert fleet_counts(server, server.token()) == counts
        assert "demo data already loaded" in server.log()[first_run:]
        assert server.stop() == 0
    finally:
        server.kill()


# --- commands run beside a running server ------------------------------------------------------


def test_demo_load_command_uses_the_running_servers_database(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path)
    try:
        server.start()
        token = server.token()
        assert total(server, token, "/api/v1/customers") == 0
        db_pid = json.loads((tmp_path / STATE_FILE).read_text())["db_pid"]

        loaded = run_command("demo", "load", "--data-dir", str(tmp_path / "var"), env=server.env)
        assert loaded.returncode == 0, loaded.stderr
        assert "3 customers" in loaded.stdout and "loaded" in loaded.stdout

        # One NX-27017 was ever started on these files: the server's, still the one in the state file.
        assert (tmp_path / NX_LOG).read_text().count("starting NX-27017") == 1
        assert json.loads((tmp_path / STATE_FILE).read_text())["db_pid"] == db_pid
        assert nx_processes_on((tmp_path / "var" / "db").resolve()) == [db_pid]
        assert total(server, token, "/api/v1/customers") == 3
        assert server.stop() == 0
    finally:
        server.kill()


def test_admin_set_password_command_changes_a_running_servers_password(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path)
    try:
        server.start()
        before = Browser(server.base)
        assert before.sign_in(ADMIN_PASSWORD)[0] == 200

        changed = run_command("admin", "set-password", "admin", "--data-dir", str(tmp_path / "var"),
                              env=server.env, stdin=NEW_PASSWORD + "\n")
        assert changed.returncode == 0, changed.stderr
        assert "password of admin changed" in changed.stdout
        assert (tmp_path / NX_LOG).read_text().count("starting NX-27017") == 1

        assert Browser(server.base).sign_in(ADMIN_PASSWORD)[0] == 401
        status, me = Browser(server.base).sign_in(NEW_PASSWORD)
        assert status == 200 and me["must_change_password"] is False
        # Sessions opened before end once the server's short authentication cache expires.
        assert wait_until(lambda: before.request("GET", "/api/v1/me")[0] == 401, 10.0)
        assert server.stop() == 0
    finally:
        server.kill()


def test_tornado_still_takes_its_accept_batch_from_the_module_setting() -> None:
    """share_connections_fairly() sets tornado.netutil._DEFAULT_BACKLOG, which Tornado's accept loop reads at each
    call: a Tornado that stops doing so would quietly bring back the boot storm's long tail."""
    import inspect

    import tornado.netutil

    from provisioner.server import ACCEPT_BATCH, share_connections_fairly

    source = inspect.getsource(tornado.netutil.add_accept_handler)
    assert "for i in range(_DEFAULT_BACKLOG)" in source
    before = tornado.netutil._DEFAULT_BACKLOG
    try:
        share_connections_fairly()
        assert tornado.netutil._DEFAULT_BACKLOG == ACCEPT_BATCH
    finally:
        tornado.netutil._DEFAULT_BACKLOG = before
