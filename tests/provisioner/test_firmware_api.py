"""Firmware over HTTP with the real application and database: upload, pinning, deletion, and phones fetching it."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import urllib.parse

import pytest
from openapi_responses import ResponseSchemas

from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor
from inventory.firmware import FirmwareImage
from provisioner import firmware_images
from provisioner.api.openapi import build_openapi
from provisioner.firmware_store import firmware_folder
from provisioner.provisioning.device_secrets import issue_secrets
from provisioner.provisioning.http_files import MISSING_BODY

pytestmark = pytest.mark.gen_test
ACTOR = Actor.system("tests")
IMAGE = os.urandom(300_000) + b"end of image"
DIGEST = hashlib.sha256(IMAGE).hexdigest()


def query(**values: str) -> str:
    described = {"vendor": "yealink", "firmware_version": "108.86.0.75", "filename": "T46U-108.86.0.75.rom",
                 "models": "T46U,T48U", **values}
    return "/api/v1/firmware-uploads?" + urllib.parse.urlencode({k: v for k, v in described.items() if v is not None})


@pytest.fixture
def upload(http_client, base_url):
    """An async function: await upload(body, token, digest=DIGEST, **query values) -> (status, JSON body)."""

    async def send(body: bytes, token: str | None, digest: str | None = DIGEST, headers: dict | None = None,
                   **described: str):
        all_headers = {"Content-Type": "application/octet-stream", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        if digest:
            all_headers["X-Checksum-SHA256"] = digest
        response = await http_client.fetch(base_url + query(**described), method="PUT", body=body,
                                           headers=all_headers, raise_error=False)
        return response.code, json.loads(response.body) if response.body else None

    return send


@pytest.fixture
def folder(services):
    return firmware_folder(services.settings.data_path)


def stored_files(folder) -> list[str]:
    """Every file in the store's folder, temporary ones included."""
    return sorted(os.listdir(folder)) if folder.exists() else []


async def get(http_client, base_url, path, headers=None, method="GET"):
    return await http_client.fetch(base_url + path, method=method, raise_error=False,
                                   headers={"User-Agent": "Yealink SIP-T46U 108.86.0.75", **(headers or {})})


# --- upload -----------------------------------------------------------------------------------------


async def test_an_upload_is_stored_under_its_digest_and_served_to_phones(upload, admin, folder, http_client, base_url):
    status, body = await upload(IMAGE, admin)
    assert status == 201, body
    assert body["sha256"] == DIGEST and body["size"] == len(IMAGE) and body["models"] == ["T46U", "T48U"]
    assert body["pinned"] is False and body["firmware_version"] == "108.86.0.75" and body["version"] == 1
    assert stored_files(folder) == [DIGEST]
    assert (folder / DIGEST).read_bytes() == IMAGE

    served = await get(http_client, base_url, "/firmware/T46U-108.86.0.75.rom")
    assert served.code == 200 and served.body == IMAGE
    assert served.headers["ETag"] == f'"{DIGEST}"'
    assert served.headers["Content-Length"] == str(len(IMAGE))
    assert served.headers["Content-Type"] == "application/octet-stream"
    again = await get(http_client, base_url, "/firmware/T46U-108.86.0.75.rom", {"If-None-Match": f'"{DIGEST}"'})
    assert again.code == 304 and not again.body
    head = await get(http_client, base_url, "/firmware/T46U-108.86.0.75.rom", method="HEAD")
    assert head.code == 200 and head.headers["Content-Length"] == str(len(IMAGE)) and not head.body
    part = await get(http_client, base_url, "/firmware/T46U-108.86.0.75.rom", {"Range": "bytes=100-199"})
    assert part.code == 206 and part.body == IMAGE[100:200]


async def test_the_digest_may_come_as_a_query_parameter_in_any_case(upload, admin):
    status, body = await upload(IMAGE, admin, digest=None, sha256=DIGEST.upper())
    assert status == 201, body
    assert body["sha256"] == DIGEST


