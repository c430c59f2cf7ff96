"""The TFTP front end with real clients (atftp, and tftp-hpa's `tftp`): files made on the fly, every miss
alike, nothing read from or written to disk, HTTP undisturbed, and the server's start-up and workers."""

from __future__ import annotations

import dataclasses
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from fake_vendor import FakeYealink
from server_process import ServerProcess, free_port, wait_until
from tftpy.TftpContexts import TftpContextServer

from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor
from inventory.lines import Line
from inventory.provisioning_log import LastFetch, fetches
from provisioner.provisioning.device_secrets import issue_secrets
from provisioner.provisioning.pipeline import DeviceRequest, Provisioner
from provisioner.provisioning.scan_guard import ScanGuard
from provisioner.provisioning.templates import make_environment
from provisioner.provisioning.tftp_files import RETRANSMIT_SECONDS, TftpFront

ACTOR = Actor.system("tests")
UA = "Yealink SIP-T46U 108.86.0.75"
PHONE, SPARE, ELSEWHERE = "805ec0000001", "805ec0000002", "805ec0000003"
#: A device's file is exactly three 512-byte blocks (the transfer ends with an empty block), the shared file is not.
DEVICE_FILE_SIZE, SHARED_FILE_SIZE = 1536, 1300
CLIENT_SECONDS = 20
NOT_FOUND = b"\x00\x05\x00\x01File not found\x00"
ACCESS_VIOLATION = b"\x00\x05\x00\x02Access violation\x00"
CLIENTS = ("atftp", "tftp-hpa")


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def clients_installed() -> None:
    missing = [name for name in ("atftp", "tftp") if shutil.which(name) is None]
    assert not missing, f"TFTP clients missing: {missing}; install atftp and tftp-hpa (see .ci/run)"


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates" / "yealink"
    folder.mkdir(parents=True)
    (folder / "device.cfg.j2").write_text(
        "{% set body %}admin={{ device.admin_password }}\n{% for line in lines %}"
        "account.{{ line.index }}.password={{ line.sip_password }}\n{% endfor %}{% endset %}"
        f"{{{{ body }}}}{{{{ '#' * ({DEVICE_FILE_SIZE - 1} - body|length) }}}}\n")
    (folder / "common.cfg.j2").write_text(
        "{% set body %}server={{ provider.sip_domain }}\n{% endset %}"
        f"{{{{ body }}}}{{{{ '#' * ({SHARED_FILE_SIZE - 1} - body|length) }}}}\n")
    return tmp_path / "templates"


@pytest.fixture
def fleet(mongo_db, services) -> dict[str, Equipment]:
    """A phone in service at a site that allows 127.0.0.0/8, a phone in stock, a phone of a site elsewhere."""
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    here = Site(customer=customer, name="HQ", address="1 rue", postcode="75008", city="Paris",
                allowed_networks=["127.0.0.0/8"]).insert(ACTOR)
    away = Site(customer=customer, name="Lyon", address="2 rue", postcode="69001", city="Lyon",
                allowed_networks=["203.0.113.0/24"]).insert(ACTOR)
    line = Line(site=here, extension="101", display_name="Poste 101")
    line.set_sip_password(services.box)
    line = line.insert(ACTOR)
    devices = {}
    for mac, site, state in ((PHONE, here, "in_service"), (SPARE, None, "in_stock"), (ELSEWHERE, away, "in_service")):
        item = Equipment(serial=f"YL-{mac}", mac=mac, vendor="yealink", model="T46U", site=site,
                         lines=[line] if mac == PHONE else [], state=state)
        issue_secrets(item, services.box)
        devices[mac] = item.insert(ACTOR)
    return devices


@pytest.fixture
def provisioner(services, templates) -> Provisioner:
    # Files in clear, so their sizes fall on block boundaries; encrypted files: test_device_proofs.py.
    settings = services.settings
    clear = dataclasses.replace(settings, provisioning=dataclasses.replace(settings.provisioning,
                                                                          plain_device_files="clear"))
    return Provisioner(dataclasses.replace(services, settings=clear), [FakeYealink()], ScanGuard(max_misses=1000),
                       make_environment(templates))


@pytest.fixture
def tftp(provisioner, caplog):
    """The TFTP front end on a free port; tftpy's loop must never have failed (it would be restarted)."""
    caplog.set_level("INFO", logger="provisioner.tftp")
    front = TftpFront(provisioner, "127.0.0.1", 0)
    front.start()
    root = Path(front.root)
    yield front
    front.stop()
    records = caplog.get_records("setup") + caplog.get_records("call") + caplog.records
    assert not [r.getMessage() for r in records if r.name == "provisioner.tftp" and r.levelname == "ERROR"]
    assert not root.exists()  # removed, hence empty


