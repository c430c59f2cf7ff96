"""The pipeline's per-process cache over the real database: changes show within the check delay, in every
process; devices not seen yet are loaded in batches; fetches are written in bulk, each exactly once."""

from __future__ import annotations

import asyncio
import datetime
import os
import threading
import time

import jinja2
import pytest
from bson import ObjectId
from pymongo.errors import AutoReconnect

from inventory import generation, provisioning_log, transitions
from inventory.contracts import Contract
from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor, Event
from inventory.lifecycle import ADMIN
from inventory.lifecycle_plans import Rules
from inventory.lines import Line
from inventory.provisioning_log import FetchLog, LastFetch, fetches
from inventory.staff import User
from inventory.template_overrides import TemplateOverride
from provisioner.provisioning import record_changes
from provisioner.provisioning.device_cache import CHECK_SECONDS, DeviceCache
from provisioner.provisioning.device_secrets import issue_secrets
from provisioner.provisioning.pipeline import DeviceRequest, Pending, Provisioner
from provisioner.provisioning.record_changes import ChangeFeed
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


# --- targeted invalidation: a change lets go of the devices it reaches only ---------------------------


def counting_reads(provisioner: Provisioner) -> list[list[str]]:
    """The MACs of every device read from the database from now on, one list per read."""
    reads: list[list[str]] = []
    read = provisioner.devices._read
    provisioner.devices._read = lambda wanted, *known: reads.append(list(wanted)) or read(wanted, *known)
    return reads


def showing_names(tmp_path) -> jinja2.Environment:
    """The shipped Yealink templates, the device's file also naming its site and its customer."""
    folder = tmp_path / "templates"
    (folder / "yealink").mkdir(parents=True)
    for name in ("device.cfg.j2", "platform.cfg.j2", "common.cfg.j2"):
        (folder / "yealink" / name).write_text((templates_root() / "yealink" / name).read_text())
    device_template = folder / "yealink" / "device.cfg.j2"
    device_template.write_text(device_template.read_text()
                               + "# site {{ site.name }}, customer {{ customer.name if customer else '-' }}\n")
    return make_environment(folder)


def test_an_unrelated_change_keeps_the_devices_files(phone, site, services):
    clock = Clock()
    provisioner = make_provisioner(services, clock)
    served = ask(provisioner)
    reads, epoch = counting_reads(provisioner), provisioner.devices.epoch
    User(username="clerk", roles=["support"], password_hash="x").insert(ACTOR)
    Contract(customer=site.customer, reference="CT-0001", order_date=datetime.date(2026, 1, 5)).insert(ACTOR)
    other, other_line = add_phone(site, services, 2)
    other_line.update(ACTOR, {"display_name": "Accueil"})
    other.update(ACTOR, {"state": "in_stock"})
    for _ in range(3):  # through the settling checks that follow the changes
        clock.advance(CHECK_SECONDS)
        assert ask(provisioner).revision == served.revision
    assert reads == [] and provisioner.devices.epoch == epoch


def test_a_change_to_the_device_or_its_line_reaches_it_and_only_it(site, services):
    (first, first_line), (second, _) = add_phone(site, services, 1), add_phone(site, services, 2)
    clock = Clock()
    provisioner = make_provisioner(services, clock)
    kept = ask(provisioner, second.mac)
    ask(provisioner, first.mac)
    reads = counting_reads(provisioner)
    first_line.update(ACTOR, {"display_name": "Standard"})
    clock.advance(CHECK_SECONDS)
    assert b"display_name = Standard" in ask(provisioner, first.mac).body
    assert ask(provisioner, second.mac).revision == kept.revision
    first.update(ACTOR, {"state": "in_stock"})
    clock.advance(CHECK_SECONDS)
    assert ask(provisioner, first.mac) is None
    assert ask(provisioner, second.mac).revision == kept.revision
    assert reads == [[first.mac], [first.mac]]


def test_a_lifecycle_move_reaches_the_device_through_its_outbox_event(phone, services):
    clock = Clock()
    provisioner = make_provisioner(services, clock)
    assert ask(provisioner) is not None
    rules = Rules(replacement_deadline=lambda noted: noted + datetime.timedelta(hours=72),
                  return_due=lambda end: end + datetime.timedelta(days=1), today=lambda moment: moment.date())
    transitions.run(phone[0].pk, "end_contract", {"contract_end": datetime.date(2026, 6, 30)}, ACTOR, (ADMIN,),
                    datetime.datetime.now(datetime.timezone.utc), rules)
    clock.advance(CHECK_SECONDS)
    assert ask(provisioner) is None  # due back: no longer served


