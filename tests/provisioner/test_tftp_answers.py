"""Where the TFTP front end gets its files: asked of the pipeline on the IOLoop that started it (or from
threads of its own), while tftpy's loop serves the other transfers; a late IOLoop or a missing answer
holds up its own transfer only."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from server_process import wait_until

from provisioner.provisioning import tftp_files, tftp_loop
from provisioner.provisioning.pipeline import DeviceRequest, Provisioner
from provisioner.provisioning.scan_guard import ScanGuard
from provisioner.provisioning.tftp_files import TftpFront
from provisioner.vendors import VENDORS

#: Two Yealink shared files (the generic one and the T46U's): served to anyone, rendered from settings only.
HELD, OTHER = "y000000000000.cfg", "y000000000108.cfg"
CLIENT_SECONDS = 10


@pytest.fixture
def provisioner(services) -> Provisioner:
    return Provisioner(services, VENDORS.values(), ScanGuard(max_misses=1000))


@pytest.fixture
def files(provisioner) -> dict[str, bytes]:
    """What the pipeline serves for HELD and OTHER."""
    found = {}
    for name in (HELD, OTHER):
        served = provisioner.serve(DeviceRequest(path=name, user_agent="", source="127.0.0.1", transport="tftp"))
        assert served is not None and len(served.body) > 512
        found[name] = served.body
    return found


@dataclass
class Hold:
    """The pipeline's answers for HELD: `asked` when it is asked for one, which waits for `release`."""

    asked: threading.Event
    release: threading.Event


@pytest.fixture
def held(provisioner, files, monkeypatch):
    """The pipeline's answer for HELD waits until released (10 s at most), as a slow database would make it."""
    hold = Hold(threading.Event(), threading.Event())
    serve = provisioner.serve

    def slow(request, readings=None):
        if request.path == HELD:
            hold.asked.set()
            hold.release.wait(10)
        return serve(request, readings)

    monkeypatch.setattr(provisioner, "serve", slow)
    yield hold
    hold.release.set()


@pytest.fixture
def no_errors(caplog):
    caplog.set_level("INFO", logger="provisioner.tftp")
    yield caplog
    assert not [r.getMessage() for r in caplog.records if r.name == "provisioner.tftp" and r.levelname == "ERROR"]
    assert "tftp: tftpy's loop failed; its transfers in progress are dropped, listening again" not in caplog.messages


def download(port: int, name: str) -> bytes:
    """A file over TFTP from a raw socket: 512-byte blocks, each acknowledged, until a shorter one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(CLIENT_SECONDS)
        client.sendto(b"\x00\x01" + name.encode() + b"\x00octet\x00", ("127.0.0.1", port))
        blocks: list[bytes] = []
        while True:
            packet, server = client.recvfrom(65536)
            assert packet[:2] == b"\x00\x03", packet  # DATA, not an error
            block = struct.unpack("!H", packet[2:4])[0]
            if block == len(blocks) + 1:
                blocks.append(packet[4:])
            client.sendto(struct.pack("!HH", 4, block), server)
            if block == len(blocks) and len(packet) - 4 < 512:
                return b"".join(blocks)


def test_a_slow_answer_holds_up_its_own_transfer_only(provisioner, files, held, no_errors):
    front = TftpFront(provisioner, "127.0.0.1", 0)
    front.start()
    try:
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(download, front.port, HELD)
            assert download(front.port, OTHER) == files[OTHER]
            assert not waiting.done()
            held.release.set()
            assert waiting.result(CLIENT_SECONDS) == files[HELD]
    finally:
        front.stop()


@pytest.mark.gen_test(timeout=30)
async def test_files_are_asked_for_on_the_loop_that_started_tftp(provisioner, files, monkeypatch, no_errors):
    asked_from = []
    serve = provisioner.serve

    def noted(request, readings=None):
        asked_from.append(threading.current_thread())
        return serve(request, readings)

    monkeypatch.setattr(provisioner, "serve", noted)
    front = TftpFront(provisioner, "127.0.0.1", 0)
    front.start()
    try:
        loop = asyncio.get_running_loop()
        names = [HELD, OTHER] * 5
        got = await asyncio.gather(*(loop.run_in_executor(None, download, front.port, name) for name in names))
        assert got == [files[name] for name in names]
        assert set(asked_from) == {threading.current_thread()} and len(asked_from) == len(names)
    finally:
        front.stop()


@pytest.mark.gen_test(timeout=30)
async def test_a_late_loop_gives_way_to_a_thread(provisioner, files, monkeypatch, no_errors):
    monkeypatch.setattr(tftp_loop, "LOOP_SECONDS", 0.1)
    front = TftpFront(provisioner, "127.0.0.1", 0)
    front.start()
    try:
        started = time.monotonic()
        # Synchronously, so that the loop cannot answer while this waits (as a long blocking call would make it).
        assert download(front.port, OTHER) == files[OTHER]
        assert time.monotonic() - started < 2 * tftp_files.RETRANSMIT_SECONDS + 1
        assert f"tftp: the IOLoop did not answer for {OTHER} within 0 s; asking from a thread" in no_errors.messages
        await asyncio.sleep(0.1)  # the loop, free again, drops the request it was late with
    finally:
        front.stop()


def test_a_transfer_left_without_answer_is_dropped_and_tftp_goes_on(provisioner, files, held, monkeypatch, no_errors):
    monkeypatch.setattr(tftp_loop, "ANSWER_SECONDS", 0.2)
    front = TftpFront(provisioner, "127.0.0.1", 0)
    front.start()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.sendto(f"\x00\x01{HELD}\x00octet\x00".encode(), ("127.0.0.1", front.port))
            dropped = "tftp: no file for 127.0.0.1 within 0 s; transfer dropped"
            assert wait_until(lambda: dropped in no_errors.messages, 3 * tftp_files.RETRANSMIT_SECONDS)
            held.release.set()  # the answer comes after all, to a transfer that is gone
            assert download(front.port, OTHER) == files[OTHER]
            client.settimeout(0.5)
            with pytest.raises(TimeoutError):
                client.recvfrom(65536)  # nothing was ever sent for the dropped transfer
        assert download(front.port, HELD) == files[HELD]
    finally:
        front.stop()


def test_requests_beyond_those_waiting_are_ignored_until_answers_come(provisioner, files, held, monkeypatch,
                                                                       no_errors):
    monkeypatch.setattr(tftp_loop, "MAX_WAITING", 1)
    front = TftpFront(provisioner, "127.0.0.1", 0)
    front.start()
    try:
        with ThreadPoolExecutor(1) as pool, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            waiting = pool.submit(download, front.port, HELD)
            assert held.asked.wait(2)
            client.settimeout(0.5)
            client.sendto(f"\x00\x01{OTHER}\x00octet\x00".encode(), ("127.0.0.1", front.port))
            with pytest.raises(TimeoutError):
                client.recvfrom(65536)  # ignored, as if lost
            assert "tftp: 1 requests wait for the pipeline; new ones are ignored meanwhile" in no_errors.messages
            held.release.set()
            assert waiting.result(CLIENT_SECONDS) == files[HELD]
        assert download(front.port, OTHER) == files[OTHER]  # asked again
    finally:
        front.stop()
