"""The record collections through the real application: create, read, list, update, delete, and every refusal."""

from __future__ import annotations

import asyncio

import pytest

from inventory.events import Event
from inventory.lines import Line

pytestmark = pytest.mark.gen_test


async def make_customer(call, token, reference="ACME-01", **extra):
    answer = await call("POST", "/api/v1/customers", {"reference": reference, "name": "Acme SARL", **extra}, token)
    assert answer.status == 201, answer.body
    return answer.body


async def make_site(call, token, customer_id, postcode="75008", **extra):
    body = {"customer": customer_id, "name": "Siège", "address": "1 rue de la Paix", "postcode": postcode,
            "city": "Paris", **extra}
    answer = await call("POST", "/api/v1/sites", body, token)
    assert answer.status == 201, answer.body
    return answer.body


async def make_line(call, token, site_id, extension="101", **extra):
    answer = await call("POST", "/api/v1/lines", {"site": site_id, "extension": extension,
                                                  "display_name": "Accueil", **extra}, token)
    assert answer.status == 201, answer.body
    return answer.body


async def test_create_read_update_delete_a_customer(call, admin):
    created = await make_customer(call, admin, reference="acme-01", phone="01 42 66 10 00", siren="732 829 320")
    assert created["reference"] == "ACME-01" and created["phone"] == "+33142661000" and created["siren"] == "732829320"
    assert created["version"] == 1

    read = await call("GET", f"/api/v1/customers/{created['id']}", token=admin)
    assert read.status == 200 and read.body == created and read.headers["ETag"] == '"1"'

    changed = await call("PATCH", f"/api/v1/customers/{created['id']}", {"name": "Acme SAS"}, admin,
                         headers={"If-Match": '"1"'})
    assert changed.status == 200 and changed.body["name"] == "Acme SAS" and changed.body["version"] == 2

    gone = await call("DELETE", f"/api/v1/customers/{created['id']}", token=admin)
    assert gone.status == 204
    assert (await call("GET", f"/api/v1/customers/{created['id']}", token=admin)).status == 404


@pytest.mark.parametrize("body, field, fragment", [
    ({"reference": "AC", "name": "x"}, "reference", "3 to 32"),
    ({"reference": "ACME-02"}, "name", "required"),
    ({"reference": "ACME-02", "name": "x", "siren": "123456789"}, "siren", "check digit"),
    ({"reference": "ACME-02", "name": "x", "phone": "+1 212 555 0100"}, "phone", ""),
    ({"reference": "ACME-02", "name": "x", "email": "not-an-email"}, "email", ""),
    ({"reference": "ACME-02", "name": 42}, "name", "expected a string"),
    ({"reference": "ACME-02", "name": "x", "colour": "red"}, "colour", "unknown field"),
    ({"reference": "ACME-02", "name": "x", "version": 7}, "version", "set by the server"),
])
async def test_bad_customer_fields_are_named(call, admin, body, field, fragment):
    answer = await call("POST", "/api/v1/customers", body, admin)
    assert answer.status == 422, answer.body
    assert fragment in answer.body["fields"][field]
    assert (await call("GET", "/api/v1/customers", token=admin)).body["total"] == 0  # nothing half-written


@pytest.mark.parametrize("raw, status, fragment", [
    (b"{not json", 400, "not valid JSON"),
    (b"[1, 2]", 400, "JSON object"),
    (b"\xff\xfe", 400, "not valid JSON"),
])
async def test_malformed_bodies_get_400(call, admin, raw, status, fragment):
    answer = await call("POST", "/api/v1/customers", token=admin, raw=raw)
    assert answer.status == status and fragment in answer.body["message"]


async def test_non_json_content_type_is_refused(call, admin):
    answer = await call("POST", "/api/v1/customers", token=admin, raw=b"reference=X", headers={"Content-Type": "text/plain"})
    assert answer.status == 415


