"""The whole server with its SIP core (worker 0, free ports): a demo phone's line registers with sipp, and the
binding reaches the `sip_registrations` collection."""

from __future__ import annotations

import asyncio
import json

import pytest
from pymongo import MongoClient
from server_process import ServerProcess, wait_until
from sipp_runner import needs_sipp, register_row, run_sipp

from provisioner.provisioning.pipeline import SERVED_STATES

pytestmark = [pytest.mark.slow, needs_sipp]
PASSWORD = "Sipp-register-42"


def test_a_demo_phone_registers_and_its_binding_is_stored(tmp_path):
    # sipp answers only the first WWW-Authenticate, and knows only MD5.
    server = ServerProcess(tmp_path, extra_args=("--demo", "--workers", "2"),
                           env={"PROVISIONER_SIP_DIGEST_ALGORITHMS": "MD5"}).start(timeout=60)
    try:
        assert wait_until(lambda: "sip core ready" in server.log(), 20), server.log()
        token = server.token()
        status, _, listing = server.request("GET", "/api/v1/equipment?vendor=yealink&per_page=100", token=token)
        assert status == 200, listing
        phone = next(item for item in listing["items"] if item["lines"] and item["state"] in SERVED_STATES)
        status, _, line = server.request("GET", f"/api/v1/lines/{phone['lines'][0]}", token=token)
        assert status == 200, line
        status, _, changed = server.request("PATCH", f"/api/v1/lines/{line['id']}", {"sip_password": PASSWORD},
                                            token=token, headers={"If-Match": str(line["version"])})
        assert status == 200, changed
        agent = f"Yealink SIP-{phone['model']} 108.86.0.75"
        work = tmp_path / "sipp"
        work.mkdir()
        target = ("127.0.0.1", server.sip_udp_port)

        async def register():
            # The new password reaches worker 0's directory within about a second: retried until then.
            for _ in range(10):
                run = await run_sipp("register.xml", target, work, final="200",
                                     rows=[register_row(line["sip_username"], PASSWORD, agent=agent)])
                if run.returncode == 0:
                    return run
                await asyncio.sleep(0.5)
            return run

        run = asyncio.run(register())
        assert run.returncode == 0, run.output + server.log()[-3000:]

        uri = json.loads(next(text for text in server.log().splitlines() if '"storage: ' in text))["message"]
        client = MongoClient(uri.split()[1], serverSelectionTimeoutMS=5000)
        try:
            registrations = client["provisioner"]["sip_registrations"]
            assert wait_until(lambda: registrations.find_one({"_id": line["sip_username"]}) is not None, 5)
            stored = registrations.find_one({"_id": line["sip_username"]})
        finally:
            client.close()
        (binding,) = stored["bindings"]
        assert binding["contact"].startswith(f"sip:{line['sip_username']}@127.0.0.1:")
        assert binding["user_agent"] == agent and binding["transport"] == "udp"
        assert 250 <= binding["expires_at"] - binding["registered_at"] <= 300
    finally:
        assert server.stop() == 0
