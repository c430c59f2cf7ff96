"""Call records stored and served, on the real application and embedded database: written behind in bulk,
kept one year, read back into the core's fair-use count, listed and exported by the API (support and admin
only), and the monthly fair-use report over HTTP and from the command line."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from bson import ObjectId

from inventory import call_records as stored
from provisioner.sip_call_log import SipCallLog, as_document, from_document
from sip_core.call_records import CallRecord, EndedBy, Outcome
from sip_core.fair_use import month_bounds
from sip_core.fraud import DistinctDestinations, month_key
from sip_core.numbering import DestinationClass as D

pytestmark = pytest.mark.gen_test
LINE_A, LINE_B, SITE_A, SITE_B, CUSTOMER = "a" * 24, "b" * 24, "5" * 24, "6" * 24, "c" * 24
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
MONTH = month_key(NOW)
MONTH_START = month_bounds(MONTH)[0]


def record(line: str, number: str, start: dt.datetime, outcome: Outcome = Outcome.ANSWERED, site: str = SITE_A,
           destination_class: D = D.MOBILE, call_id: str | None = None) -> CallRecord:
    answered = outcome is Outcome.ANSWERED
    return CallRecord(
        call_id=call_id or f"{line}-{number}-{start.isoformat()}", caller=f"u-{line[:4]}", caller_number="+33190001001",
        caller_line=line, caller_site=site, caller_customer=CUSTOMER, dialled=number.replace("+33", "0"),
        number=number, destination_class=destination_class, callee_line="", callee_site="", callee_customer="",
        start=start, answer=start + dt.timedelta(seconds=4) if answered else None,
        end=start + dt.timedelta(seconds=64), outcome=outcome, status=200 if answered else 486,
        ended_by=EndedBy.BYE if answered else EndedBy.FINAL)


def store(*records: CallRecord) -> None:
    log = SipCallLog()
    for each in records:
        log.record(each)
    log.close()  # never started: flushes here


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --- storage ------------------------------------------------------------------------------------------


def test_records_are_written_in_bulk_read_back_whole_and_kept_one_year(mongo_db, services) -> None:
    calls = [record(LINE_A, "+33612340001", NOW - dt.timedelta(hours=2)),
             record(LINE_A, "+33612340002", NOW - dt.timedelta(hours=1), Outcome.BUSY),
             record(LINE_B, "+33612340001", NOW - dt.timedelta(days=364))]
    log = SipCallLog()
    for each in calls:
        log.record(each)
    assert log.writer.pending() == 3 and stored.CallRecord.objects.count() == 0  # nothing written on the loop
    assert log.writer.flush() == 3
    documents = list(stored.CallRecord._get_collection().find().sort("start", 1))
    assert [from_document(document) for document in documents] == sorted(calls, key=lambda c: c.start)
    assert [document["duration"] for document in documents] == [60.0, 60.0, 0.0]  # the busy one never answered
    ttl = [index for index in stored.CallRecord._get_collection().index_information().values()
           if "expireAfterSeconds" in index]
    assert [(index["key"], index["expireAfterSeconds"]) for index in ttl] == [([("start", 1)], 365 * 86400)]


def test_a_batch_written_twice_is_stored_once(mongo_db, services) -> None:
    log = SipCallLog()
    key, document = ObjectId(), as_document(record(LINE_A, "+33612340001", NOW))
    log.writer.put(key, document)
    log.writer.flush()
    log.writer.put(key, document)  # a batch tried again after the database took part of it
    log.writer.flush()
    assert stored.CallRecord._get_collection().count_documents({}) == 1 and log.writer.dropped == 1


def test_a_restarted_core_gets_the_month_counts_back(mongo_db, services) -> None:
    last_month = MONTH_START - dt.timedelta(days=2)
    store(record(LINE_A, "+33612340001", MONTH_START + dt.timedelta(minutes=1)),
          record(LINE_A, "+33612340002", MONTH_START + dt.timedelta(minutes=2)),
          record(LINE_A, "+33612340002", MONTH_START + dt.timedelta(minutes=3)),
          record(LINE_A, "+33612340003", MONTH_START + dt.timedelta(minutes=4), Outcome.NO_ANSWER),
          record(LINE_A, "", MONTH_START + dt.timedelta(minutes=5), destination_class=D.INTERNAL),
          record(LINE_A, "+33612340004", last_month),
          record(LINE_B, "+33612340001", MONTH_START + dt.timedelta(minutes=6)))
    counter = DistinctDestinations(alert_at=2, limit=3)
    assert SipCallLog().restore(counter, NOW) == 2
    assert (counter.count(LINE_A, MONTH), counter.count(LINE_B, MONTH)) == (2, 1)
    # Line A was at the alert before the restart: not reported again; passing the limit is.
    assert [counter.record(LINE_A, number, NOW) for number in ("+33612340002", "+33612340005", "+33612340006")] == [
        None, None, "over"]


# --- the API ------------------------------------------------------------------------------------------


@pytest.fixture
def history(mongo_db, services) -> list[CallRecord]:
    """Line A (site A) called three times yesterday and once three days ago; line B (site B) once yesterday."""
    yesterday = NOW - dt.timedelta(days=1)
    calls = [record(LINE_A, "+33612340001", yesterday - dt.timedelta(minutes=30)),
             record(LINE_A, "+33612340002", yesterday - dt.timedelta(minutes=20), Outcome.BUSY),
             record(LINE_A, "+33612340003", yesterday - dt.timedelta(minutes=10)),
             record(LINE_A, "+33612340004", NOW - dt.timedelta(days=3)),
             record(LINE_B, "+33612340009", yesterday, site=SITE_B)]
    store(*calls)
    return calls


async def test_call_records_newest_first_filtered_and_paged(call, history, staff, services) -> None:
    support = staff("support")
    answer = await call("GET", "/api/v1/call-records", token=support)
    assert answer.status == 200, answer.body
    assert answer.body["total"] == 5 and answer.body["report"] == "call-records"
    assert [row["call_id"] for row in answer.body["items"]] == [
        c.call_id for c in sorted(history, key=lambda c: c.start, reverse=True)]
    first = answer.body["items"][-1]
    assert (first["caller_line"], first["number"], first["destination_class"], first["outcome"], first["status"],
            first["duration"], first["ended_by"]) == (LINE_A, "+33612340004", "mobile", "answered", 200, 60.0, "bye")
    assert first["start"].endswith("Z") and first["id"]

    by_line = (await call("GET", f"/api/v1/call-records?line={LINE_A}&outcome=answered", token=support)).body
    assert [row["number"] for row in by_line["items"]] == ["+33612340003", "+33612340001", "+33612340004"]
    by_site = (await call("GET", f"/api/v1/call-records?site={SITE_B}&customer={CUSTOMER}", token=support)).body
    assert [row["caller_line"] for row in by_site["items"]] == [LINE_B]
    day = (NOW - dt.timedelta(days=3)).astimezone(ZoneInfo(services.settings.calendar.timezone)).date().isoformat()
    on_day = (await call("GET", f"/api/v1/call-records?line={LINE_A}&from={day}&to={day}", token=support)).body
    assert [row["number"] for row in on_day["items"]] == ["+33612340004"]
    paged = (await call("GET", f"/api/v1/call-records?line={LINE_A}&page=2&per_page=3", token=support)).body
    assert ([row["number"] for row in paged["items"]], paged["total"]) == (["+33612340004"], 4)
    assert paged["parameters"]["page"] == 2 and paged["parameters"]["line"] == LINE_A


async def test_call_records_as_csv(call, history, admin) -> None:
    answer = await call("GET", f"/api/v1/call-records?format=csv&line={LINE_B}", token=admin)
    assert answer.status == 200 and answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="call-records-' in answer.headers["Content-Disposition"]
    [row] = parse_csv(answer.body)
    assert (row["caller_line"], row["caller_site"], row["number"], row["outcome"], row["callee_line"]) == (
        LINE_B, SITE_B, "+33612340009", "answered", "")
    assert list(row)[:4] == ["start", "answer", "end", "duration"]


async def test_call_records_are_for_support_and_admin_only(call, history, staff) -> None:
    for role in ("warehouse", "technician"):
        refused = await call("GET", "/api/v1/call-records", token=staff(role))
        assert refused.status == 403 and "support" in refused.body["message"]
        assert (await call("GET", "/api/v1/reports/fair-use", token=staff(role))).status == 403
    assert (await call("GET", "/api/v1/call-records")).status == 401


@pytest.mark.parametrize("query, field", [
    ("line=nope", "line"), ("site=" + "g" * 24, "site"), ("outcome=won", "outcome"), ("from=2026-13-01", "from"),
    ("to=26-11-01", "to"), ("from=2026-11-05&to=2026-11-04", "to"), ("from=0001-01-01", "from"),
    ("to=9999-12-31", "to"), ("per_page=10001", "per_page"), ("page=0", "page"), ("caller=u1", "caller"),
])
async def test_call_records_refuse_bad_arguments_naming_them(call, mongo_db, admin, query, field) -> None:
    answer = await call("GET", f"/api/v1/call-records?{query}", token=admin)
    assert answer.status == 400 and field in answer.body["fields"], answer.body


# --- fair use -----------------------------------------------------------------------------------------


@pytest.fixture
def month_of_calls(mongo_db, services) -> None:
    """This month, line A called 151 distinct mobiles (one of them twice), line B 150; line B's calls to
    premium and internal numbers and its unanswered ones do not count."""
    calls = [record(LINE_A, f"+3361234{n:04d}", MONTH_START + dt.timedelta(minutes=n)) for n in range(151)]
    calls.append(record(LINE_A, "+33612340000", MONTH_START + dt.timedelta(minutes=200)))
    calls += [record(LINE_B, f"+3371234{n:04d}", MONTH_START + dt.timedelta(minutes=n, seconds=30), site=SITE_B)
              for n in range(150)]
    calls += [record(LINE_B, "+33899123456", MONTH_START + dt.timedelta(minutes=201), destination_class=D.PREMIUM),
              record(LINE_B, "", MONTH_START + dt.timedelta(minutes=202), destination_class=D.INTERNAL),
              record(LINE_B, "+33612349999", MONTH_START + dt.timedelta(minutes=203), Outcome.NO_ANSWER),
              record(LINE_B, "+33612348888", MONTH_START - dt.timedelta(minutes=1))]  # last month
    store(*calls)


async def test_fair_use_lists_the_lines_past_150(call, month_of_calls, staff) -> None:
    support = staff("support")
    answer = await call("GET", f"/api/v1/reports/fair-use?month={MONTH}", token=support)
    assert answer.status == 200, answer.body
    [row] = answer.body["items"]
    assert (row["line"], row["distinct_numbers"], row["counted_calls"], row["state"], row["site"]) == (
        LINE_A, 151, 152, "over", SITE_A)
    assert row["over_since"] == (MONTH_START + dt.timedelta(minutes=150)).isoformat(timespec="milliseconds")[:-6] + "Z"
    assert answer.body["parameters"] == {"month": MONTH, "threshold": 150, "alert_at": 120, "limit": 150}
    both = (await call("GET", f"/api/v1/reports/fair-use?month={MONTH}&threshold=149", token=support)).body
    assert [(r["line"], r["distinct_numbers"], r["state"]) for r in both["items"]] == [
        (LINE_A, 151, "over"), (LINE_B, 150, "alert")]
    as_csv = await call("GET", f"/api/v1/reports/fair-use?month={MONTH}&format=csv", token=support)
    assert [(r["line"], r["distinct_numbers"]) for r in parse_csv(as_csv.body)] == [(LINE_A, "151")]
    current = (await call("GET", "/api/v1/reports/fair-use", token=support)).body
    assert current["parameters"]["month"] == MONTH and len(current["items"]) == 1


@pytest.mark.parametrize("query", ["month=2026-13", "month=november", "month=0001-01", "threshold=-1",
                                   "threshold=10001", "limit=3"])
async def test_fair_use_refuses_bad_arguments(call, mongo_db, admin, query) -> None:
    answer = await call("GET", f"/api/v1/reports/fair-use?{query}", token=admin)
    assert answer.status == 400, answer.body


async def test_the_cli_prints_the_fair_use_report(month_of_calls, services) -> None:
    from provisioner.cli import build_parser
    from provisioner.report_command import problem, render

    args = build_parser().parse_args(["report", "fair-use", "--month", MONTH, "--csv"])
    assert problem(args) is None
    assert [(r["line"], r["state"]) for r in parse_csv(render(args, services.settings))] == [(LINE_A, "over")]
    table = render(build_parser().parse_args(["report", "fair-use", "--month", MONTH, "--threshold", "149"]),
                   services.settings)
    assert table.splitlines()[0].split()[:2] == ["line", "caller"] and "(2 of 2 row(s))" in table
    assert "--month" in problem(build_parser().parse_args(["report", "fair-use", "--month", "2026-13"]))
