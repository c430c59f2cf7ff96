"""Devices' files over HTTP with the real application and a real vendor: served, cached, refused alike; staff views."""

from __future__ import annotations

import asyncio
import gzip
import time

import pytest
from prometheus_client import REGISTRY

from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor
from inventory.lines import Line
from inventory.provisioning_log import LastFetch, QuarantinedDevice
from provisioner.provisioning.device_cache import CHECK_SECONDS
from provisioner.provisioning.device_secrets import issue_secrets
from provisioner.provisioning.encryption import yealink_decrypt
from provisioner.provisioning.pipeline import Served, revision_of

pytestmark = pytest.mark.gen_test
ACTOR = Actor.system("tests")
UA = "Yealink SIP-T46U 108.86.0.75 80:5e:c0:00:00:01"


@pytest.fixture
def phone(mongo_db, services):
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    site = Site(customer=customer, name="HQ", address="1 rue", postcode="75008", city="Paris",
                allowed_networks=["127.0.0.0/8"]).insert(ACTOR)
    line = Line(site=site, extension="101", display_name="Accueil")
    line.set_sip_password(services.box)
    line.insert(ACTOR)
    item = Equipment(serial="YL-1", mac="805ec0000001", vendor="yealink", model="T46U", site=site, lines=[line],
                     state="in_service")
    issue_secrets(item, services.box)
    stock = Equipment(serial="YL-2", mac="805ec0000002", vendor="yealink", model="T46U")
    issue_secrets(stock, services.box)
    stock.insert(ACTOR)
    return item.insert(ACTOR), line


async def fetch(http_client, base_url, path, user_agent=UA, headers=None):
    return await http_client.fetch(base_url + path, raise_error=False,
                                   headers={"User-Agent": user_agent, **(headers or {})})


def flush_fetches(app):
    """Write the fetches the application's provisioner noted: they are written in bulk, off the request path."""
    app.settings["provisioner"].flush()


def comparable(response):
    headers = {k: v for k, v in response.headers.get_all() if k not in ("Date", "Server")}
    return response.code, response.body, headers


def clear(response, item, box) -> bytes:
    """A device file as the phone reads it: over plain HTTP it comes encrypted with the device's key."""
    return yealink_decrypt(response.body, item.config_key(box))


async def test_a_phone_gets_its_file_then_304_while_unchanged(http_client, base_url, app, phone, services):
    item, line = phone
    first = await fetch(http_client, base_url, "/805ec0000001.cfg")
    assert first.code == 200 and first.headers["Content-Type"] == "application/octet-stream"
    assert item.admin_password(services.box).encode() not in first.body  # plain HTTP: encrypted
    body = clear(first, item, services.box).decode()
    assert line.sip_password(services.box) in body and item.admin_password(services.box) in body
    assert first.headers["ETag"] == f'"{revision_of(body.encode())}"'  # the revision is the clear file's
    again = await fetch(http_client, base_url, "/805ec0000001.cfg", headers={"If-None-Match": first.headers["ETag"]})
    assert again.code == 304 and again.body == b""
    flush_fetches(app)
    assert LastFetch.objects.get(mac="805ec0000001").revision == first.headers["ETag"].strip('"')


async def test_every_refusal_is_byte_for_byte_a_missing_file(http_client, base_url, phone):
    missing = comparable(await fetch(http_client, base_url, "/no-such-file.txt"))
    assert missing[0] == 404
    for path, user_agent in [
        ("/805ec0000009.cfg", UA.replace("00:01", "00:09")),   # not in the inventory
        ("/805ec0000002.cfg", UA.replace("00:01", "00:02")),   # in stock
        ("/805ec0000001.cfg", "curl/8.5.0"),                   # not a phone
        ("/805ec0000001.cfg", UA.replace("00:01", "00:07")),   # another phone's file
        ("/805ec0000001.cfg", "Yealink SIP-T54W 96.86.0.1"),   # another model
        ("/x/../805ec0000001.cfg", UA),                        # traversal
    ]:
        assert comparable(await fetch(http_client, base_url, path, user_agent)) == missing, (path, user_agent)
    assert QuarantinedDevice.objects.get(mac="805ec0000009").model == "T46U"


