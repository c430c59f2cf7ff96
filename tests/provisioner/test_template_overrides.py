"""Template overrides per customer or site: refused when any file would fail to render, with the line."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.gen_test

GOOD = "{% extends 'base:yealink/device.cfg.j2' %}\n"


async def _customer(call, token):
    answer = await call("POST", "/api/v1/customers", {"reference": "OVR-01", "name": "Override SA"}, token)
    return answer.body["id"]


async def test_a_good_override_is_saved_and_a_duplicate_refused(call, admin):
    customer = await _customer(call, admin)
    body = {"scope": "customer", "customer": customer, "vendor": "yealink", "template": "device.cfg.j2", "source": GOOD}
    created = await call("POST", "/api/v1/template-overrides", body, admin)
    assert created.status == 201, created.body
    duplicate = await call("POST", "/api/v1/template-overrides", body, admin)
    assert duplicate.status == 409


@pytest.mark.parametrize("source, fragment", [
    ("{{ device.nope }}\n", "line 1"),
    ("ok\n{% for line in lines %}\n{{ line.index + }}\n{% endfor %}\n", "line 3"),
    ("{{ provider.sip_domain.__class__ }}\n", ""),
    ("{% extends 'base:yealink/missing.j2' %}", "missing.j2"),
])
async def test_an_override_that_breaks_a_file_is_refused_with_its_line(call, admin, source, fragment):
    customer = await _customer(call, admin)
    body = {"scope": "customer", "customer": customer, "vendor": "yealink", "template": "device.cfg.j2", "source": source}
    answer = await call("POST", "/api/v1/template-overrides", body, admin)
    assert answer.status == 422, answer.body
    assert fragment in answer.body["fields"]["source"]
    assert (await call("GET", "/api/v1/template-overrides", token=admin)).body["total"] == 0


async def test_a_bad_edit_leaves_the_saved_override_as_it_was(call, admin):
    customer = await _customer(call, admin)
    created = await call("POST", "/api/v1/template-overrides", {
        "scope": "customer", "customer": customer, "vendor": "yealink", "template": "device.cfg.j2", "source": GOOD}, admin)
    path = f"/api/v1/template-overrides/{created.body['id']}"
    broken = await call("PATCH", path, {"source": "{{ nothing.here }}"}, admin)
    assert broken.status == 422 and "line 1" in broken.body["fields"]["source"]
    assert (await call("GET", path, token=admin)).body["source"] == GOOD


async def test_scope_needs_its_record_and_only_admins_write(call, admin, staff):
    missing = await call("POST", "/api/v1/template-overrides", {
        "scope": "site", "vendor": "yealink", "template": "device.cfg.j2", "source": GOOD}, admin)
    assert missing.status == 422 and "site" in missing.body["fields"]
    support = staff("support")
    customer = await _customer(call, admin)
    refused = await call("POST", "/api/v1/template-overrides", {
        "scope": "customer", "customer": customer, "vendor": "yealink", "template": "device.cfg.j2", "source": GOOD}, support)
    assert refused.status == 403
    assert (await call("GET", "/api/v1/template-overrides", token=support)).status == 200
