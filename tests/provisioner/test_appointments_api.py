"""The installation endpoints over the real application and database: technicians, booking with its 409 naming
the conflict, a technician's own day and week, free slots, cancellation with its preview and charge, the
checklist completing the installation, the iCalendar feed behind its secret URL, and the reports."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import icalendar
import pytest

from inventory import booking_locks
from inventory.appointments import Appointment
from inventory.business_calendar import is_holiday
from inventory.charges import ChargeLine
from inventory.contracts import Contract
from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor
from inventory.staff import User

pytestmark = pytest.mark.gen_test
ACTOR = Actor.system("tests")
HOURS = {day: "08:00-18:00" for day in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
def world(mongo_db, services) -> dict[str, str]:
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    site = Site(customer=customer, name="Siège", address="1 rue de la Paix", postcode="75002", city="Paris").insert(ACTOR)
    ajaccio = Site(customer=customer, name="Ajaccio", address="2 cours Napoléon", postcode="20000",
                   city="Ajaccio").insert(ACTOR)
    contract = Contract(customer=customer, reference="ACME-2026-01", order_date=dt.date(2026, 5, 4)).insert(ACTOR)
    item = Equipment(serial="YL-1", mac="805ec0000001", vendor="yealink", model="T46U", site=site, state="delivered",
                     admin_password_enc="x").insert(ACTOR)
    return {"site": str(site.pk), "ajaccio": str(ajaccio.pk), "contract": str(contract.pk), "item": str(item.pk),
            "customer": str(customer.pk)}


async def make_technician(call, staff, admin, username: str, zones: list[str]) -> tuple[str, str]:
    """A technician (record id) and their API token."""
    token = staff("technician", username=username)
    user = User.objects(username=username).first()
    created = await call("POST", "/api/v1/technicians", {"user": str(user.pk), "working_hours": HOURS, "zones": zones,
                                                         "skills": ["fibre"], "travel_minutes": {zones[0]: 30}}, admin)
    assert created.status == 201, created.body
    return created.body["id"], token


def booking(world, technician: str, start: str, **more) -> dict:
    return {"site": world["site"], "technician": technician, "contract": world["contract"], "start": start,
            "duration_minutes": 60, **more}


async def test_technicians_are_recorded_by_admins_with_checked_zones(call, staff, admin, world) -> None:
    support = staff("support")
    alice, _ = await make_technician(call, staff, admin, "alice", ["75", "2A"])
    read = await call("GET", f"/api/v1/technicians/{alice}", token=support)
    assert read.body["zones"] == ["75", "2A"] and read.body["feed"] == {"active": False, "hint": None}
    user = User.objects(username="alice").first()
    refused = await call("POST", "/api/v1/technicians", {"user": str(user.pk), "working_hours": HOURS,
                                                         "zones": ["75"]}, support)
    assert refused.status == 403
    for zones, fragment in ((["20"], "2A"), (["974"], "overseas")):
        bad = await call("PATCH", f"/api/v1/technicians/{alice}", {"zones": zones}, admin)
        assert bad.status == 422 and fragment in bad.body["fields"]["zones"]
    bad = await call("PATCH", f"/api/v1/technicians/{alice}", {"working_hours": {"mon": "18:00-08:00"}}, admin)
    assert bad.status == 422 and "working_hours" in bad.body["fields"]
    support_user = User.objects(roles="support").first()
    not_tech = await call("POST", "/api/v1/technicians", {"user": str(support_user.pk), "working_hours": HOURS,
                                                          "zones": ["75"]}, admin)
    assert not_tech.status == 422 and "technician role" in not_tech.body["fields"]["user"]


async def test_booking_answers_201_then_409_naming_the_conflict_and_422_naming_the_fields(call, staff, admin,
                                                                                         world) -> None:
    alice, _ = await make_technician(call, staff, admin, "alice", ["75"])
    first = await call("POST", "/api/v1/appointments", booking(world, alice, "2026-06-08T08:00:00Z"), admin)
    assert first.status == 201, first.body
    assert first.body["start_local"] == "2026-06-08T10:00:00+02:00" and first.body["sequence"] == 0
    clash = await call("POST", "/api/v1/appointments", booking(world, alice, "2026-06-08T09:30:00Z"), admin)
    assert clash.status == 409 and clash.body["conflict"]["id"] == first.body["id"]
    assert first.body["id"] in clash.body["message"]
    bad = await call("POST", "/api/v1/appointments", {"site": world["site"], "start": "tomorrow", "extra": 1}, admin)
    assert bad.status == 422 and set(bad.body["fields"]) >= {"start", "extra", "technician", "duration_minutes"}
    holiday = await call("POST", "/api/v1/appointments", booking(world, alice, "2026-07-14T08:00:00Z"), admin)
    assert holiday.status == 422 and "public holiday" in holiday.body["message"]
    corsica = await call("POST", "/api/v1/appointments", {**booking(world, alice, "2026-06-09T08:00:00Z"),
                                                          "site": world["ajaccio"]}, admin)
    assert corsica.status == 422 and "2A" in corsica.body["message"]


async def test_a_schedule_held_by_another_request_answers_503_with_retry_after_and_writes_nothing(
        call, staff, admin, world, monkeypatch) -> None:
    alice, _ = await make_technician(call, staff, admin, "alice", ["75"])
    key = booking_locks.technician_key(alice)
    booking_locks.BookingLock._get_collection().insert_one({"_id": key, "holder": "another request",
                                                            "expires_ms": 2**52})
    monkeypatch.setattr(booking_locks, "WAIT_SECONDS", 0.2)
    busy = await call("POST", "/api/v1/appointments", booking(world, alice, "2026-06-08T08:00:00Z"), admin)
    assert busy.status == 503 and busy.headers["Retry-After"] == "2", busy.body
    assert "try again" in busy.body["message"] and busy.body["error"] == "unavailable"
    assert Appointment.objects.count() == 0
    booking_locks.BookingLock._get_collection().delete_one({"_id": key})
    assert (await call("POST", "/api/v1/appointments", booking(world, alice, "2026-06-08T08:00:00Z"), admin)).status == 201


async def test_a_technician_sees_their_own_day_and_week_only(call, staff, admin, world) -> None:
    alice, alice_token = await make_technician(call, staff, admin, "alice", ["75"])
    bruno, bruno_token = await make_technician(call, staff, admin, "bruno", ["75"])
    mine = (await call("POST", "/api/v1/appointments", booking(world, alice, "2026-06-08T08:00:00Z"), admin)).body
    theirs = (await call("POST", "/api/v1/appointments", booking(world, bruno, "2026-06-10T08:00:00Z"), admin)).body
    day = await call("GET", "/api/v1/appointments?day=2026-06-08", token=alice_token)
    assert [a["id"] for a in day.body["items"]] == [mine["id"]]
    week = await call("GET", f"/api/v1/appointments?week=2026-W24&technician={bruno}", token=alice_token)
    assert [a["id"] for a in week.body["items"]] == [mine["id"]]  # a technician always gets their own
    everyone = await call("GET", "/api/v1/appointments?week=2026-W24", token=admin)
    assert {a["id"] for a in everyone.body["items"]} == {mine["id"], theirs["id"]}
    assert (await call("GET", f"/api/v1/appointments/{theirs['id']}", token=alice_token)).status == 404
    assert (await call("GET", "/api/v1/appointments?week=2026-24", token=admin)).status == 400
    assert (await call("POST", f"/api/v1/appointments/{mine['id']}/cancel", {"by": "customer"}, alice_token)).status == 403
    assert (await call("GET", "/api/v1/appointments?day=2026-06-08", token=staff("warehouse"))).status == 403


async def test_free_slots_for_a_site(call, staff, admin, world) -> None:
    alice, _ = await make_technician(call, staff, admin, "alice", ["75"])
    await call("POST", "/api/v1/appointments", booking(world, alice, "2026-06-08T06:30:00Z"), admin)  # 08:30 Paris
    found = await call("GET", f"/api/v1/appointments/free-slots?site={world['site']}&duration=60"
                              "&from=2026-06-08T06:00:00Z&days=1&skills=fibre", token=admin)
    assert found.status == 200, found.body
    starts = [slot["start_local"][11:16] for slot in found.body["items"]]
    assert starts[0] == "10:30" and starts[-1] == "16:30" and "10:00" not in starts
    nobody = await call("GET", f"/api/v1/appointments/free-slots?site={world['site']}&duration=60"
                               "&from=2026-06-08T06:00:00Z&days=1&skills=cisco", token=admin)
    assert nobody.body["items"] == []
    bad = await call("GET", f"/api/v1/appointments/free-slots?site={world['site']}&duration=5", token=admin)
    assert bad.status == 400 and "duration" in bad.body["fields"]


async def test_a_late_customer_cancellation_is_previewed_then_charged(call, staff, admin, world) -> None:
    alice, _ = await make_technician(call, staff, admin, "alice", ["75"])
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    while start.weekday() >= 5 or start.hour not in range(8, 14) or is_holiday(start.date(), "75"):
        start = (start + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    created = (await call("POST", "/api/v1/appointments",
                          booking(world, alice, start.isoformat().replace("+00:00", "Z")), admin)).body
    path = f"/api/v1/appointments/{created['id']}/cancel"
    preview = await call("POST", path + "?dry_run=true", {"by": "customer"}, admin)
    assert preview.status == 200 and (preview.body["late"], preview.body["amount_cents"]) == (True, 15000)
    assert ChargeLine.objects.count() == 0
    stale = await call("POST", path, {"by": "customer"}, admin, {"If-Match": '"7"'})
    assert stale.status == 409
    done = await call("POST", path, {"by": "customer", "reason": "closed that day"}, admin)
    assert done.status == 200, done.body
    assert done.body["appointment"]["state"] == "cancelled" and done.body["appointment"]["sequence"] == 1
    assert done.body["charge"]["amount_cents"] == 15000
    assert [str(line.pk) for line in ChargeLine.objects(appointment=created["id"])] == [done.body["charge"]["id"]]
    report = await call("GET", "/api/v1/reports/late-cancellations", token=admin)
    assert [row["appointment"] for row in report.body["items"]] == [created["id"]]
    csv = await call("GET", "/api/v1/reports/late-cancellations?format=csv", token=admin)
    assert csv.body.splitlines()[0].startswith("cancelled_at,appointment") and created["id"] in csv.body


async def test_the_checklist_completes_the_installation(call, staff, admin, world) -> None:
    alice, alice_token = await make_technician(call, staff, admin, "alice", ["75"])
    created = (await call("POST", "/api/v1/appointments",
                          booking(world, alice, "2026-06-08T08:00:00Z", equipment=[world["item"]]), admin)).body
    path = f"/api/v1/appointments/{created['id']}/checklist"
    half = await call("POST", path, {"items": ["configuration", "connection"]}, alice_token)
    assert half.status == 200 and half.body["checklist"]["connection"]["by"] == "alice"
    assert (await call("POST", path, {"items": ["coffee"]}, alice_token)).status == 422
    done = await call("POST", path, {"items": ["tests", "acceptance"]}, alice_token)
    assert done.status == 200 and done.body["state"] == "completed", done.body
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=1))).date()
    assert done.body["go_live_recorded"] in (today.isoformat(), (today - dt.timedelta(days=1)).isoformat())
    assert Equipment.objects(pk=world["item"]).first().state == "in_service"
    assert Contract.objects(pk=world["contract"]).first().go_live_date.isoformat() == done.body["go_live_recorded"]


async def test_the_calendar_feed_is_behind_a_revocable_secret_url(call, staff, admin, world, http_client,
                                                                   base_url) -> None:
    alice, alice_token = await make_technician(call, staff, admin, "alice", ["75"])
    created = (await call("POST", "/api/v1/appointments", booking(world, alice, "2026-12-07T08:00:00Z"), admin)).body
    other = (await call("POST", "/api/v1/appointments", booking(world, alice, "2026-12-08T08:00:00Z"), admin)).body
    await call("POST", f"/api/v1/appointments/{created['id']}/reschedule", {"start": "2026-12-07T10:00:00Z"}, admin)
    await call("POST", f"/api/v1/appointments/{other['id']}/cancel", {"by": "provider"}, admin)
    issued = await call("POST", f"/api/v1/technicians/{alice}/feed-token", token=alice_token)
    assert issued.status == 201
    url = urlsplit(issued.body["url"])
    feed = await http_client.fetch(f"{base_url}{url.path}?{url.query}", raise_error=False)
    assert feed.code == 200 and feed.headers["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(feed.body)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {f"{created['id']}@installations.example.net", f"{other['id']}@installations.example.net"}
    moved, gone = events[f"{created['id']}@installations.example.net"], events[f"{other['id']}@installations.example.net"]
    assert (int(moved["SEQUENCE"]), str(moved["STATUS"])) == (1, "CONFIRMED")
    assert str(moved["SUMMARY"]) == "Installation Siège (Paris)" and str(moved["DESCRIPTION"]).startswith("Client : Acme\n")
    assert moved.decoded("DTSTART") == dt.datetime(2026, 12, 7, 11, tzinfo=moved.decoded("DTSTART").tzinfo)
    assert moved["DTSTART"].params["TZID"] == "Europe/Paris"
    assert (int(gone["SEQUENCE"]), str(gone["STATUS"])) == (1, "CANCELLED")
    wrong = await http_client.fetch(f"{base_url}{url.path}?token=ics_wrong", raise_error=False)
    assert wrong.code == 404
    assert (await call("DELETE", f"/api/v1/technicians/{alice}/feed-token", token=alice_token)).status == 204
    revoked = await http_client.fetch(f"{base_url}{url.path}?{url.query}", raise_error=False)
    assert revoked.code == 404
    bruno_token = staff("technician", username="bruno")
    assert (await call("POST", f"/api/v1/technicians/{alice}/feed-token", token=bruno_token)).status == 404


async def test_the_appointments_report_per_technician_and_week(call, staff, admin, world) -> None:
    alice, _ = await make_technician(call, staff, admin, "alice", ["75"])
    created = (await call("POST", "/api/v1/appointments", booking(world, alice, "2026-06-09T08:00:00Z"), admin)).body
    report = await call("GET", f"/api/v1/reports/appointments?week=2026-W24&technician={alice}", token=admin)
    assert report.status == 200 and [row["appointment"] for row in report.body["items"]] == [created["id"]]
    assert report.body["items"][0]["technician_name"] == "alice"
    empty = await call("GET", "/api/v1/reports/appointments?day=2026-06-08", token=admin)
    assert empty.body["items"] == []
    assert (await call("GET", "/api/v1/reports/appointments", token=admin)).status == 400


async def test_the_report_command_prints_a_technicians_week_and_the_late_cancellations(
        call, staff, admin, world, services, monkeypatch, capsys) -> None:
    from provisioner import cli

    alice, _ = await make_technician(call, staff, admin, "alice", ["75"])
    created = (await call("POST", "/api/v1/appointments", booking(world, alice, "2026-06-09T08:00:00Z"), admin)).body
    monkeypatch.setattr(cli, "_with_storage", lambda args, work: work(None))
    assert cli.main(["report", "appointments", "--week", "2026-W24", "--technician", alice]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split()[:3] == ["day", "start", "end"] and created["id"] in table
    assert cli.main(["report", "appointments", "--day", "2026-06-10", "--csv"]) == 0
    assert capsys.readouterr().out.strip() == ",".join(
        ("day", "start", "end", "technician", "technician_name", "appointment", "state", "site", "site_name", "city",
         "departement", "customer_name", "duration_minutes", "travel_minutes", "sequence", "checklist_done"))
    assert cli.main(["report", "late-cancellations", "--since", "2026-01-01", "--csv"]) == 0
    assert capsys.readouterr().out.startswith("cancelled_at,appointment,")
    assert cli.main(["report", "appointments", "--week", "2026-24"]) == 2
    assert "ISO week" in capsys.readouterr().err
    assert cli.main(["report", "late-cancellations", "--since", "June"]) == 2