async def test_a_digest_mismatch_is_refused_naming_both_and_stores_nothing(upload, admin, folder):
    wrong = hashlib.sha256(b"another image").hexdigest()
    status, body = await upload(IMAGE, admin, digest=wrong)
    assert status == 422, body
    assert wrong in body["message"] and DIGEST in body["message"]
    assert body["fields"]["sha256"] == f"expected {wrong}, got {DIGEST}"
    assert stored_files(folder) == []
    assert FirmwareImage.objects.count() == 0


async def test_a_missing_or_malformed_digest_is_refused_before_the_body(upload, admin, folder):
    for digest in (None, "abc", "g" * 64):
        status, body = await upload(IMAGE, admin, digest=digest)
        assert status == 422 and "sha256" in body["fields"], body
    status, body = await upload(IMAGE, admin, digest=DIGEST, sha256="0" * 64)
    assert status == 422 and "differ" in body["fields"]["sha256"]
    assert stored_files(folder) == []


async def test_too_large_an_image_is_refused(upload, admin, folder, monkeypatch):
    monkeypatch.setattr(firmware_images, "size_limit", lambda settings: 1000)
    status, body = await upload(IMAGE, admin)
    assert status == 413, body
    assert "1000 bytes" in body["message"]
    assert stored_files(folder) == []
    assert FirmwareImage.objects.count() == 0


async def test_too_large_a_chunked_image_is_cut_off_and_leaves_nothing(admin, folder, monkeypatch, http_client, base_url):
    # Without Content-Length the size is known only as the bytes come: the server stops reading at the limit.
    monkeypatch.setattr(firmware_images, "size_limit", lambda settings: 100_000)

    async def chunks(write):
        for start in range(0, len(IMAGE), 50_000):
            await write(IMAGE[start:start + 50_000])

    response = await http_client.fetch(base_url + query(), method="PUT", body_producer=chunks, raise_error=False,
                                       headers={"Authorization": f"Bearer {admin}", "X-Checksum-SHA256": DIGEST})
    assert response.code in (400, 413), response.code
    for _ in range(100):  # the server drops the partial file as it closes the connection, just after answering
        if not stored_files(folder):
            break
        await asyncio.sleep(0.01)
    assert stored_files(folder) == []
    assert FirmwareImage.objects.count() == 0


@pytest.mark.parametrize("filename", ["../etc/passwd", "a/b.rom", ".hidden", "x..rom", "ok.rom\n", "é.rom", "a" * 129, ""])
async def test_file_names_that_are_paths_or_odd_are_refused(upload, admin, folder, filename):
    status, body = await upload(IMAGE, admin, filename=filename)
    assert status == 422, body
    assert "filename" in body["fields"]
    assert stored_files(folder) == []


async def test_unknown_vendor_models_and_parameters_are_refused(upload, admin):
    status, body = await upload(IMAGE, admin, models="T46U,T99X")
    assert status == 422 and "T99X" in body["fields"]["models"]
    status, body = await upload(IMAGE, admin, vendor="acme")
    assert status == 422 and "vendor" in body["fields"]
    status, body = await upload(IMAGE, admin, colour="blue")
    assert status == 400 and "colour" in body["fields"]


async def test_only_admins_upload(upload, staff, folder):
    status, body = await upload(IMAGE, "pvt_not-a-real-token")
    assert status == 401, body
    # With no credential at all, the XSRF check answers first, as for every other write.
    status, body = await upload(IMAGE, None)
    assert status == 403 and "X-XSRFToken" in body["message"], body
    for role in ("support", "warehouse", "technician"):
        status, body = await upload(IMAGE, staff(role))
        assert status == 403, (role, body)
    assert stored_files(folder) == []


async def test_a_session_upload_needs_the_xsrf_token(upload, http_client, base_url, folder, staff):
    staff("admin", username="root-session")
    response = await http_client.fetch(base_url + "/api/v1/session", method="POST", raise_error=False,
                                       headers={"Content-Type": "application/json"},
                                       body='{"username": "root-session", "password": "staff password 1234"}')
    cookies = dict(h.split(";")[0].split("=", 1) for h in response.headers.get_list("Set-Cookie"))
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    status, body = await upload(IMAGE, None, headers={"Cookie": cookie})
    assert status == 403 and "X-XSRFToken" in body["message"]
    status, body = await upload(IMAGE, None, headers={"Cookie": cookie, "X-XSRFToken": cookies["_xsrf"]})
    assert status == 201, body


