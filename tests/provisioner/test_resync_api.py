"""POST /api/v1/resync and GET /api/v1/resync/<id> over the real application and database: queued with 202 and a
Location, bodies refused with 400 saying why, unknown devices and sites 404, roles, and SIP disabled said clearly."""

from __future__ import annotations

import dataclasses

import pytest

from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor
from inventory.resync_requests import ResyncRequest, ResyncResult, claim_next, record
from provisioner.provisioning.device_secrets import issue_secrets

pytestmark = pytest.mark.gen_test
ACTOR = Actor.system("tests")


@pytest.fixture
def fleet(mongo_db, services) -> dict[str, str]:
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    site = Site(customer=customer, name="HQ", address="1 rue", postcode="75008", city="Paris").insert(ACTOR)
    item = Equipment(serial="YL-1", mac="805ec0000001", vendor="yealink", model="T46U", site=site, state="in_service")
    issue_secrets(item, services.box)
    item.insert(ACTOR)
    return {"site": str(site.pk), "mac": "805ec0000001"}


def stored() -> list[dict]:
    return list(ResyncRequest._get_collection().find({}))


async def test_a_device_re_sync_is_queued_and_can_be_followed(call, staff, fleet):
    support = staff("support")
    queued = await call("POST", "/api/v1/resync", {"device": "80:5E:C0:00:00:01"}, support)
    assert queued.status == 202, queued.body
    assert queued.headers["Location"] == f"/api/v1/resync/{queued.body['id']}"
    assert queued.body["target"] == {"kind": "device", "value": "805ec0000001"}
    assert (queued.body["state"], queued.body["requested_by"], queued.body["results"]) == ("queued", "support-0", [])
    assert queued.body["summary"] == {"answered": 0, "not_registered": 0, "timeout": 0, "failed": 0}
    (raw,) = stored()
    assert (raw["target_kind"], raw["target"], raw["state"]) == ("device", "805ec0000001", "queued")
    assert raw["request_id"] == queued.headers["X-Request-ID"]

    followed = await call("GET", queued.headers["Location"], token=support)
    assert followed.status == 200 and followed.body == queued.body


async def test_the_results_written_by_the_sip_process_are_shown(call, staff, fleet):
    support = staff("support")
    queued = await call("POST", "/api/v1/resync", {"site": fleet["site"]}, support)
    claimed = claim_next("worker-0")
    answered = ResyncResult("805ec0000001", "u1", "sip:u1@192.0.2.1:5060", "answered", 200, "OK")
    assert record(claimed, 1, [answered], True)
    done = await call("GET", f"/api/v1/resync/{queued.body['id']}", token=support)
    assert done.body["state"] == "done" and done.body["devices"] == 1 and done.body["attempts"] == 1
    assert done.body["results"] == [answered.as_dict()]
    assert done.body["summary"]["answered"] == 1 and done.body["done_at"].endswith("Z")


async def test_every_device_out_of_date_is_queued_by_admin_too(call, staff, admin, fleet):
    queued = await call("POST", "/api/v1/resync", {"out_of_date": True}, admin)
    assert queued.status == 202 and queued.body["target"] == {"kind": "out_of_date", "value": ""}


@pytest.mark.parametrize(("body", "says"), [
    ({}, "no target"),
    ({"device": "805ec0000001", "site": "x"}, "several targets: device, site"),
    ({"mac": "805ec0000001"}, "unknown field(s) mac"),
    ({"device": "not a mac"}, "MAC address 'not a mac' is not valid"),
    ({"device": 805}, "device must be a non-empty string"),
    ({"site": "  "}, "site must be a non-empty string"),
    ({"out_of_date": False}, "out_of_date must be true"),
    ({"out_of_date": "yes"}, "out_of_date must be true"),
])
async def test_a_body_naming_no_single_valid_target_is_refused(call, staff, fleet, body, says):
    refused = await call("POST", "/api/v1/resync", body, staff("support"))
    assert refused.status == 400, refused.body
    assert says in refused.body["message"]
    if "MAC" not in says:  # the MAC's own message says what a MAC looks like instead
        assert '{"device": "<MAC>"}, {"site": "<site id>"} or {"out_of_date": true}' in refused.body["message"]
    assert stored() == []


async def test_a_body_that_is_not_a_json_object_is_refused(call, staff, fleet):
    support = staff("support")
    assert (await call("POST", "/api/v1/resync", raw=b"[1, 2]", token=support)).status == 400
    assert (await call("POST", "/api/v1/resync", raw=b"{", token=support)).status == 400
    assert stored() == []


async def test_an_unknown_device_or_site_is_404(call, staff, fleet):
    support = staff("support")
    device = await call("POST", "/api/v1/resync", {"device": "805ec00000ff"}, support)
    assert device.status == 404 and device.body["message"] == "no equipment with MAC 805ec00000ff"
    site = await call("POST", "/api/v1/resync", {"site": "0" * 24}, support)
    assert site.status == 404 and "no site with id" in site.body["message"]
    assert stored() == []
    missing = await call("GET", f"/api/v1/resync/{'0' * 24}", token=support)
    assert missing.status == 404 and "no re-sync request" in missing.body["message"]
    assert (await call("GET", "/api/v1/resync/nonsense", token=support)).status == 404


async def test_only_support_and_admin_may_re_sync(call, staff, fleet):
    queued = await call("POST", "/api/v1/resync", {"device": fleet["mac"]}, staff("support"))
    for role in ("warehouse", "technician"):
        token = staff(role)
        refused = await call("POST", "/api/v1/resync", {"device": fleet["mac"]}, token)
        assert refused.status == 403 and "support" in refused.body["message"]
        assert (await call("GET", f"/api/v1/resync/{queued.body['id']}", token=token)).status == 403
    assert (await call("GET", f"/api/v1/resync/{queued.body['id']}")).status == 401
    assert len(stored()) == 1


async def test_with_sip_disabled_nothing_is_queued_and_the_answer_says_why(call, staff, services, fleet):
    services.settings = dataclasses.replace(services.settings,
                                            sip=dataclasses.replace(services.settings.sip, enabled=False))
    refused = await call("POST", "/api/v1/resync", {"device": fleet["mac"]}, staff("support"))
    assert refused.status == 503
    assert "SIP core is disabled" in refused.body["message"] and "sip.enabled: false" in refused.body["message"]
    assert stored() == []
