"""The pipeline's per-process cache over the real database: changes show within the check delay, in every
process; devices not seen yet are loaded in batches; fetches are written in bulk, each exactly once."""

from __future__ import annotations

import asyncio
import datetime
import os
import threading
import time

import pytest
from pymongo.errors import AutoReconnect

from inventory import generation, provisioning_log
from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor
from inventory.lines import Line
from inventory.provisioning_log import FetchLog, LastFetch, fetches
from provisioner.provisioning.device_cache import CHECK_SECONDS, DeviceCache
from provisioner.provisioning.device_secrets import issue_secrets
from provisioner.provisioning.pipeline import DeviceRequest, Provisioner
from provisioner.provisioning.templates import make_environment, templates_root
from provisioner.vendors import VENDORS

ACTOR = Actor.system("tests")
UA = "Yealink SIP-T46U 108.86.0.75"
SOURCE = "203.0.113.7"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def site(mongo_db, services) -> Site:
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    return Site(customer=customer, name="HQ", address="1 rue", postcode="75008", city="Paris",
                allowed_networks=["203.0.113.0/24"]).insert(ACTOR)


def add_phone(site: Site, services, number: int) -> tuple[Equipment, Line]:
    line = Line(site=site, extension=f"{100 + number}", display_name=f"Poste {100 + number}")
    line.set_sip_password(services.box)
    line.insert(ACTOR)
    phone = Equipment(serial=f"YL-{number}", mac=f"805ec0{number:06x}", vendor="yealink", model="T46U", site=site,
                      lines=[line], state="in_service")
    issue_secrets(phone, services.box)
    return phone.insert(ACTOR), line


@pytest.fixture
def phone(site, services) -> tuple[Equipment, Line]:
    return add_phone(site, services, 1)


def make_provisioner(services, clock: Clock, environment=None) -> Provisioner:
    return Provisioner(services, VENDORS.values(), devices=DeviceCache(clock=clock), environment=environment)


def ask(provisioner: Provisioner, mac: str = "805ec0000001"):
    # Over HTTPS the file comes in clear (over plain HTTP it is encrypted: test_device_secrets.py).
    return provisioner.serve(DeviceRequest(path=f"/{mac}.cfg", user_agent=UA, source=SOURCE, transport="https"))


# --- invalidation through the database ------------------------------------------------------------


def test_every_write_moves_the_generation(site, services):
    before = generation.current()
    phone, line = add_phone(site, services, 2)  # a line and a phone: two inserts
    assert generation.current() == before + 2
    line.update(ACTOR, {"display_name": "Accueil"})
    assert generation.current() == before + 3
    phone.remove(ACTOR)
    assert generation.current() == before + 4


def test_a_changed_display_name_reaches_the_device_within_the_check_delay(phone, services):
    clock = Clock()
    provisioner = make_provisioner(services, clock)
    assert b"display_name = Poste 101" in ask(provisioner).body
    phone[1].update(ACTOR, {"display_name": "Standard"})
    # Until this process checks the generation again, it serves what it rendered.
    assert b"display_name = Poste 101" in ask(provisioner).body
    clock.advance(CHECK_SECONDS)
    served = ask(provisioner)
    assert b"display_name = Standard" in served.body and b"Poste 101" not in served.body


def test_a_device_moved_to_stock_is_refused_within_the_check_delay(phone, services):
    clock = Clock()
    provisioner = make_provisioner(services, clock)
    assert ask(provisioner) is not None
    phone[0].update(ACTOR, {"state": "in_stock"})
    clock.advance(CHECK_SECONDS)
    assert ask(provisioner) is None
    assert not provisioner.guard.blocked(SOURCE)  # its own site's address: not held against it


def test_two_processes_each_see_the_other_ones_change(phone, services):
    clocks = Clock(), Clock()
    first, second = (make_provisioner(services, clock) for clock in clocks)
    assert ask(first).revision == ask(second).revision
    before = ask(first).revision
    phone[1].update(ACTOR, {"display_name": "Standard"})  # made by neither of them
    for clock in clocks:
        clock.advance(CHECK_SECONDS)
    assert ask(first).revision == ask(second).revision != before
    assert b"display_name = Standard" in ask(second).body


def test_the_generation_is_read_at_most_once_per_check_delay(phone, services, monkeypatch):
    reads = []
    real = generation.current
    monkeypatch.setattr(generation, "current", lambda: reads.append(1) or real())
    clock = Clock()
    provisioner = make_provisioner(services, clock)
    for _ in range(50):
        assert ask(provisioner) is not None
        clock.advance(CHECK_SECONDS / 10)
    assert len(reads) == 5


def test_a_changed_template_file_is_seen_within_the_check_delay(phone, services, tmp_path):
    folder = tmp_path / "templates"
    (folder / "yealink").mkdir(parents=True)
    for name in ("device.cfg.j2", "platform.cfg.j2", "common.cfg.j2"):
        (folder / "yealink" / name).write_text((templates_root() / "yealink" / name).read_text())
    clock = Clock()
    provisioner = make_provisioner(services, clock, make_environment(folder))
    assert b"# local change" not in ask(provisioner).body
    device_template = folder / "yealink" / "device.cfg.j2"
    device_template.write_text(device_template.read_text() + "# local change\n")
    later = time.time() + 10
    os.utime(device_template, (later, later))
    clock.advance(CHECK_SECONDS)
    assert ask(provisioner).body.endswith(b"# local change\n")


# --- loading in batches ---------------------------------------------------------------------------