async def test_a_file_name_is_served_once(upload, admin, folder):
    assert (await upload(IMAGE, admin))[0] == 201
    other = b"other vendor, same name"
    status, body = await upload(other, admin, digest=hashlib.sha256(other).hexdigest(), vendor="snom", models="D785")
    assert status == 409 and "filename" in body["fields"]
    assert stored_files(folder) == [DIGEST]


# --- pinning --------------------------------------------------------------------------------------


async def test_one_pinned_image_per_model(upload, admin, call):
    status, first = await upload(IMAGE, admin, pinned="true")
    assert status == 201 and first["pinned"] is True
    newer = IMAGE + b"v2"
    digest = hashlib.sha256(newer).hexdigest()
    status, body = await upload(newer, admin, digest=digest, filename="T48U-108.86.0.90.rom", models="T48U",
                                firmware_version="108.86.0.90", pinned="true")
    assert status == 422, body
    assert "T48U" in body["fields"]["pinned"] and "108.86.0.75" in body["fields"]["pinned"]
    status, second = await upload(newer, admin, digest=digest, filename="T48U-108.86.0.90.rom", models="T48U",
                                  firmware_version="108.86.0.90")
    assert status == 201
    path = f"/api/v1/firmware/{second['id']}"
    refused = await call("PATCH", path, {"pinned": True}, admin)
    assert refused.status == 422 and "T48U" in refused.body["fields"]["pinned"]
    # Narrowing the first image to the T46U frees the T48U for the second.
    narrowed = await call("PATCH", f"/api/v1/firmware/{first['id']}", {"models": ["t46u"]}, admin)
    assert narrowed.status == 200 and narrowed.body["models"] == ["T46U"]
    pinned = await call("PATCH", path, {"pinned": True}, admin, {"If-Match": '"1"'})
    assert pinned.status == 200 and pinned.body["pinned"] is True
    fixed = await call("PATCH", path, {"filename": "renamed.rom"}, admin)
    assert fixed.status == 422 and "set by the server" in fixed.body["fields"]["filename"]


async def test_firmware_records_are_read_by_support_and_technicians_and_changed_by_admins(upload, admin, staff, call):
    status, image = await upload(IMAGE, admin)
    path = f"/api/v1/firmware/{image['id']}"
    for role in ("support", "technician"):
        token = staff(role)
        listed = await call("GET", "/api/v1/firmware?vendor=yealink&models=T48U", token=token)
        assert listed.status == 200 and [i["filename"] for i in listed.body["items"]] == ["T46U-108.86.0.75.rom"]
        assert (await call("PATCH", path, {"pinned": True}, token)).status == 403
    assert (await call("GET", "/api/v1/firmware", token=staff("warehouse"))).status == 403
    assert (await call("POST", "/api/v1/firmware", {"vendor": "yealink"}, admin)).status == 405


async def test_deleting_frees_the_bytes_unless_pinned_or_shared(upload, admin, call, folder):
    status, first = await upload(IMAGE, admin, pinned="true")
    status, twin = await upload(IMAGE, admin, filename="copy-of-the-same.rom", models="T53W")
    assert status == 201 and stored_files(folder) == [DIGEST]
    refused = await call("DELETE", f"/api/v1/firmware/{first['id']}", token=admin)
    assert refused.status == 409 and "unpin" in refused.body["message"]
    assert (await call("DELETE", f"/api/v1/firmware/{twin['id']}", token=admin)).status == 204
    assert stored_files(folder) == [DIGEST]  # the first image still needs them
    await call("PATCH", f"/api/v1/firmware/{first['id']}", {"pinned": False}, admin)
    assert (await call("DELETE", f"/api/v1/firmware/{first['id']}", token=admin)).status == 204
    assert stored_files(folder) == []


# --- phones --------------------------------------------------------------------------------------------