def test_a_change_to_the_site_or_the_customer_reaches_their_devices(phone, site, services, tmp_path):
    phone[0].update(ACTOR, {"customer": site.customer})
    clock = Clock()
    provisioner = make_provisioner(services, clock, showing_names(tmp_path))
    assert ask(provisioner).body.endswith(b"# site HQ, customer Acme\n")
    Site.objects.get(pk=site.pk).update(ACTOR, {"name": "Siege"})
    clock.advance(CHECK_SECONDS)
    assert ask(provisioner).body.endswith(b"# site Siege, customer Acme\n")
    Customer.objects.get(pk=site.customer.pk).update(ACTOR, {"name": "Acme SA"})
    clock.advance(CHECK_SECONDS)
    assert ask(provisioner).body.endswith(b"# site Siege, customer Acme SA\n")
    Site.objects.get(pk=site.pk).update(ACTOR, {"allowed_networks": ["198.51.100.0/24"]})
    clock.advance(CHECK_SECONDS)
    assert ask(provisioner) is None  # the request now comes from outside the site's ranges


def test_a_changed_mac_leaves_the_old_one_and_serves_the_new_one(phone, services):
    clock = Clock()
    provisioner = make_provisioner(services, clock)
    assert ask(provisioner) is not None
    assert ask(provisioner, "805ec0000fff") is None  # remembered as absent
    phone[0].update(ACTOR, {"mac": "805ec0000fff"})
    clock.advance(CHECK_SECONDS)
    assert ask(provisioner) is None
    assert b"Poste 101" in ask(provisioner, "805ec0000fff").body


def test_a_device_absent_before_is_found_after_its_insert(site, services):
    clock = Clock()
    provisioner = make_provisioner(services, clock)
    assert ask(provisioner, "805ec0000002") is None
    add_phone(site, services, 2)
    assert ask(provisioner, "805ec0000002") is None  # until the next check
    clock.advance(CHECK_SECONDS)
    assert b"Poste 102" in ask(provisioner, "805ec0000002").body


def test_a_template_override_lets_go_of_everything(phone, site, services):
    clock = Clock()
    provisioner = make_provisioner(services, clock)
    ask(provisioner)
    reads, epoch = counting_reads(provisioner), provisioner.devices.epoch
    TemplateOverride(scope="customer", customer=site.customer, vendor="yealink", template="device.cfg.j2",
                     source="{% extends 'base:yealink/device.cfg.j2' %}").insert(ACTOR)
    clock.advance(CHECK_SECONDS)
    ask(provisioner)
    assert reads == [[phone[0].mac]] and provisioner.devices.epoch == epoch + 1


def test_a_change_written_by_another_process_with_a_late_clock_is_seen(phone, services):
    clocks = Clock(), Clock()
    first, second = (make_provisioner(services, clock) for clock in clocks)
    kept = ask(first)
    ask(second)
    # Another process writes the line, bumps the generation, and logs the event under an id its clock,
    # 3 seconds behind ours, made: earlier than this process's previous check.
    line = Line.objects.get(pk=phone[1].pk)
    raw = line.to_mongo().to_dict()
    raw.update(display_name="Standard", version=line.version + 1)
    Line._get_collection().replace_one({"_id": line.pk, "version": line.version}, raw)
    for clock in clocks:
        clock.advance(CHECK_SECONDS)
    assert ask(first).revision == ask(second).revision == kept.revision  # nothing said yet: nothing seen
    generation.bump()
    late = ObjectId.from_datetime(datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=3))
    Event(id=ObjectId(str(late)[:8] + str(ObjectId())[8:]), at=datetime.datetime.now(datetime.timezone.utc),
          actor="@elsewhere", action="update", collection="lines", object_id=str(line.pk)).save(force_insert=True)
    for clock in clocks:
        clock.advance(CHECK_SECONDS)
    assert b"display_name = Standard" in ask(first).body and b"display_name = Standard" in ask(second).body