def expected(provisioner: Provisioner, name: str) -> bytes:
    """What the pipeline serves for this file (asked as over HTTP, with a User-Agent)."""
    served = provisioner.serve(DeviceRequest(path=f"/{name}", user_agent=UA, source="127.0.0.1", transport="http"))
    assert served is not None
    return served.body


# --- clients ---------------------------------------------------------------------------------------


@dataclass
class Fetched:
    """What a client got: the file, or the server's error as the client reports it."""

    body: bytes | None
    error: str | None
    trace: str


def fetch(client: str, port: int, name: str, folder: Path, *options: str) -> Fetched:
    """Download `name` with a real client; `options` ("blksize 1428", "tsize") are atftp's."""
    local = folder / f"got-{uuid.uuid4().hex}"
    if client == "atftp":
        flags = [part for option in options for part in ("--option", option)]
        done = subprocess.run(["atftp", "--tftp-timeout", "1", "--trace", *flags, "-g", "-r", name, "-l", str(local),
                               "127.0.0.1", str(port)], capture_output=True, text=True, timeout=CLIENT_SECONDS)
        found = re.search(r"error received from server <(.*)>", done.stderr)
        error = found.group(1) if found else None
        assert (done.returncode == 0) == (error is None), done
    else:
        assert not options, "tftp-hpa's client sends no options"
        done = subprocess.run(["tftp", "-v", "-m", "octet", "127.0.0.1", str(port), "-c", "get", name, str(local)],
                              capture_output=True, text=True, timeout=CLIENT_SECONDS)
        found = re.search(r"Error code \d+: (.*)", done.stdout)  # tftp-hpa exits 0 even then
        error = found.group(1).strip() if found else None
    body = local.read_bytes() if error is None else None
    return Fetched(body, error, done.stdout + done.stderr)


def put(client: str, port: int, name: str, folder: Path) -> str:
    """Upload a file with a real client; the server's error message."""
    local = folder / "upload.cfg"
    local.write_bytes(b"written=by a client\n")
    if client == "atftp":
        done = subprocess.run(["atftp", "--tftp-timeout", "1", "-p", "-r", name, "-l", str(local),
                               "127.0.0.1", str(port)], capture_output=True, text=True, timeout=CLIENT_SECONDS)
        found = re.search(r"error received from server <(.*)>", done.stderr)
    else:
        done = subprocess.run(["tftp", "-v", "-m", "octet", "127.0.0.1", str(port), "-c", "put", str(local), name],
                              capture_output=True, text=True, timeout=CLIENT_SECONDS)
        found = re.search(r"Error code \d+: (.*)", done.stdout)
    assert found, done
    return found.group(1).strip()


