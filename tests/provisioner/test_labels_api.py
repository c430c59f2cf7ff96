"""The label endpoints over HTTP: the real application, with the two label routes added until app.py serves them."""

from __future__ import annotations

import io
import json
from typing import Any

import pypdf
import pytest
import tornado.httpclient
import zxingcpp
from PIL import Image

import provisioner.api.labels as labels_api
from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor
from provisioner.provisioning.device_secrets import issue_secrets

pytestmark = pytest.mark.gen_test
ACTOR = Actor.system("tests")
NO_SUCH_ID = "0" * 24


@pytest.fixture
def fleet(mongo_db, services) -> dict[str, Any]:
    """Two phones at a customer's site, installed; three in stock; ids by serial."""
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    site = Site(customer=customer, name="HQ", address="1 rue", postcode="75008", city="Paris").insert(ACTOR)
    ids = {}
    for number, serial in enumerate(["YL-SITE-2", "YL-SITE-1", "YL-STOCK-3", "YL-STOCK-1", "YL-STOCK-2"], start=1):
        at_site = "SITE" in serial
        item = Equipment(serial=serial, mac=f"805ec0{number:06x}", vendor="yealink", model="T46U",
                         site=site if at_site else None, state="installed" if at_site else "in_stock")
        issue_secrets(item, services.box)
        ids[serial] = str(item.insert(ACTOR).pk)
    return {"site": str(site.pk), "ids": ids}


@pytest.fixture
def fetch(http_client, base_url):
    """GET a path with a token; the raw answer (its body may be an image)."""

    async def get(path: str, token: str | None = None) -> tornado.httpclient.HTTPResponse:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await http_client.fetch(base_url + path, headers=headers, raise_error=False)

    return get


@pytest.fixture
def warehouse(staff) -> str:
    return staff("warehouse")