def test_changes_the_feed_cannot_vouch_for_let_go_of_everything(phone, site, services, monkeypatch):
    offset = [0.0]
    clock = Clock()
    provisioner = Provisioner(services, VENDORS.values(), devices=DeviceCache(
        clock=clock, feed=ChangeFeed(wall_clock=lambda: time.time() + offset[0])))
    ask(provisioner)
    epoch = provisioner.devices.epoch
    # More events than a window may hold.
    monkeypatch.setattr(record_changes, "MAX_EVENTS", 2)
    for number in range(2, 4):
        User(username=f"clerk{number}", roles=["support"], password_hash="x").insert(ACTOR)
    clock.advance(CHECK_SECONDS)
    ask(provisioner)
    assert provisioner.devices.epoch == epoch + 1
    monkeypatch.undo()
    # A bump whose event never comes (its writer died in between): everything goes after the grace delay.
    generation.bump()
    for _ in range(3):
        clock.advance(CHECK_SECONDS)
        offset[0] += record_changes.GRACE_SECONDS * 0.6
        ask(provisioner)
    assert provisioner.devices.epoch == epoch + 2
    # The previous read too long ago to trust a window that old.
    User(username="clerk9", roles=["support"], password_hash="x").insert(ACTOR)
    offset[0] += record_changes.MAX_WINDOW_SECONDS + 1
    clock.advance(CHECK_SECONDS)
    ask(provisioner)
    assert provisioner.devices.epoch == epoch + 3
    # The events cannot be read.
    clock.advance(CHECK_SECONDS)
    User(username="clerk10", roles=["support"], password_hash="x").insert(ACTOR)
    monkeypatch.setattr(record_changes, "_events_since", lambda *args: (_ for _ in ()).throw(AutoReconnect("down")))
    with pytest.raises(AutoReconnect):
        ask(provisioner)
    assert provisioner.devices.epoch == epoch + 4
    monkeypatch.undo()
    clock.advance(CHECK_SECONDS)
    assert ask(provisioner) is not None


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


def test_a_request_reading_nothing_is_answered_at_once_else_pending(site, services):
    known, _ = add_phone(site, services, 1)
    clock = Clock()
    provisioner = make_provisioner(services, clock)
    provisioner.devices.check()  # as the first request would: a check is due at start

    def request(mac: str) -> DeviceRequest:
        return DeviceRequest(path=f"/{mac}.cfg", user_agent=UA, source=SOURCE, transport="https")

    async def scenario() -> None:  # the front ends ask from within the IOLoop
        first = provisioner.answer_now(request(known.mac))
        assert isinstance(first, Pending) and first.macs == {known.mac}  # not kept yet: read first
        served = await provisioner.answer(request(known.mac))
        assert provisioner.answer_now(request(known.mac)) == served  # kept: answered without a read
        assert isinstance(provisioner.answer_now(request("805ec0000099")), Pending)  # unknown: looked for once
        await provisioner.answer(request("805ec0000099"))
        assert provisioner.answer_now(request("805ec0000099")) is None  # known absent: the missing answer at once
        clock.advance(CHECK_SECONDS)
        assert isinstance(provisioner.answer_now(request(known.mac)), Pending)  # a check is due: it goes first
        assert await provisioner.answer(request(known.mac)) == served

    asyncio.run(scenario())


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


def test_latest_fetches_are_written_a_few_at_a_time_and_all_at_stop(mongo_db):
    log = FetchLog(latest_per_flush=4)
    macs = [f"805ec0{number:06x}" for number in range(10)]
    for mac in macs:
        note(log, mac, "r1")
    note(log, macs[0], "r2")  # noted again while waiting: its newest is the one written
    assert log.flush() == 11  # the fetch log is written whole
    assert sorted(entry.mac for entry in LastFetch.objects) == macs[:4] and log.latest_pending() == 6
    assert log.flush() == 0 and LastFetch.objects.count() == 8 and log.latest_pending() == 2
    note(log, macs[9], "r2")
    log.flush(everything=True)  # as the server stops
    assert log.latest_pending() == 0
    assert {entry.mac: entry.revision for entry in LastFetch.objects} == {
        **{mac: "r1" for mac in macs}, macs[0]: "r2", macs[9]: "r2"}


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


def test_readings_are_remembered_per_path_and_user_agent_and_shared_unchanged(site, services):
    provisioner = make_provisioner(services, Clock())
    first = provisioner.identify("/805ec0000001.cfg", UA)
    assert provisioner.identify("/805ec0000001.cfg", UA) is first and isinstance(first, tuple)  # not to be changed
    assert [reading.file.mac for reading in first] == ["805ec0000001"]
    assert provisioner.identify("/805ec0000002.cfg", UA) != first
    unknown_agent = provisioner.identify("/805ec0000001.cfg", "curl/8.0")  # read afresh: every vendor's reading
    assert len(unknown_agent) > 1 and all(reading.user_agent is None for reading in unknown_agent)
    kept = provisioner._identified.cache_info().currsize
    long_path = "/" + "a/" * 200 + "805ec0000001.cfg"
    assert provisioner.identify(long_path, UA) == provisioner.identify(long_path, UA)  # read, not kept: no room
    provisioner.identify("/805ec0000001.cfg", UA + " x" * 300)
    assert provisioner._identified.cache_info().currsize == kept