async def test_an_unknown_firmware_name_gets_the_missing_file_answer(upload, admin, http_client, base_url):
    await upload(IMAGE, admin)
    missing_config = await get(http_client, base_url, "/805ec0ffffff.cfg")
    assert missing_config.code == 404 and missing_config.body == MISSING_BODY

    def comparable(response):
        return response.code, response.body, {k: v for k, v in response.headers.get_all() if k != "Date"}

    for path in ("/firmware/nothing.rom", "/firmware/..%2F..%2Fetc%2Fpasswd", "/firmware/.hidden",
                 f"/firmware/{DIGEST}", "/firmware/T46U-108.86.0.75.rom%0A"):
        assert comparable(await get(http_client, base_url, path)) == comparable(missing_config), path
    assert (await get(http_client, base_url, "/firmware/")).body == MISSING_BODY  # no listing


async def test_a_phone_configuration_names_the_pinned_image_only_once_pinned(upload, admin, call, services):
    customer = Customer(reference="FW-01", name="Firmware SA").insert(ACTOR)
    site = Site(customer=customer, name="HQ", address="1 rue", postcode="75008", city="Paris").insert(ACTOR)
    item = Equipment(serial="FW-1", mac="805ec0000042", vendor="yealink", model="T46U", site=site, state="in_service")
    issue_secrets(item, services.box)
    item.insert(ACTOR)
    preview = f"/api/v1/equipment/{item.pk}/configuration?file=805ec0000042.cfg"
    url = "http://provisioning.example.net:8080/firmware/T46U-108.86.0.75.rom"

    status, image = await upload(IMAGE, admin)
    before = await call("GET", preview, token=admin)
    assert before.status == 200 and "static.firmware.url" not in before.body["content"]
    await call("PATCH", f"/api/v1/firmware/{image['id']}", {"pinned": True}, admin)
    pinned = await call("GET", preview, token=admin)
    assert f"static.firmware.url = {url}\n" in pinned.body["content"]
    assert pinned.body["revision"] != before.body["revision"]
    shared = await call("GET", f"/api/v1/equipment/{item.pk}/configuration?file=y000000000108.cfg", token=admin)
    assert f"static.firmware.url = {url}\n" in shared.body["content"]
    other_model = await call("GET", f"/api/v1/equipment/{item.pk}/configuration?file=y000000000095.cfg", token=admin)
    assert "static.firmware.url" not in other_model.body["content"]  # a T53W file: not pinned


# --- the description -------------------------------------------------------------------------------------


async def test_answers_match_the_openapi_description(upload, admin, call, staff, monkeypatch):
    schemas = ResponseSchemas(json.loads(json.dumps(build_openapi())))
    uploads, collection, item = "/api/v1/firmware-uploads", "/api/v1/firmware", "/api/v1/firmware/{record_id}"
    status, created = await upload(IMAGE, admin)
    schemas.validate(uploads, "put", status, created)
    for answer in [await upload(IMAGE, admin, digest="0" * 64, filename="other.rom"), await upload(IMAGE, admin),
                   await upload(IMAGE, staff("support")), await upload(IMAGE, admin, colour="blue")]:
        schemas.validate(uploads, "put", *answer)
    monkeypatch.setattr(firmware_images, "size_limit", lambda settings: 10)
    schemas.validate(uploads, "put", *await upload(IMAGE, admin, filename="big.rom"))

    path = f"{collection}/{created['id']}"
    for method, template, target, body, expected in [
        ("GET", collection, f"{collection}?q=T46U&sort=-size", None, 200),
        ("GET", item, path, None, 200),
        ("PATCH", item, path, {"pinned": True, "comment": "for the T46U fleet"}, 200),
        ("DELETE", item, path, None, 409),
        ("PATCH", item, path, {"pinned": False}, 200),
        ("DELETE", item, path, None, 204),
        ("GET", item, path, None, 404),
    ]:
        answer = await call(method, target, body, admin)
        assert answer.status == expected, (method, target, answer.body)
        schemas.validate(template, method, answer.status, answer.body or None)
