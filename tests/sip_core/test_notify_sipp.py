"""Re-sync NOTIFY received by a real SIP agent (sipp as the phone), which challenges it first."""

from __future__ import annotations

import asyncio

from sipp_runner import account, free_udp_port, make_core, needs_sipp, run_sipp

from sip_core.location import Binding
from sip_core.notify import Resyncer

pytestmark = needs_sipp


def phone_at(port: int, now: float) -> Binding:
    return Binding(f"sip:u1001@127.0.0.1:{port}", now + 300, "reg-1", 2, "udp", "127.0.0.1", port, now)


def resync_through_sipp(tmp_path, password_checked_by_phone: str):
    async def scenario():
        core, _ = make_core([account(1001, password="secret-pass"), account(1002)])
        await core.start("127.0.0.1", 0)
        port = free_udp_port()
        core.location.replace("u1001", (phone_at(port, core.clock()),), core.clock())
        try:
            phone = asyncio.create_task(run_sipp(
                "notify_uas.xml", ("127.0.0.1", 9), tmp_path, calls=1, timeout=15, port=port,
                extra=["-set", "user", "u1001", "-set", "password", password_checked_by_phone]))
            await asyncio.sleep(0.5)  # sipp listening
            results = await asyncio.wait_for(Resyncer(core).resync("u1001"), 20)
            nothing = await Resyncer(core).resync("u1002")  # not registered: nobody to tell
            return results, nothing, await phone
        finally:
            core.stop()

    return asyncio.run(scenario())


def test_a_registered_phone_gets_check_sync_and_the_challenge_is_answered(tmp_path):
    results, nothing, run = resync_through_sipp(tmp_path, "secret-pass")
    assert run.returncode == 0, run.output
    assert [(r.username, r.status) for r in results] == [("u1001", 200)] and results[0].ok
    assert nothing == []


def test_a_phone_expecting_other_credentials_refuses(tmp_path):
    results, _, run = resync_through_sipp(tmp_path, "another-password")
    assert [r.status for r in results] == [403]
