"""POST /api/v1/stock-imports over HTTP: the real application and database; CSV in, a report or counts out."""

from __future__ import annotations

import pytest

from inventory.equipment import Equipment
from inventory.events import Event

pytestmark = pytest.mark.gen_test
PATH = "/api/v1/stock-imports"
CSV = {"Content-Type": "text/csv; charset=utf-8"}
GOOD = ("serial;mac;vendor;model;ownership\r\n"
        "YL-0001;00:15:65:00:00:01;yealink;T46U;lent\r\n"
        "SN-0002;000413000002;snom;D785;sold\r\n").encode()


async def test_imports_then_counts_a_second_post_as_already_imported(call, staff) -> None:
    token = staff("warehouse", username="clerk")

    first = await call("POST", f"{PATH}?filename=delivery%2012.csv", raw=GOOD, token=token, headers=CSV)
    again = await call("POST", PATH, raw=GOOD, token=token, headers=CSV)

    assert first.status == 200, first.body
    assert first.body == {"rows": 2, "imported": 2, "already_imported": 0, "dry_run": False}
    assert again.body == {"rows": 2, "imported": 0, "already_imported": 2, "dry_run": False}
    item = Equipment.objects.get(serial="SN-0002")
    assert (item.vendor, item.model, item.ownership, item.state) == ("snom", "D785", "sold", "in_stock")
    event = Event.objects.get(object_id=str(item.pk))
    assert (event.action, event.actor, event.request_id) == ("create", "clerk", first.headers["X-Request-ID"])
    assert event.source.startswith("import delivery 12.csv ")
    listed = await call("GET", f"/api/v1/events?object_id={item.pk}", token=staff("admin"))
    assert listed.body["items"][0]["source"] == event.source


async def test_dry_run_reports_and_writes_nothing(call, staff) -> None:
    answer = await call("POST", f"{PATH}?dry_run=true", raw=GOOD, token=staff("admin"), headers=CSV)

    assert answer.body == {"rows": 2, "imported": 2, "already_imported": 0, "dry_run": True}
    assert Equipment.objects.count() == 0


async def test_bad_rows_answer_422_with_one_entry_each_and_nothing_written(call, staff) -> None:
    body = GOOD + b"YL-0003;00:15:65:00:00:01;yealink;T46U;lent\r\nYL-0004;00:15:65:00:00:04;yealink;T4;lent\r\n"

    answer = await call("POST", PATH, raw=body, token=staff("warehouse"), headers=CSV)

    assert answer.status == 422
    assert answer.body["message"] == "2 of 4 row(s) are not valid; nothing was imported"
    assert answer.body["rows"] == [
        {"line": 4, "field": "mac", "problem": "00:15:65:00:00:01 is also on line 2"},
        {"line": 5, "field": "model", "problem": "unknown yealink model 'T4': expected one of T43U, T46U, T48U, "
                                                 "T53W, T54W, T57W"}]
    assert Equipment.objects.count() == 0


async def test_a_file_that_cannot_be_read_answers_422_without_rows(call, staff) -> None:
    answer = await call("POST", PATH, raw="serial,mac\nA,é\n".encode("latin-1"), token=staff("warehouse"),
                        headers=CSV)

    assert answer.status == 422
    assert answer.body["rows"] == []
    assert answer.body["message"].startswith("the file cannot be imported: line 2: the file is not UTF-8: byte 0xe9 "
                                             "at offset 13")


@pytest.mark.parametrize(("roles", "headers", "query", "status"), [
    (("support",), CSV, "", 403),
    (("warehouse",), {"Content-Type": "application/json"}, "", 415),
    (("warehouse",), CSV, "?dry_run=maybe", 400),
    (("warehouse",), CSV, "?filename=../../etc/passwd", 400),
])
async def test_refusals(call, staff, roles, headers, query, status) -> None:
    answer = await call("POST", PATH + query, raw=GOOD, token=staff(*roles), headers=headers)

    assert answer.status == status, answer.body
    assert Equipment.objects.count() == 0


async def test_needs_a_signed_in_caller(call) -> None:
    assert (await call("POST", PATH, raw=GOOD, token="not-a-token", headers=CSV)).status == 401