@pytest.mark.parametrize("postcode, departement, zone", [
    ("20000", "2A", "corsica"), ("20200", "2B", "corsica"), ("57000", "57", "metropolitan"),
    ("67000", "67", "metropolitan"), ("75008", "75", "metropolitan"), ("97400", "974", "overseas"),
])
async def test_site_departement_and_zone_follow_the_postcode(call, admin, postcode, departement, zone):
    customer = await make_customer(call, admin)
    site = await make_site(call, admin, customer["id"], postcode=postcode, allowed_networks=["203.0.113.7/24"])
    assert (site["departement"], site["zone"]) == (departement, zone)
    assert site["allowed_networks"] == ["203.0.113.0/24"]


async def test_site_refuses_bad_postcode_network_and_unknown_customer(call, admin):
    customer = await make_customer(call, admin)
    answer = await call("POST", "/api/v1/sites", {"customer": customer["id"], "name": "x", "address": "y",
                                                  "postcode": "98000", "city": "Monaco",
                                                  "allowed_networks": ["10.0.0.300/8"]}, admin)
    assert answer.status == 422
    assert set(answer.body["fields"]) == {"postcode", "allowed_networks.0"}
    answer = await call("POST", "/api/v1/sites", {"customer": "0" * 24, "name": "x", "address": "y",
                                                  "postcode": "75001", "city": "Paris"}, admin)
    assert answer.status == 422 and "no customers record" in answer.body["fields"]["customer"]


@pytest.mark.parametrize("mac", ["00:15:65:aa:bb:cc", "0015.65AA.BBCC", "001565AABBCC", "00-15-65-AA-BB-CC"])
async def test_mac_formats_are_one_mac_and_unique(call, admin, mac):
    first = await call("POST", "/api/v1/equipment", {"serial": "YL-0001", "mac": "001565aabbcc", "vendor": "yealink",
                                                     "model": "T46U"}, admin)
    assert first.status == 201 and first.body["kind"] == "phone" and first.body["state"] == "in_stock"
    again = await call("POST", "/api/v1/equipment", {"serial": "YL-0002", "mac": mac, "vendor": "yealink",
                                                     "model": "t46u"}, admin)
    assert again.status == 409 and "mac" in again.body["fields"]


async def test_serial_is_unique_and_state_is_not_writable(call, admin):
    body = {"serial": "GS-1", "mac": "000b82000001", "vendor": "grandstream", "model": "HT802"}
    assert (await call("POST", "/api/v1/equipment", body, admin)).status == 201
    answer = await call("POST", "/api/v1/equipment", {**body, "mac": "000b82000002"}, admin)
    assert answer.status == 409 and "serial" in answer.body["message"]
    item = (await call("GET", "/api/v1/equipment?serial=GS-1", token=admin)).body["items"][0]
    answer = await call("PATCH", f"/api/v1/equipment/{item['id']}", {"state": "in_service"}, admin)
    assert answer.status == 422 and "set by the server" in answer.body["fields"]["state"]


async def test_equipment_lines_must_fit_the_model_and_the_customer(call, admin):
    customer = await make_customer(call, admin)
    other = await make_customer(call, admin, reference="OTHER-01")
    site = await make_site(call, admin, customer["id"])
    other_site = await make_site(call, admin, other["id"])
    mine = [await make_line(call, admin, site["id"], extension=str(200 + i)) for i in range(3)]
    theirs = await make_line(call, admin, other_site["id"])
    body = {"serial": "AT-1", "mac": "000b82000003", "vendor": "grandstream", "model": "HT802", "site": site["id"]}
    too_many = await call("POST", "/api/v1/equipment", {**body, "lines": [line["id"] for line in mine]}, admin)
    assert too_many.status == 422 and "at most 2" in too_many.body["fields"]["lines"]
    foreign = await call("POST", "/api/v1/equipment", {**body, "lines": [theirs["id"]]}, admin)
    assert foreign.status == 422 and "customer" in foreign.body["fields"]["lines"]
    good = await call("POST", "/api/v1/equipment", {**body, "lines": [mine[0]["id"]]}, admin)
    assert good.status == 201 and good.body["customer"] == customer["id"]
    listed = await call("GET", f"/api/v1/equipment?lines={mine[0]['id']}", token=admin)
    assert [item["serial"] for item in listed.body["items"]] == ["AT-1"]


