"""Who may do what: tokens, sessions, the XSRF check, roles, one-time passwords and revocation."""

from __future__ import annotations

import time

import pytest

from inventory.events import Actor
from inventory.passwords import hash_password
from inventory.staff import User

pytestmark = pytest.mark.gen_test

STAFF_PASSWORD = "staff password 1234"

# (role, method, path, allowed): a refused call answers 403; an allowed one anything else (422 for an empty body).
ACCESS = [
    (role, method, path, allowed)
    for path, readers, writers in [
        ("/api/v1/customers", {"admin", "support", "warehouse", "technician"}, {"admin", "support"}),
        ("/api/v1/sites", {"admin", "support", "warehouse", "technician"}, {"admin", "support"}),
        ("/api/v1/contracts", {"admin", "support", "warehouse"}, {"admin", "support"}),
        ("/api/v1/lines", {"admin", "support", "technician"}, {"admin", "support"}),
        ("/api/v1/equipment", {"admin", "support", "warehouse", "technician"}, {"admin", "warehouse"}),
        ("/api/v1/users", {"admin"}, {"admin"}),
        ("/api/v1/events", {"admin", "support"}, set()),
    ]
    for role in ("admin", "support", "warehouse", "technician")
    for method, allowed in (("GET", role in readers), ("POST", role in writers))
    if not (path == "/api/v1/events" and method == "POST")
]


@pytest.mark.parametrize("role, method, path, allowed", ACCESS)
async def test_roles_decide_who_reads_and_writes(call, staff, role, method, path, allowed):
    token = staff(role)
    answer = await call(method, path, {} if method == "POST" else None, token)
    assert (answer.status != 403) == allowed, (answer.status, answer.body)
    if not allowed:
        assert "roles" in answer.body["message"]


@pytest.mark.parametrize("path", ["/api/v1/customers", "/api/v1/me", "/metrics", "/api/v1/openapi.json",
                                  "/api/v1/tokens", "/api/v1/events"])
async def test_everything_but_health_needs_credentials(call, path):
    for token in (None, "pvt_not-a-real-token", "Basic xyz"):
        answer = await call("GET", path, token=token)
        assert answer.status == 401, (path, token)
        assert answer.body["status"] == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await call("GET", "/healthz")).status == 200


async def test_metrics_are_prometheus_text(call, staff):
    token = staff("technician")
    await call("GET", "/api/v1/customers", token=token)
    answer = await call("GET", "/metrics", token=token)
    assert answer.status == 200 and "provisioner_http_requests_total" in answer.body
    assert 'route="/api/v1/customers"' in answer.body


async def _sign_in(http_client, base_url, username, password):
    response = await http_client.fetch(base_url + "/api/v1/session", method="POST", raise_error=False,
                                       headers={"Content-Type": "application/json"},
                                       body=f'{{"username": "{username}", "password": "{password}"}}')
    cookies = {}
    for header in response.headers.get_list("Set-Cookie"):
        name, _, rest = header.partition("=")
        cookies[name] = rest.split(";")[0]
    return response, cookies


def _cookie_header(cookies):
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def _user(username, roles=("support",), **extra):
    user = User(username=username, roles=list(roles), password_hash=hash_password(STAFF_PASSWORD), **extra)
    return user.insert(Actor.system("tests"))


async def test_session_cookie_works_and_writes_need_the_xsrf_token(http_client, base_url, call):
    _user("carla")
    response, cookies = await _sign_in(http_client, base_url, "Carla", STAFF_PASSWORD)
    assert response.code == 200 and "session" in cookies and "_xsrf" in cookies
    set_cookie = " ".join(response.headers.get_list("Set-Cookie"))
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    headers = {"Cookie": _cookie_header(cookies)}
    assert (await call("GET", "/api/v1/customers", headers=headers)).status == 200
    forged = await call("POST", "/api/v1/customers", {"reference": "XS-01", "name": "x"}, headers=headers)
    assert forged.status == 403 and "X-XSRFToken" in forged.body["message"]
    genuine = await call("POST", "/api/v1/customers", {"reference": "XS-01", "name": "x"},
                         headers={**headers, "X-XSRFToken": cookies["_xsrf"]})
    assert genuine.status == 201
    signed_out = await call("DELETE", "/api/v1/session", headers={**headers, "X-XSRFToken": cookies["_xsrf"]})
    assert signed_out.status == 204


async def test_wrong_password_and_unknown_user_look_the_same(http_client, base_url):
    _user("dora")
    answers = []
    for username, password in (("dora", "wrong password 123"), ("nobody", STAFF_PASSWORD)):
        started = time.monotonic()
        response, _ = await _sign_in(http_client, base_url, username, password)
        answers.append((response.code, response.body.split(b'"request_id"')[0], time.monotonic() - started >= 0.45))
    assert answers[0] == answers[1] == (401, answers[0][1], True)


async def test_inactive_users_cannot_sign_in_or_use_tokens(http_client, base_url, call, staff):
    _user("eve", active=False)
    response, _ = await _sign_in(http_client, base_url, "eve", STAFF_PASSWORD)
    assert response.code == 401