async def test_preview_masks_secrets_for_non_admins(call, staff, phone, services):
    item, line = phone
    support = staff("support")
    admin = staff("admin")
    masked = await call("GET", f"/api/v1/equipment/{item.pk}/configuration", token=support)
    assert masked.status == 200 and masked.body["masked"] is True and masked.body["file"] == "805ec0000001.cfg"
    assert line.sip_password(services.box) not in masked.body["content"] and "********" in masked.body["content"]
    clear = await call("GET", f"/api/v1/equipment/{item.pk}/configuration", token=admin)
    assert line.sip_password(services.box) in clear.body["content"] and clear.body["masked"] is False
    common = await call("GET", f"/api/v1/equipment/{item.pk}/configuration?file=y000000000108.cfg", token=support)
    assert common.status == 200 and "provisioning.example.net" in common.body["content"]
    other = await call("GET", f"/api/v1/equipment/{item.pk}/configuration?file=805ec0000002.cfg", token=admin)
    assert other.status == 404
    warehouse = await call("GET", f"/api/v1/equipment/{item.pk}/configuration", token=staff("warehouse"))
    assert warehouse.status == 403


async def test_outdated_lists_devices_until_they_fetch_the_current_revision(http_client, base_url, app, call, staff,
                                                                            phone):
    item, _ = phone
    support = staff("support")
    before = await call("GET", "/api/v1/provisioning/outdated", token=support)
    assert [entry["mac"] for entry in before.body["items"]] == ["805ec0000001"]
    assert before.body["items"][0]["fetched_revision"] is None
    await fetch(http_client, base_url, "/805ec0000001.cfg")
    flush_fetches(app)
    assert (await call("GET", "/api/v1/provisioning/outdated", token=support)).body["items"] == []
    await call("PATCH", f"/api/v1/equipment/{item.pk}", {"notes": "no change to the file"}, staff("admin"))
    line_id = str(item.lines[0].pk)
    await call("PATCH", f"/api/v1/lines/{line_id}", {"display_name": "Standard"}, staff("admin"))
    after = await call("GET", "/api/v1/provisioning/outdated", token=support)
    assert [entry["mac"] for entry in after.body["items"]] == ["805ec0000001"]


async def test_the_outdated_list_is_read_a_page_at_a_time(call, staff, phone, services):
    item, _ = phone
    for number in range(3, 8):
        other = Equipment(serial=f"YL-{number}", mac=f"805ec000000{number}", vendor="yealink", model="T46U",
                          site=item.site, lines=[item.lines[0]], state="installed")
        issue_secrets(other, services.box)
        other.insert(ACTOR)
    support = staff("support")
    seen, cursor, pages = [], "", 0
    while cursor is not None and pages < 10:
        answer = await call("GET", f"/api/v1/provisioning/outdated?per_page=2&from={cursor}", token=support)
        assert answer.status == 200 and answer.body["checked"] <= 2
        seen += [entry["mac"] for entry in answer.body["items"]]
        cursor, pages = answer.body["next"], pages + 1
    assert sorted(seen) == ["805ec0000001", *(f"805ec000000{number}" for number in range(3, 8))]
    assert pages == 3  # 6 devices that may be behind, 2 a page; the last page ends the last state


@pytest.mark.parametrize("query", ["from=x", "from=9-0", "from=0-01", "per_page=0", "per_page=501", "per_page=a"])
async def test_a_bad_outdated_page_query_is_a_400_naming_the_parameter(call, staff, phone, query):
    answer = await call("GET", f"/api/v1/provisioning/outdated?{query}", token=staff("support"))
    assert answer.status == 400 and set(answer.body["fields"]) == {query.split("=")[0]}


async def test_a_device_whose_secrets_cannot_be_decrypted_is_left_out_of_the_outdated_list_with_a_warning(
        call, staff, phone, caplog):
    item, _ = phone
    Equipment.objects(pk=item.pk).update(set__admin_password_enc="v1:damaged")
    answer = await call("GET", "/api/v1/provisioning/outdated", token=staff("support"))
    assert answer.status == 200 and answer.body["items"] == []
    assert f"device {item.serial} ({item.pk}) left out of the outdated list" in caplog.text
    assert "damaged" not in caplog.text