async def test_line_number_is_e164_and_password_is_shown_once(call, admin, services):
    customer = await make_customer(call, admin)
    site = await make_site(call, admin, customer["id"])
    line = await make_line(call, admin, site["id"], number="01 42 66 10 01")
    assert line["number"] == "+33142661001"
    password = line.pop("sip_password")
    assert len(password) >= 12
    stored = Line.objects.get(pk=line["id"])
    assert stored.sip_password(services.box) == password and password not in stored.sip_password_enc
    read = await call("GET", f"/api/v1/lines/{line['id']}", token=admin)
    listed = await call("GET", "/api/v1/lines", token=admin)
    events = await call("GET", f"/api/v1/events?object_id={line['id']}", token=admin)
    for answer in (read, listed, events):
        assert password not in str(answer.body) and "sip_password" not in str(answer.body)
    duplicate = await call("POST", "/api/v1/lines", {"site": site["id"], "extension": "102", "display_name": "x",
                                                     "number": "+33142661001"}, admin)
    assert duplicate.status == 409 and "number" in duplicate.body["message"]
    same_extension = await call("POST", "/api/v1/lines", {"site": site["id"], "extension": "101", "display_name": "x"}, admin)
    assert same_extension.status == 409 and "extension" in same_extension.body["message"]


async def test_list_filters_paging_sorting_and_search(call, admin):
    for index in range(7):
        await make_customer(call, admin, reference=f"CUST-{index:02d}", name=f"Name {6 - index}")
    page = await call("GET", "/api/v1/customers?per_page=3&page=2&sort=reference", token=admin)
    assert page.body["total"] == 7 and [c["reference"] for c in page.body["items"]] == ["CUST-03", "CUST-04", "CUST-05"]
    by_name = await call("GET", "/api/v1/customers?sort=-name&per_page=2", token=admin)
    assert [c["name"] for c in by_name.body["items"]] == ["Name 6", "Name 5"]
    exact = await call("GET", "/api/v1/customers?reference=CUST-04", token=admin)
    assert [c["reference"] for c in exact.body["items"]] == ["CUST-04"]
    search = await call("GET", "/api/v1/customers?q=cust-0", token=admin)
    assert search.body["total"] == 7
    regex = await call("GET", "/api/v1/customers?q=.*", token=admin)
    assert regex.body["total"] == 0  # the search text is a prefix, never a pattern


@pytest.mark.parametrize("query, key", [
    ("per_page=0", "per_page"), ("per_page=100000", "per_page"), ("page=-1", "page"), ("page=abc", "page"),
    ("sort=secret", "sort"), ("colour=red", "colour"), ("customer=zz", "customer"),
])
async def test_bad_list_queries_get_400_naming_the_parameter(call, admin, query, key):
    answer = await call("GET", f"/api/v1/sites?{query}", token=admin)
    assert answer.status == 400 and key in answer.body["fields"]


async def test_unknown_ids_and_paths_get_404(call, admin):
    for path in ("/api/v1/customers/" + "0" * 24, "/api/v1/customers/nonsense", "/api/v1/nothing"):
        answer = await call("GET", path, token=admin)
        assert answer.status == 404 and answer.body["status"] == 404, path
    device_path = await call("GET", "/nothing", token=admin)  # outside /api: a device file that does not exist
    assert (device_path.status, device_path.body) == (404, "Not Found\n")


async def test_stale_version_is_refused_and_nothing_is_lost(call, admin):
    customer = await make_customer(call, admin)
    path = f"/api/v1/customers/{customer['id']}"
    first = await call("PATCH", path, {"name": "First"}, admin, headers={"If-Match": '"1"'})
    second = await call("PATCH", path, {"name": "Second"}, admin, headers={"If-Match": '"1"'})
    assert first.status == 200 and second.status == 409 and "version 2" in second.body["message"]
    assert (await call("GET", path, token=admin)).body["name"] == "First"