async def test_one_time_password_must_be_changed_first(http_client, base_url, call):
    _user("fred", must_change_password=True)
    response, cookies = await _sign_in(http_client, base_url, "fred", STAFF_PASSWORD)
    headers = {"Cookie": _cookie_header(cookies), "X-XSRFToken": cookies["_xsrf"]}
    blocked = await call("GET", "/api/v1/customers", headers=headers)
    assert blocked.status == 403 and "one-time password" in blocked.body["message"]
    assert (await call("GET", "/api/v1/me", headers=headers)).body["must_change_password"] is True
    weak = await call("POST", "/api/v1/me/password", {"current_password": STAFF_PASSWORD, "new_password": "short"},
                      headers=headers)
    assert weak.status == 422 and "new_password" in weak.body["fields"]
    wrong = await call("POST", "/api/v1/me/password", {"current_password": "not it at all", "new_password": "a much better one"},
                       headers=headers)
    assert wrong.status == 422 and "current_password" in wrong.body["fields"]
    changed = await http_client.fetch(base_url + "/api/v1/me/password", method="POST", raise_error=False,
                                      headers={**headers, "Content-Type": "application/json"},
                                      body=f'{{"current_password": "{STAFF_PASSWORD}", "new_password": "a much better one"}}')
    assert changed.code == 200
    renewed = {**cookies}
    for header in changed.headers.get_list("Set-Cookie"):
        name, _, rest = header.partition("=")
        renewed[name] = rest.split(";")[0]
    assert (await call("GET", "/api/v1/customers", headers={"Cookie": _cookie_header(renewed)})).status == 200
    # The old session cookie ended with the password change.
    assert (await call("GET", "/api/v1/customers", headers={"Cookie": _cookie_header(cookies)})).status == 401


async def test_tokens_are_shown_once_listed_without_secret_and_revoked_at_once(call, staff):
    token = staff("warehouse", username="gina")
    issued = await call("POST", "/api/v1/tokens", {"name": "scanner", "expires_in_days": 30}, token)
    assert issued.status == 201 and issued.body["token"].startswith("pvt_")
    second = issued.body["token"]
    listing = await call("GET", "/api/v1/tokens", token=second)
    assert second not in str(listing.body) and listing.body["total"] == 2
    assert all(item["hint"] and "token" not in item for item in listing.body["items"])
    assert (await call("GET", "/api/v1/equipment", token=second)).status == 200
    revoked = await call("DELETE", f"/api/v1/tokens/{issued.body['id']}", token=token)
    assert revoked.status == 204
    assert (await call("GET", "/api/v1/equipment", token=second)).status == 401


async def test_someone_elses_token_cannot_be_revoked(call, staff):
    mine = staff("warehouse", username="hugo")
    theirs = staff("support", username="ines")
    their_id = (await call("GET", "/api/v1/tokens", token=theirs)).body["items"][0]["id"]
    assert (await call("DELETE", f"/api/v1/tokens/{their_id}", token=mine)).status == 404
    assert (await call("GET", "/api/v1/customers", token=theirs)).status == 200


async def test_deactivating_a_user_stops_their_tokens(call, staff, admin):
    token = staff("support", username="jules")
    assert (await call("GET", "/api/v1/customers", token=token)).status == 200
    user_id = (await call("GET", "/api/v1/users?username=jules", token=admin)).body["items"][0]["id"]
    assert (await call("PATCH", f"/api/v1/users/{user_id}", {"active": False}, admin)).status == 200
    assert (await call("GET", "/api/v1/customers", token=token)).status == 401


async def test_admin_cannot_delete_themselves(call, admin):
    me = (await call("GET", "/api/v1/me", token=admin)).body
    answer = await call("DELETE", f"/api/v1/users/{me['id']}", token=admin)
    assert answer.status == 409


async def test_a_reactivated_user_must_sign_in_again(http_client, base_url, call, admin):
    user = _user("rita")
    response, cookies = await _sign_in(http_client, base_url, "rita", STAFF_PASSWORD)
    assert response.code == 200
    headers = {"Cookie": _cookie_header(cookies)}
    assert (await call("GET", "/api/v1/me", headers=headers)).status == 200
    for active in (False, True):
        assert (await call("PATCH", f"/api/v1/users/{user.pk}", {"active": active}, admin)).status == 200
    assert (await call("GET", "/api/v1/me", headers=headers)).status == 401


@pytest.mark.parametrize("change, field", [({"active": False}, "active"), ({"roles": ["support"]}, "roles")])
async def test_the_last_active_admin_cannot_be_deactivated_or_demoted(call, admin, change, field):
    me = (await call("GET", "/api/v1/me", token=admin)).body
    for other in User.objects(pk__ne=me["id"], roles="admin"):
        other.delete()
    refused = await call("PATCH", f"/api/v1/users/{me['id']}", change, admin)
    assert refused.status == 422 and "no active admin" in refused.body["fields"][field]
    assert User.objects.get(pk=me["id"]).roles == ["admin"] and User.objects.get(pk=me["id"]).active
    _user("second", roles=("admin",))  # with another active admin, the same change is allowed
    assert (await call("PATCH", f"/api/v1/users/{me['id']}", change, admin)).status == 200