async def test_quarantined_devices_are_listed_and_claimed_into_stock(http_client, base_url, call, staff, phone):
    await fetch(http_client, base_url, "/805ec00000aa.cfg", UA.replace("00:01", "00:aa"))
    clerk = staff("warehouse")
    listed = await call("GET", "/api/v1/quarantine", token=clerk)
    entry = listed.body["items"][0]
    assert (entry["mac"], entry["vendor"], entry["model"], entry["source"]) == ("805ec00000aa", "yealink", "T46U", "127.0.0.1")
    claimed = await call("POST", f"/api/v1/quarantine/{entry['id']}/claim", {"serial": "YL-AA"}, clerk)
    assert claimed.status == 201 and claimed.body["state"] == "in_stock"
    assert (await call("GET", "/api/v1/quarantine", token=clerk)).body["total"] == 0
    assert (await call("GET", "/api/v1/equipment?mac=805ec00000aa", token=clerk)).body["total"] == 1
    # Still in stock: it gets nothing until it is staged for a site.
    assert (await fetch(http_client, base_url, "/805ec00000aa.cfg", UA.replace("00:01", "00:aa"))).code == 404


async def test_a_line_renamed_through_the_api_reaches_the_phone_within_the_check_delay(http_client, base_url, call,
                                                                                        staff, phone, services):
    item, line = phone

    async def body():
        return clear(await fetch(http_client, base_url, "/805ec0000001.cfg"), item, services.box)

    assert b"display_name = Accueil" in await body()
    renamed = await call("PATCH", f"/api/v1/lines/{line.pk}", {"display_name": "Standard"}, staff("admin"))
    assert renamed.status == 200
    changed = time.monotonic()
    while b"display_name = Standard" not in await body():
        assert time.monotonic() - changed < CHECK_SECONDS + 0.5, "the change did not reach the phone in time"
        await asyncio.sleep(0.05)


async def test_files_served_are_logged_at_debug_and_misses_as_before(http_client, base_url, phone, caplog):
    caplog.set_level("DEBUG", logger="tornado.access")
    await fetch(http_client, base_url, "/805ec0000001.cfg")
    await fetch(http_client, base_url, "/805ec0000009.cfg", UA.replace("00:01", "00:09"))
    access = [(r.levelname, r.status) for r in caplog.records if r.name == "tornado.access"]
    assert access == [("DEBUG", 200), ("WARNING", 404)]


@pytest.mark.parametrize("path", ["/api", "/healthz/x", "/healthzx", "/metricsx", "/firmware/", "/firmware/a/b",
                                  "/apis/x.cfg"])
async def test_paths_near_other_routes_are_device_files(http_client, base_url, phone, path):
    # Devices' files are matched first (http_files.DEVICE_FILES): only the other routes' own paths escape it.
    missing = await fetch(http_client, base_url, path)
    assert (missing.code, missing.body) == (404, b"Not Found\n")


async def test_head_answers_the_get_headers_without_a_body(http_client, base_url, phone):
    got = await fetch(http_client, base_url, "/805ec0000001.cfg")
    head = await http_client.fetch(base_url + "/805ec0000001.cfg", method="HEAD", raise_error=False,
                                   headers={"User-Agent": UA})
    assert (head.code, head.body) == (200, b"")
    assert comparable(head)[2] == comparable(got)[2]
    assert int(head.headers["Content-Length"]) == len(got.body)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "BREW"])
async def test_other_methods_on_a_device_file_get_the_missing_answer(http_client, base_url, phone, method):
    missing = comparable(await fetch(http_client, base_url, "/no-such-file.txt"))
    body = b"x" if method in ("POST", "PUT") else None
    answer = await http_client.fetch(base_url + "/805ec0000001.cfg", method=method, body=body, raise_error=False,
                                     headers={"User-Agent": UA}, allow_nonstandard_methods=True)
    assert comparable(answer) == missing


async def test_a_method_nobody_knows_is_counted_as_other(http_client, base_url, phone):
    def count(method: str) -> float:
        return REGISTRY.get_sample_value("provisioner_http_requests_total",
                                         {"route": "device file", "method": method, "status": "404"}) or 0.0

    before = count("other")
    await http_client.fetch(base_url + "/805ec0000001.cfg", method="BREW", raise_error=False,
                            allow_nonstandard_methods=True)
    assert count("other") == before + 1 and count("BREW") == 0


async def test_a_failure_of_ours_is_logged_and_answered_as_a_missing_file(http_client, base_url, app, phone, caplog,
                                                                          monkeypatch):
    missing = comparable(await fetch(http_client, base_url, "/no-such-file.txt"))

    def broken(request):
        raise RuntimeError("template store unreachable")

    monkeypatch.setattr(app.settings["provisioner"], "answer_now", broken)
    assert comparable(await fetch(http_client, base_url, "/805ec0000001.cfg")) == missing
    failures = [r for r in caplog.records if r.name == "provisioner.provisioning" and r.exc_info]
    assert failures and "template store unreachable" in str(failures[0].exc_info[1])