async def test_concurrent_updates_of_one_record_never_both_win(call, admin):
    customer = await make_customer(call, admin)
    path = f"/api/v1/customers/{customer['id']}"
    answers = await asyncio.gather(*[
        call("PATCH", path, {"notes": f"writer {n}"}, admin, headers={"If-Match": '"1"'}) for n in range(8)
    ])
    assert sorted(a.status for a in answers).count(200) == 1
    assert all(a.status in (200, 409) for a in answers)
    final = (await call("GET", path, token=admin)).body
    assert final["version"] == 2
    assert Event.objects(object_id=customer["id"], action="update").count() == 1


async def test_delete_is_refused_while_records_point_here(call, admin):
    customer = await make_customer(call, admin)
    site = await make_site(call, admin, customer["id"])
    await make_line(call, admin, site["id"])
    for path in (f"/api/v1/customers/{customer['id']}", f"/api/v1/sites/{site['id']}"):
        answer = await call("DELETE", path, token=admin)
        assert answer.status == 409 and "still used" in answer.body["message"]
    assert (await call("GET", f"/api/v1/sites/{site['id']}", token=admin)).status == 200


async def test_every_change_is_an_event_with_who_before_after_and_request_id(call, admin):
    created = await call("POST", "/api/v1/customers", {"reference": "EVT-01", "name": "Before"}, admin,
                         headers={"X-Request-ID": "req-create-1"})
    assert created.headers["X-Request-ID"] == "req-create-1"
    await call("PATCH", f"/api/v1/customers/{created.body['id']}", {"name": "After"}, admin,
               headers={"X-Request-ID": "req-update-1"})
    await call("DELETE", f"/api/v1/customers/{created.body['id']}", token=admin)
    events = (await call("GET", f"/api/v1/events?object_id={created.body['id']}", token=admin)).body["items"]
    assert [e["action"] for e in events] == ["delete", "update", "create"]
    update = events[1]
    assert (update["actor"], update["request_id"]) == ("boss", "req-update-1")
    assert update["before"]["name"] == "Before" and update["after"]["name"] == "After"
    assert events[2]["request_id"] == "req-create-1" and events[0]["after"] == {}


async def test_users_passwords_are_never_answered(call, admin):
    answer = await call("POST", "/api/v1/users", {"username": "Clerk", "roles": ["warehouse"],
                                                  "password": "warehouse pass 99"}, admin)
    assert answer.status == 201 and answer.body["username"] == "clerk"
    listing = await call("GET", "/api/v1/users", token=admin)
    events = await call("GET", "/api/v1/events?collection=users", token=admin)
    for body in (answer.body, listing.body, events.body):
        assert "warehouse pass 99" not in str(body) and "password_hash" not in str(body) and "scrypt$" not in str(body)
    weak = await call("POST", "/api/v1/users", {"username": "weak", "roles": ["support"], "password": "short"}, admin)
    assert weak.status == 422 and "password" in weak.body["fields"]
    no_role = await call("POST", "/api/v1/users", {"username": "norole", "roles": ["king"], "password": "long enough pass"}, admin)
    assert no_role.status == 422 and "king" in no_role.body["fields"]["roles"]


async def test_no_secret_reaches_the_logs(call, admin, caplog):
    caplog.set_level("DEBUG")
    customer = await make_customer(call, admin)
    site = await make_site(call, admin, customer["id"])
    line = await make_line(call, admin, site["id"])
    chosen = "chosen sip secret 77"
    await call("PATCH", f"/api/v1/lines/{line['id']}", {"sip_password": chosen}, admin)
    await call("PATCH", f"/api/v1/lines/{line['id']}", {"sip_password": "short"}, admin)
    await call("POST", "/api/v1/users", {"username": "kim", "roles": ["support"], "password": "user secret 4242"}, admin)
    text = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
    for secret in (line["sip_password"], chosen, "user secret 4242", admin):
        assert secret not in text