def qr_texts(picture: Image.Image) -> list[str]:
    """The QR codes of a picture, in reading order (top to bottom, left to right)."""
    codes = zxingcpp.read_barcodes(picture)
    codes.sort(key=lambda code: (code.position.top_left.y // 50, code.position.top_left.x))
    return [code.text for code in codes]


def pdf_pages(body: bytes) -> list[Image.Image]:
    return [page.images[0].image for page in pypdf.PdfReader(io.BytesIO(body)).pages]


def error(response: tornado.httpclient.HTTPResponse) -> dict[str, Any]:
    assert response.headers["Content-Type"].startswith("application/json")
    return json.loads(response.body)


# --- one label ------------------------------------------------------------------------------------------------------


async def test_a_warehouse_member_gets_the_label_of_an_item(fetch, fleet, warehouse) -> None:
    answer = await fetch(f"/api/v1/equipment/{fleet['ids']['YL-STOCK-1']}/label.png", warehouse)
    assert answer.code == 200
    assert answer.headers["Content-Type"] == "image/png"
    assert answer.headers["Content-Disposition"] == 'inline; filename="label-YL-STOCK-1.png"'
    picture = Image.open(io.BytesIO(answer.body))
    assert picture.size == (732, 343)  # 62 x 29 mm at 300 dpi
    assert qr_texts(picture) == ["EQ:YL-STOCK-1"]


async def test_the_label_follows_the_printers_resolution(fetch, fleet, warehouse) -> None:
    answer = await fetch(f"/api/v1/equipment/{fleet['ids']['YL-SITE-1']}/label.png?dpi=203", warehouse)
    assert answer.code == 200
    picture = Image.open(io.BytesIO(answer.body))
    assert picture.size == (496, 232)
    assert qr_texts(picture) == ["EQ:YL-SITE-1"]


@pytest.mark.parametrize("role, status", [("admin", 200), ("warehouse", 200), ("support", 403), ("technician", 403)])
async def test_labels_are_for_the_warehouse(fetch, fleet, staff, role: str, status: int) -> None:
    token = staff(role)
    single = await fetch(f"/api/v1/equipment/{fleet['ids']['YL-STOCK-1']}/label.png", token)
    sheet = await fetch("/api/v1/labels.pdf?state=in_stock", token)
    assert (single.code, sheet.code) == (status, status)
    if status == 403:
        assert "warehouse" in error(single)["message"]


async def test_labels_need_a_signed_in_member_of_staff(fetch, fleet) -> None:
    for path in (f"/api/v1/equipment/{fleet['ids']['YL-STOCK-1']}/label.png", "/api/v1/labels.pdf?state=in_stock"):
        answer = await fetch(path)
        assert answer.code == 401 and error(answer)["status"] == 401


@pytest.mark.parametrize("record_id", [NO_SUCH_ID, "not-an-id"])
async def test_the_label_of_no_item_is_404(fetch, mongo_db, warehouse, record_id: str) -> None:
    answer = await fetch(f"/api/v1/equipment/{record_id}/label.png", warehouse)
    assert answer.code == 404
    assert record_id in error(answer)["message"]


@pytest.mark.parametrize("dpi", ["100", "601", "300.5", "²", ""])
async def test_a_resolution_no_label_printer_has_is_400(fetch, fleet, warehouse, dpi: str) -> None:
    answer = await fetch(f"/api/v1/equipment/{fleet['ids']['YL-STOCK-1']}/label.png?dpi={dpi}", warehouse)
    assert answer.code == 400
    assert error(answer)["fields"] == {"dpi": "expected an integer from 150 to 600"}


# --- sheets ---------------------------------------------------------------------------------------------------------


async def test_a_sheet_of_the_items_named_keeps_their_order(fetch, fleet, warehouse) -> None:
    ids = fleet["ids"]
    answer = await fetch(f"/api/v1/labels.pdf?ids={ids['YL-STOCK-2']},{ids['YL-SITE-1']},{ids['YL-STOCK-2']}",
                         warehouse)
    assert answer.code == 200, answer.body
    assert answer.headers["Content-Type"] == "application/pdf"
    (page,) = pdf_pages(answer.body)
    assert qr_texts(page) == ["EQ:YL-STOCK-2", "EQ:YL-SITE-1"]  # the repeated id printed once


async def test_a_sheet_of_a_sites_items_or_of_a_state_in_serial_order(fetch, fleet, warehouse) -> None:
    site = await fetch(f"/api/v1/labels.pdf?site={fleet['site']}", warehouse)
    assert site.code == 200
    assert qr_texts(pdf_pages(site.body)[0]) == ["EQ:YL-SITE-1", "EQ:YL-SITE-2"]
    stock = await fetch("/api/v1/labels.pdf?state=in_stock", warehouse)
    assert stock.code == 200
    assert qr_texts(pdf_pages(stock.body)[0]) == ["EQ:YL-STOCK-1", "EQ:YL-STOCK-2", "EQ:YL-STOCK-3"]


async def test_a_sheet_runs_to_as_many_pages_as_needed(fetch, fleet, warehouse) -> None:
    answer = await fetch("/api/v1/labels.pdf?state=in_stock&columns=1&rows=2&page=Letter", warehouse)
    assert answer.code == 200
    pages = pdf_pages(answer.body)
    assert [qr_texts(page) for page in pages] == [["EQ:YL-STOCK-1", "EQ:YL-STOCK-2"], ["EQ:YL-STOCK-3"]]
    assert pages[0].size == (2550, 3300)  # 8.5 x 11 in at 300 dpi


@pytest.mark.parametrize("query, fields", [
    ("", {"ids": "name the items to print with one of ids, site or state"}),
    ("state=in_stock&site=" + NO_SUCH_ID, {"site": "name the items to print with only one of ids, site or state",
                                           "state": "name the items to print with only one of ids, site or state"}),
    ("ids=", {"ids": "expected record ids separated by commas"}),
    ("ids=abc," + NO_SUCH_ID, {"ids": "expected record ids separated by commas; not record ids: abc"}),
    ("state=sleeping", {"state": "expected one of in_stock, staged, shipped, delivered, installed, in_service, "
                                 "failed, returned, inspected, refurbishing, scrapped, return_due, overdue, "
                                 "repossession, lost, stolen"}),
    ("state=in_stock&page=A3", {"page": "expected one of A4, Letter"}),
    ("state=in_stock&columns=0&rows=31", {"columns": "expected an integer from 1 to 10",
                                          "rows": "expected an integer from 1 to 30"}),
])
async def test_a_sheet_query_that_names_no_items_clearly_is_400(fetch, fleet, warehouse, query: str,
                                                                fields: dict[str, str]) -> None:
    answer = await fetch(f"/api/v1/labels.pdf?{query}", warehouse)
    assert answer.code == 400
    assert error(answer)["fields"] == fields


async def test_a_page_divided_into_labels_too_small_is_400(fetch, fleet, warehouse) -> None:
    answer = await fetch("/api/v1/labels.pdf?state=in_stock&columns=10&rows=30", warehouse)
    assert answer.code == 400
    assert "too small for the QR code" in error(answer)["fields"]["rows"]


async def test_more_items_than_a_request_prints_is_400(fetch, fleet, warehouse, monkeypatch) -> None:
    monkeypatch.setattr(labels_api, "MAX_LABELS", 2)
    by_state = await fetch("/api/v1/labels.pdf?state=in_stock", warehouse)
    assert by_state.code == 400
    assert error(by_state)["fields"] == {"state": "matches more than 2 items"}
    by_ids = await fetch("/api/v1/labels.pdf?ids=" + ",".join(fleet["ids"].values()), warehouse)
    assert by_ids.code == 400
    assert error(by_ids)["fields"] == {"ids": "at most 2 items a request"}


async def test_a_sheet_of_nothing_is_404(fetch, fleet, warehouse) -> None:
    unknown = await fetch(f"/api/v1/labels.pdf?ids={fleet['ids']['YL-SITE-1']},{NO_SUCH_ID}", warehouse)
    assert unknown.code == 404 and NO_SUCH_ID in error(unknown)["message"]
    empty_state = await fetch("/api/v1/labels.pdf?state=scrapped", warehouse)
    assert empty_state.code == 404 and "state=scrapped" in error(empty_state)["message"]
    no_site = await fetch(f"/api/v1/labels.pdf?site={NO_SUCH_ID}", warehouse)
    assert no_site.code == 404 and "no site record" in error(no_site)["message"]