def test_devices_asked_for_together_are_loaded_in_one_batch(site, services):
    macs = [add_phone(site, services, number)[0].mac for number in range(1, 21)]
    clock = Clock()
    provisioner = make_provisioner(services, clock)
    batches = []
    read = provisioner.devices._read
    provisioner.devices._read = lambda wanted, *epoch: batches.append(len(wanted)) or read(wanted, *epoch)

    async def storm():
        requests = [DeviceRequest(path=f"/{mac}.cfg", user_agent=UA, source=SOURCE, transport="https") for mac in macs]
        return await asyncio.gather(*(provisioner.answer(request) for request in requests))

    served = asyncio.run(storm())
    assert all(s is not None for s in served)
    assert sum(batches) == 20 and len(batches) <= 2, batches
    assert [ask(provisioner, mac).revision for mac in macs] == [s.revision for s in served]
    assert sum(batches) == 20  # served from the cache afterwards


# --- the fetch log --------------------------------------------------------------------------------


def note(log: FetchLog, mac: str, revision: str = "r1", latest: bool = True) -> None:
    log.note(mac, None, f"{mac}.cfg", revision, SOURCE, "http", UA, latest)


def test_the_flush_writes_every_noted_fetch_exactly_once(mongo_db):
    log = FetchLog()
    macs = [f"805ec0{n:06x}" for n in range(1, 6)]

    def noter(mac: str) -> None:
        for number in range(40):
            note(log, mac, f"r{number}")

    threads = [threading.Thread(target=noter, args=(mac,)) for mac in macs]
    for thread in threads:
        thread.start()
    written = 0
    while any(thread.is_alive() for thread in threads):
        written += log.flush()  # flushing while the front ends note
    for thread in threads:
        thread.join()
    written += log.flush()
    assert written == 200 and log.flush() == 0
    assert len(fetches()) == 200
    assert {mac: len(fetches(mac)) for mac in macs} == {mac: 40 for mac in macs}
    assert {entry.mac: entry.revision for entry in LastFetch.objects} == {mac: "r39" for mac in macs}


def test_a_flush_that_failed_half_way_is_retried_without_doubles(mongo_db, monkeypatch):
    log = FetchLog()
    for number in range(10):
        note(log, f"805ec0{number:06x}")
    real = provisioning_log._replace_unless_newer
    failures = iter([AutoReconnect("connection lost")])

    def fail_once(collection, latest):
        for failure in failures:
            raise failure
        real(collection, latest)

    monkeypatch.setattr(provisioning_log, "_replace_unless_newer", fail_once)
    with pytest.raises(AutoReconnect):
        log.flush()  # the fetches were written, the latest ones were not
    assert len(fetches()) == 10 and LastFetch.objects.count() == 0 and log.pending() == 0
    assert log.flush() == 0  # no fetch left to write; the latest ones now
    assert len(fetches()) == 10 and LastFetch.objects.count() == 10


def test_a_write_whose_answer_was_lost_is_not_written_twice(mongo_db, monkeypatch):
    log = FetchLog()
    for number in range(10):
        note(log, f"805ec0{number:06x}")
    real = provisioning_log._insert_once
    failures = iter([AutoReconnect("answer lost")])

    def written_then_lost(collection, batch):
        real(collection, batch)
        for failure in failures:
            raise failure

    monkeypatch.setattr(provisioning_log, "_insert_once", written_then_lost)
    with pytest.raises(AutoReconnect):
        log.flush()
    assert log.pending() == 10  # the batch is tried again, with its _id
    assert log.flush() == 10
    assert len(fetches()) == 10 and log.pending() == 0


def test_the_newest_latest_fetch_wins_whichever_process_writes_last(mongo_db):
    moment = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    # Seconds apart: NX-27017's filters compare datetimes to the second.
    older = FetchLog(clock=lambda: moment)
    newer = FetchLog(clock=lambda: moment + datetime.timedelta(seconds=2))
    note(older, "805ec0000001", "old")
    note(newer, "805ec0000001", "new")
    newer.flush()
    older.flush()
    assert LastFetch.objects.get(mac="805ec0000001").revision == "new"
    note(older, "805ec0000002", "old")  # and the other way round
    older.flush()
    note(newer, "805ec0000002", "new")
    newer.flush()
    assert LastFetch.objects.get(mac="805ec0000002").revision == "new"
    assert len(fetches()) == 4


def test_repeated_fetches_rewrite_the_latest_fetch_only_when_the_file_or_its_way_changed(phone, services):
    clock = Clock()
    provisioner = make_provisioner(services, clock)
    for _ in range(3):
        ask(provisioner)
    provisioner.flush()
    first = LastFetch.objects.get(mac="805ec0000001")
    time.sleep(0.005)  # noted times have millisecond precision
    ask(provisioner)
    provisioner.flush()
    assert LastFetch.objects.get(mac="805ec0000001").at == first.at  # same file: not rewritten within the minute
    provisioner.serve(DeviceRequest(path="/805ec0000001.cfg", user_agent="", source=SOURCE, transport="tftp"))
    provisioner.flush()
    assert LastFetch.objects.get(mac="805ec0000001").transport == "tftp"  # from elsewhere: rewritten
    phone[1].update(ACTOR, {"display_name": "Standard"})
    clock.advance(CHECK_SECONDS)
    changed = ask(provisioner)
    provisioner.flush()
    assert LastFetch.objects.get(mac="805ec0000001").revision == changed.revision != first.revision
    assert len(fetches()) == 6
