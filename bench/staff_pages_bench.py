"""Staff pages over 100,000 items: how long each page takes to answer, signed in, with a full database.

Starts `provisioner serve` (default settings, embedded NX-27017, temporary data directory) through
tests/server_process.py and inserts, in bulk and in their stored form: `--items` equipment records (the mix of
bench/reports_bench.py: one customer and one site per 100 items), two events per item in the event log,
`--tickets` failure tickets, `--appointments` appointments spread over 10 technicians and 60 days, and
`--quarantine` unknown devices. It then signs in through the login form as the admin (who may open every page)
and as a technician, and times each page of PAGES `--runs` times over one keep-alive connection, after one
warm-up request, from the request sent to the last byte read.

Target (issue 7): every page under 200 ms with 100,000 items in the database. Figures: docs/benchmarks.rst,
"Staff pages". Run from the repository root:

    python bench/staff_pages_bench.py            # about 2 minutes, most of it inserting
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from boot_storm import metric_total  # noqa: E402
from bson import ObjectId  # noqa: E402
from fleet import close_database, open_database, server_settings  # noqa: E402
from reports_bench import insert as insert_items  # noqa: E402
from reports_bench import make_records  # noqa: E402
from server_process import ADMIN_PASSWORD, ServerProcess  # noqa: E402

from inventory import ticket_rules  # noqa: E402
from inventory.appointments import Appointment  # noqa: E402
from inventory.contracts import Contract  # noqa: E402
from inventory.events import Event  # noqa: E402
from inventory.provisioning_log import QuarantinedDevice  # noqa: E402
from inventory.technicians import Technician  # noqa: E402
from inventory.tickets import FailureTicket  # noqa: E402

TARGET_MS = 200.0
TECHNICIANS = 10
PASSWORD = "bench technician password 42"
#: The pages timed as the admin (who may open every page); the names in braces are filled from the records.
PAGES = (
    "/staff/",
    "/staff/warehouse",
    "/staff/warehouse/returns",
    "/staff/warehouse/receiving",
    "/staff/warehouse/shipping",
    "/staff/warehouse/import",
    "/staff/items",
    "/staff/items?state=in_service&page=100",
    "/staff/items?vendor=yealink&state=failed",
    "/staff/items?customer={customer}",
    "/staff/items?q={serial}",
    "/staff/items?q={mac}",
    "/staff/items/{item}",
    "/staff/support/tickets",
    "/staff/support/tickets?at_risk=1",
    "/staff/support/tickets?customer={customer}",
    "/staff/support/tickets/{ticket}",
    "/staff/support/tickets/new",
    "/staff/support/credits",
    "/staff/support/devices/outdated",
    "/staff/support/quarantine",
    "/staff/support/devices/{item}/configuration",
    "/staff/appointments?view=week&technician={technician}",
    "/staff/appointments/{appointment}",
    "/staff/appointments/new",
    "/staff/admin/users",
    "/staff/admin/templates",
    "/staff/tokens",
)
#: The pages timed as a technician (their own appointments and the tickets they may read).
TECHNICIAN_PAGES = (
    "/staff/appointments?view=week",
    "/staff/appointments?view=day",
    "/staff/support/tickets",
)


def stamps(now: dt.datetime) -> dict[str, Any]:
    return {"version": 1, "created_at": now, "updated_at": now}


def make_events(items: list[dict], now: dt.datetime) -> list[dict]:
    """Two events per item (created, then moved), as the event log holds them."""
    events = []
    for item in items:
        for hours, action in ((2000, "create"), (100, "transition:move")):
            events.append({"_id": ObjectId(), "at": now - dt.timedelta(hours=hours), "actor": "wendy",
                           "action": action, "collection": "equipment", "object_id": str(item["_id"]),
                           "before": {}, "after": {"state": item["state"], "serial": item["serial"]},
                           "request_id": "bench", "source": "bench"})
    return events


def make_tickets(items: list[dict], count: int, now: dt.datetime, rng: random.Random) -> list[dict]:
    """`count` tickets on items at customers: the failed ones open, the others restored or closed."""
    placed = [item for item in items if item.get("site")]
    tickets = []
    for number, item in enumerate(rng.sample(placed, min(count, len(placed))), start=1):
        notified = now - dt.timedelta(hours=rng.uniform(0, 24 * 60))
        state = "open" if item["state"] == "failed" else rng.choice(("in_progress", "restored", "closed"))
        ticket = FailureTicket(
            id=ObjectId(), number=f"INC-{now.year}-{number:06d}", customer=ObjectId(item["customer"]),
            site=ObjectId(item["site"]), equipment=item["_id"], service="equipment", channel="phone",
            notified_at=notified, description="no dial tone", opened_by="bench", state=state,
            restoration_due_at=notified + dt.timedelta(hours=4), **stamps(now))
        if state in ("restored", "closed"):
            ticket.restored_at = notified + dt.timedelta(hours=rng.uniform(1, 8))
        if state == "closed":
            ticket.closed_at, ticket.closing_reason = ticket.restored_at, "restored"
        tickets.append(ticket.to_mongo().to_dict())
    assert set(t["state"] for t in tickets) <= set(ticket_rules.STATES)
    return tickets


def make_appointments(database: Any, sites: list[dict], count: int, now: dt.datetime,
                      rng: random.Random) -> tuple[list[dict], list[dict], list[dict]]:
    """(technicians, contracts, appointments): 10 technicians linked to existing users, one contract per site
    used, `count` visits over 60 days around today, 9:00 to 17:00 Paris time."""
    users = list(database["users"].find({"username": {"$regex": "^tech"}}, {"_id": 1, "username": 1}))
    technicians = [Technician(id=ObjectId(), user=user["_id"], name=user["username"].title(), zones=["75"],
                              **stamps(now)).to_mongo().to_dict() for user in users]
    contracts, appointments = {}, []
    for _ in range(count):
        site = rng.choice(sites)
        if site["_id"] not in contracts:
            contracts[site["_id"]] = Contract(
                id=ObjectId(), customer=site["customer"], reference=f"CT-{len(contracts):06d}", state="active",
                order_date=now.date() - dt.timedelta(days=400), **stamps(now)).to_mongo().to_dict()
        day = now.date() + dt.timedelta(days=rng.randint(-30, 30))
        start = dt.datetime.combine(day, dt.time(rng.randint(7, 15), rng.choice((0, 30))))
        appointments.append(Appointment(
            id=ObjectId(), site=site["_id"], customer=site["customer"], contract=contracts[site["_id"]]["_id"],
            departement="75", technician=rng.choice(technicians)["_id"], start=start, duration_minutes=90,
            travel_minutes=30, day=day.isoformat(), state="booked", **stamps(now)).to_mongo().to_dict())
    return technicians, list(contracts.values()), appointments


def make_quarantine(count: int, now: dt.datetime) -> list[dict]:
    return [QuarantinedDevice(id=ObjectId(), mac=f"0015{n:08x}", vendor="yealink", model="T46U",
                              source=f"192.0.2.{n % 250 + 1}", user_agent="Yealink SIP-T46U 108.86.0.75",
                              first_seen=now - dt.timedelta(days=2), last_seen=now).to_mongo().to_dict()
            for n in range(count)]


def bulk(database: Any, document: type, stored: list[dict]) -> None:
    collection = database[document._get_collection_name()]
    for start in range(0, len(stored), 1000):
        collection.insert_many(stored[start:start + 1000], ordered=False)


class Browser:
    """One keep-alive connection with the cookies a browser would keep, signed in through the login form."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        answer = self.connection.getresponse()
        content = answer.read()
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0].strip('"')
        return answer.status, content

    def sign_in(self, username: str, password: str) -> None:
        self.send("GET", "/staff/login")
        status, body = self.send("POST", "/staff/login", {"_xsrf": self.cookies["_xsrf"], "username": username,
                                                          "password": password})
        if status != 302:
            raise RuntimeError(f"signing in as {username}: {status} {body[:300]!r}")

    def timed(self, path: str, runs: int) -> tuple[list[float], int]:
        """Milliseconds of each of `runs` GETs of `path` after one warm-up, and the page's size."""
        status, body = self.send("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            status, body = self.send("GET", path)
            times.append(1000 * (time.perf_counter() - started))
            if status != 200:
                raise RuntimeError(f"GET {path}: {status}")
        return times, len(body)


def settle(server: ServerProcess, token: str, timeout: float = 600) -> None:
    """Wait until the server is done with the inserted records (its processes render the served devices' files
    ahead): no file waiting and the count of files rendered still for a second."""
    started, last = time.monotonic(), -1.0
    while time.monotonic() - started < timeout:
        done = metric_total(server, token, "provisioner_files_rendered_ahead_total")
        if done == last and metric_total(server, token, "provisioner_render_ahead_waiting") == 0:
            print(f"server settled after {time.monotonic() - started:.1f} s ({done:.0f} files rendered ahead)")
            return
        last = done
        time.sleep(1)
    raise SystemExit(f"the server was still rendering files ahead after {timeout:.0f} s")


def filled(path: str, names: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: names[match.group(1)], path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=5_000)
    parser.add_argument("--appointments", type=int, default=5_000)
    parser.add_argument("--quarantine", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--work-dir", default=None, help="where the temporary data directory goes")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="staff-pages-bench-", dir=args.work_dir))
    env, settings, box = server_settings({})
    server = ServerProcess(work / "server", env=env)
    rng = random.Random(args.seed)
    try:
        server.start(timeout=60)
        token = server.token()
        for number in range(TECHNICIANS):
            status, _, answer = server.request("POST", "/api/v1/users", {
                "username": f"tech{number}", "roles": ["technician"], "password": PASSWORD,
                "display_name": f"Tech {number}", "must_change_password": False}, token=token)
            assert status == 201, answer
        database = open_database(server, settings)
        moment = time.monotonic()
        now = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
        customers, sites, items, certificates = records = make_records(args.items, args.seed)
        secret = box.encrypt("bench admin password 42")  # one value for all: the server must be able to read it
        for item in items:
            item["admin_password_enc"] = secret
        insert_items(database, records)
        bulk(database, Event, make_events(items, now))
        tickets = make_tickets(items, args.tickets, now, rng)
        bulk(database, FailureTicket, tickets)
        technicians, contracts, appointments = make_appointments(database, sites, args.appointments, now, rng)
        bulk(database, Technician, technicians)
        bulk(database, Contract, contracts)
        bulk(database, Appointment, appointments)
        bulk(database, QuarantinedDevice, make_quarantine(args.quarantine, now))
        print(f"{len(items)} items, {2 * len(items)} events, {len(tickets)} tickets, {len(appointments)} "
              f"appointments, {args.quarantine} quarantined devices inserted in {time.monotonic() - moment:.1f} s",
              flush=True)
        settle(server, token)
        item = next(i for i in items if i["state"] == "in_service")
        names = {"item": str(item["_id"]), "serial": item["serial"], "mac": item["mac"].upper(),
                 "customer": customers[len(customers) // 2]["reference"], "ticket": str(tickets[0]["_id"]),
                 "appointment": str(appointments[0]["_id"]), "user": str(technicians[0]["user"]),
                 "technician": str(technicians[0]["_id"])}
        worst = 0.0
        for username, password, paths in (("admin", ADMIN_PASSWORD, PAGES), ("tech0", PASSWORD, TECHNICIAN_PAGES)):
            browser = Browser(server.port)
            browser.sign_in(username, password)
            for path in paths:
                times, size = browser.timed(filled(path, names), args.runs)
                ordered = sorted(times)
                worst = max(worst, ordered[-1])
                print(f"{username:<6} GET {path:<46} median {statistics.median(ordered):6.1f} ms   "
                      f"max {ordered[-1]:6.1f}   ({size} bytes)", flush=True)
            browser.connection.close()
        verdict = "met" if worst < TARGET_MS else "NOT met"
        print(f"target: every page under {TARGET_MS:.0f} ms (slowest answer {worst:.1f} ms): {verdict}")
        return 0 if worst < TARGET_MS else 1
    except RuntimeError:
        print(server.log()[-4000:], file=sys.stderr)  # the server's side of a failed page
        raise
    finally:
        close_database()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