@pytest.mark.parametrize(("content_type", "accepts", "compressed"), [
    ("text/xml", "gzip, deflate", True),
    ("text/plain; charset=utf-8", "gzip", True),
    ("application/octet-stream", "gzip", False),  # encrypted files: nothing to gain
    ("text/xml", "", False),
    ("text/xml", "identity", False),
])
async def test_text_files_are_compressed_for_devices_that_accept_gzip(http_client, base_url, app, monkeypatch,
                                                                      content_type, accepts, compressed):
    body = b"<settings>" + b"<line/>" * 400 + b"</settings>"

    monkeypatch.setattr(app.settings["provisioner"], "answer_now",
                        lambda request: Served(body=body, content_type=content_type, revision="r1"))
    got = await http_client.fetch(base_url + "/805ec0000001.xml", raise_error=False, decompress_response=False,
                                  headers={"User-Agent": UA, "Accept-Encoding": accepts})
    assert got.code == 200 and got.headers["Vary"] == "Accept-Encoding"
    assert (got.headers.get("Content-Encoding") == "gzip") is compressed
    assert (gzip.decompress(got.body) if compressed else got.body) == body
    assert int(got.headers["Content-Length"]) == len(got.body)


async def test_a_device_gone_before_its_answer_leaves_nothing_behind(http_client, base_url, app, phone, caplog,
                                                                     monkeypatch):
    release, asked = asyncio.Event(), asyncio.Event()
    devices = app.settings["provisioner"].devices
    real = devices.prefetch

    async def slow(macs):
        asked.set()
        await release.wait()
        await real(macs)

    monkeypatch.setattr(devices, "prefetch", slow)  # the device is not known yet: read first, off the IOLoop
    reader, writer = await asyncio.open_connection("127.0.0.1", int(base_url.rsplit(":", 1)[1]))
    writer.write(f"GET /805ec0000001.cfg HTTP/1.1\r\nHost: x\r\nUser-Agent: {UA}\r\n\r\n".encode())
    await writer.drain()
    await asyncio.wait_for(asked.wait(), 5)
    writer.close()
    await writer.wait_closed()
    await asyncio.sleep(0.05)
    release.set()
    await asyncio.sleep(0.05)
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    monkeypatch.setattr(devices, "prefetch", real)
    assert (await fetch(http_client, base_url, "/805ec0000001.cfg")).code == 200


async def _raw_exchange(base_url: str, payload: bytes, answers: int) -> list[bytes]:
    """Send `payload` on one connection and read `answers` HTTP answers back (heads and bodies, by Content-Length)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", int(base_url.rsplit(":", 1)[1]))
    writer.write(payload)
    await writer.drain()
    got = []
    for _ in range(answers):
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        body = await asyncio.wait_for(reader.readexactly(length), 5) if length else b""
        got.append(head + body)
    writer.close()
    await writer.wait_closed()
    return got


async def test_a_kept_alive_connection_answers_device_files_and_api_paths_in_turn(http_server, base_url, phone):
    ask = f"GET /805ec0000001.cfg HTTP/1.1\r\nHost: x\r\nUser-Agent: {UA}\r\n\r\n".encode()
    other = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    missing = b"POST /805ec0000001.cfg HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
    first, health, refused, again = await _raw_exchange(base_url, ask + other + missing + ask, 4)
    assert first.startswith(b"HTTP/1.1 200 ") and again.startswith(b"HTTP/1.1 200 ")
    assert first.split(b"\r\n\r\n", 1)[1] == again.split(b"\r\n\r\n", 1)[1]
    assert health.startswith(b"HTTP/1.1 ") and b"Server: TornadoServer" in health  # the application's route
    assert refused.startswith(b"HTTP/1.1 404 ") and refused.endswith(b"\r\n\r\nNot Found\n")


async def test_an_http_1_0_device_gets_its_file_and_the_connection_closed(http_server, base_url, phone):
    ask = f"GET /805ec0000001.cfg HTTP/1.0\r\nUser-Agent: {UA}\r\n\r\n".encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", int(base_url.rsplit(":", 1)[1]))
    writer.write(ask)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 5)  # to the end: the server closes
    writer.close()
    assert answer.startswith(b"HTTP/1.1 200 ") and b"Transfer-Encoding" not in answer
    head, body = answer.split(b"\r\n\r\n", 1)
    assert int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.startswith(b"Content-Length"))) == len(body)