def first_answer(port: int, opcode: int, name: str) -> bytes:
    """The server's first datagram to a raw RRQ (1) or WRQ (2)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(5)
        client.sendto(struct.pack("!H", opcode) + name.encode() + b"\x00octet\x00", ("127.0.0.1", port))
        return client.recvfrom(65536)[0]


def data_sizes(trace: str) -> list[int]:
    """The size of every DATA block in an atftp trace."""
    return [int(size) for size in re.findall(r"DATA <block: \d+, size (\d+)>", trace)]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- files -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("name, size", [(f"{PHONE}.cfg", DEVICE_FILE_SIZE), ("common.cfg", SHARED_FILE_SIZE)])
def test_clients_get_exactly_the_rendered_file(tftp, provisioner, fleet, services, tmp_path, client, name, size):
    want = expected(provisioner, name)
    got = fetch(client, tftp.port, name, tmp_path)
    assert got.error is None, got.trace
    assert got.body == want and len(want) == size
    if name == f"{PHONE}.cfg":
        assert f"admin={fleet[PHONE].admin_password(services.box)}\n".encode() in got.body
        provisioner.flush()  # fetches are written in bulk, off the request path
        latest = LastFetch.objects.get(mac=PHONE)
        assert (latest.transport, latest.source, latest.file) == ("tftp", "127.0.0.1", name)


@pytest.mark.parametrize("name, options, sizes, oack", [
    (f"{PHONE}.cfg", (), [512, 512, 512, 0], None),
    ("common.cfg", (), [512, 512, 276], None),
    (f"{PHONE}.cfg", ("blksize 1428",), [1428, 108], {"blksize": "1428"}),
    ("common.cfg", ("tsize",), [512, 512, 276], {"tsize": "1300"}),
    (f"{PHONE}.cfg", ("blksize 1428", "tsize"), [1428, 108], {"blksize": "1428", "tsize": "1536"}),
    (f"{PHONE}.cfg", ("blksize 512",), [512, 512, 512, 0], {"blksize": "512"}),
])
def test_blocks_blksize_and_tsize(tftp, provisioner, fleet, tmp_path, name, options, sizes, oack):
    got = fetch("atftp", tftp.port, name, tmp_path, *options)
    assert got.error is None, got.trace
    assert got.body == expected(provisioner, name)
    assert data_sizes(got.trace) == sizes, got.trace
    answered = re.search(r"received OACK <(.*)>", got.trace)
    if oack is None:
        assert answered is None, got.trace
    else:
        assert answered, got.trace
        assert oack.items() <= dict(re.findall(r"(\w+): (\d+)", answered.group(1))).items(), got.trace


# --- misses ----------------------------------------------------------------------------------------


REFUSED = [
    "805ec00000ff.cfg",  # unknown device
    f"{SPARE}.cfg",  # a device in stock
    f"{ELSEWHERE}.cfg",  # a device whose site does not allow 127.0.0.1
    f"{PHONE.upper()}.CFG",  # not a name the phone sends
    "nothing-here.txt",  # no vendor's file
    "../../etc/passwd",
    "/etc/passwd",
    "..\\x",
    f"/../{PHONE}.cfg",
    f"../{PHONE}.cfg",
    "a/b/c/d/e/" + f"{PHONE}.cfg",
]


@pytest.mark.parametrize("client", CLIENTS)
def test_every_refusal_is_the_answer_of_a_missing_file(tftp, provisioner, fleet, tmp_path, client):
    answers = {name: fetch(client, tftp.port, name, tmp_path) for name in REFUSED}
    assert {name: (got.body, got.error) for name, got in answers.items()} == {
        name: (None, "File not found") for name in REFUSED}
    provisioner.flush()
    assert LastFetch.objects.count() == 0 and not fetches()


def test_every_refusal_is_the_same_datagram_and_one_log_line(tftp, fleet, caplog):
    caplog.set_level("INFO", logger="provisioner.misses")
    assert {name: first_answer(tftp.port, 1, name) for name in REFUSED} == {name: NOT_FOUND for name in REFUSED}
    logged = [r.getMessage() for r in caplog.records if r.name == "provisioner.misses"]
    assert len(logged) == len(REFUSED), logged
    assert all(line.startswith("provisioning miss from 127.0.0.1: ") and "(tftp " in line for line in logged)


def test_a_real_file_next_to_tftpys_root_is_never_served(tftp, fleet):
    secret = Path(tempfile.gettempdir()) / f"secret-{uuid.uuid4().hex}.cfg"
    secret.write_text("do not serve\n")
    try:
        root = Path(tftp.root)
        names = [f"../{secret.name}", str(secret), f"{root}/../{secret.name}", f"/{root.name}/../{secret.name}"]
        assert [first_answer(tftp.port, 1, name) for name in names] == [NOT_FOUND] * len(names)
    finally:
        secret.unlink()


def test_a_packet_that_trips_tftpy_ends_only_its_own_transfer(tftp, provisioner, fleet, tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.sendto(b"\x00\x01\xff\xfe\x00octet\x00", ("127.0.0.1", tftp.port))  # a non-ASCII name
        client.sendto(b"\x00\x01a.cfg\x00octet\x00blksize\x00abc\x00", ("127.0.0.1", tftp.port))
    got = fetch("atftp", tftp.port, f"{PHONE}.cfg", tmp_path)
    assert got.body == expected(provisioner, f"{PHONE}.cfg"), got.trace


def test_a_failure_of_tftpys_loop_is_logged_and_it_listens_again(provisioner, fleet, tmp_path, monkeypatch, caplog):
    front = TftpFront(provisioner, "127.0.0.1", 0)
    front.start()
    try:
        failed = []
        check = TftpContextServer.checkTimeout

        def fail_once(context, now):
            if not failed:
                failed.append(now)
                raise RuntimeError("a bug in tftpy")
            return check(context, now)

        monkeypatch.setattr(TftpContextServer, "checkTimeout", fail_once)
        assert first_answer(front.port, 1, "nothing-here.txt") == NOT_FOUND
        got = fetch("atftp", front.port, f"{PHONE}.cfg", tmp_path)
        assert failed and got.body == expected(provisioner, f"{PHONE}.cfg"), got.trace
        assert "tftp: tftpy's loop failed; its transfers in progress are dropped, listening again" in caplog.messages
    finally:
        front.stop()


def test_stop_is_prompt_and_releases_the_port(provisioner):
    front = TftpFront(provisioner, "127.0.0.1", 0)
    front.start()
    root = Path(front.root)
    started = time.monotonic()
    front.stop()
    assert time.monotonic() - started < RETRANSMIT_SECONDS  # woken, not waiting for select() to time out
    assert not root.exists()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
        again.bind(("127.0.0.1", front.port))


# --- writes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS)
def test_writes_are_refused_and_nothing_is_written(tftp, fleet, tmp_path, client):
    name = f"upload-{uuid.uuid4().hex}.cfg"
    for target in (name, f"../{name}", f"/tmp/{name}", f"sub/{name}"):
        assert put(client, tftp.port, target, tmp_path) == "Access violation"
    assert first_answer(tftp.port, 2, f"../../{name}") == ACCESS_VIOLATION
    assert list(Path(tftp.root).iterdir()) == []
    places = [Path(tempfile.gettempdir()), Path.cwd(), tmp_path, Path(tftp.root)]
    assert not [path for place in places for path in place.rglob(f"*{name}*")]


# --- beside HTTP -----------------------------------------------------------------------------------


@pytest.mark.gen_test(timeout=30)
async def test_http_answers_while_a_tftp_transfer_is_in_progress(app, http_client, base_url, fleet, templates):
    # The HTTP front end's own Provisioner, as the server wires it, with the test vendor and templates.
    shared = app.settings["provisioner"]
    shared.vendors, shared.environment = [FakeYealink()], make_environment(templates)
    front = TftpFront(shared, "127.0.0.1", 0)
    front.start()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.settimeout(5)
            client.sendto(f"\x00\x01{PHONE}.cfg\x00octet\x00".encode(), ("127.0.0.1", front.port))
            packet, server = client.recvfrom(65536)
            assert packet[:4] == b"\x00\x03\x00\x01"  # block 1, not acknowledged yet: the transfer waits
            health = await http_client.fetch(base_url + "/healthz", raise_error=False)
            over_http = await http_client.fetch(f"{base_url}/{PHONE}.cfg", headers={"User-Agent": UA})
            assert health.code == 200 and over_http.code == 200
            received = {1: packet[4:]}
            while len(received[max(received)]) == 512:
                client.sendto(struct.pack("!HH", 4, max(received)), server)
                packet = client.recvfrom(65536)[0]
                received[struct.unpack("!H", packet[2:4])[0]] = packet[4:]  # a resent block overwrites itself
            client.sendto(struct.pack("!HH", 4, max(received)), server)
        assert b"".join(received[block] for block in sorted(received)) == over_http.body
        # Both transports are plain, so the file is encrypted: PKCS#7 adds a whole block to whole blocks.
        assert len(over_http.body) == DEVICE_FILE_SIZE + 16
    finally:
        front.stop()


# --- the server ------------------------------------------------------------------------------------


def tftp_server(tmp_path: Path, *args: str) -> tuple[ServerProcess, int]:
    port = free_udp_port()
    server = ServerProcess(tmp_path, extra_args=("--tftp-port", str(port), *args),
                           env={"PROVISIONER_TFTP_ADDRESS": "127.0.0.1", "PROVISIONER_LOGGING_FORMAT": "text"})
    return server, port


@pytest.mark.slow
def test_the_server_runs_tftp_beside_http_and_stops_it(tmp_path):
    server, port = tftp_server(tmp_path, "--workers", "1")
    try:
        server.start()
        assert f"listening: tftp on 127.0.0.1:{port}" in server.log()  # before it is ready
        got = fetch("atftp", port, "nothing-here.txt", tmp_path)
        assert got.error == "File not found" and server.request("GET", "/healthz")[0] == 200
        assert server.stop() == 0
    finally:
        server.kill()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
        again.bind(("127.0.0.1", port))  # released


@pytest.mark.slow
def test_with_workers_only_worker_0_runs_tftp(tmp_path):
    server, port = tftp_server(tmp_path, "--workers", "2")
    try:
        server.start()
        assert wait_until(lambda: server.log().count("ready (pid") == 2, 10)
        assert server.log().count("listening: tftp on") == 1, server.log()
        assert fetch("tftp-hpa", port, "nothing-here.txt", tmp_path).error == "File not found"
        assert server.stop() == 0
    finally:
        server.kill()


@pytest.mark.slow
def test_a_tftp_port_in_use_stops_start_up(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        server, _ = tftp_server(tmp_path)
        done = subprocess.run([sys.executable, "-m", "provisioner", "serve", "--data-dir", str(tmp_path / "var"),
                               "--http-port", str(free_port()), "--tftp-port", str(port)],
                              env=server.env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        f"provisioner: cannot listen: Address already in use: tftp 127.0.0.1:{port}/udp"
        " (is another server using the port?)")
