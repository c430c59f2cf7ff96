"""Registrations from a real SIP user agent (sipp): digest authentication, refusals, and the bindings kept."""

from __future__ import annotations

import asyncio

from sipp_runner import REALM, account, make_core, needs_sipp, register_row, run_sipp

from sip_core.recorder import FraudSign

pytestmark = needs_sipp


def test_three_phones_register_with_digest_authentication(tmp_path):
    async def scenario():
        core, recorder = make_core([account(n) for n in (1001, 1002, 1003)])
        address = (await core.start("127.0.0.1", 0))["udp"]
        try:
            run = await run_sipp("register.xml", address, tmp_path, final="200", calls=3,
                                 rows=[register_row(f"u{n}", "secret-pass") for n in (1001, 1002, 1003)])
            return core, recorder, run
        finally:
            core.stop()

    core, recorder, run = asyncio.run(scenario())
    assert run.returncode == 0, run.output
    for number in (1001, 1002, 1003):
        (binding,) = core.location.bindings(f"u{number}", core.clock())
        assert binding.contact.startswith(f"sip:u{number}@127.0.0.1:")
        assert binding.user_agent.startswith("Yealink SIP-T46U")
        assert 290 <= binding.expires_at - core.clock() <= 300
    assert [r[0] for r in recorder.registrations] == ["u1001", "u1002", "u1003"]
    assert recorder.failures == [] and recorder.signs == []


def test_a_wrong_password_gets_403_and_registers_nothing(tmp_path):
    async def scenario():
        core, recorder = make_core([account(1001)])
        address = (await core.start("127.0.0.1", 0))["udp"]
        try:
            return core, recorder, await run_sipp("register.xml", address, tmp_path, final="403",
                                                  rows=[register_row("u1001", "not-the-password")])
        finally:
            core.stop()

    core, recorder, run = asyncio.run(scenario())
    assert run.returncode == 0, run.output
    assert core.location.bindings("u1001", core.clock()) == ()
    assert [username for _, username in recorder.failures] == ["u1001"]


def test_an_unknown_account_gets_the_same_answer_as_a_wrong_password(tmp_path):
    async def scenario():
        core, recorder = make_core([account(1001)])
        address = (await core.start("127.0.0.1", 0))["udp"]
        try:
            return recorder, await run_sipp("register.xml", address, tmp_path, final="403",
                                            rows=[register_row("u9999", "secret-pass")])
        finally:
            core.stop()

    recorder, run = asyncio.run(scenario())
    assert run.returncode == 0, run.output
    assert [username for _, username in recorder.failures] == ["u9999"]


def test_a_device_that_is_not_the_lines_equipment_is_refused_as_fraud(tmp_path):
    async def scenario():
        core, recorder = make_core([account(1001), account(1002)])
        address = (await core.start("127.0.0.1", 0))["udp"]
        try:
            rows = [register_row("u1001", "secret-pass", agent="Asterisk PBX 18.9.0"),
                    register_row("u1002", "secret-pass", agent="Yealink SIP-T54W 96.86.0.100")]
            return core, recorder, await run_sipp("register.xml", address, tmp_path, final="403", calls=2, rows=rows)
        finally:
            core.stop()

    core, recorder, run = asyncio.run(scenario())
    assert run.returncode == 0, run.output
    assert core.location.bindings("u1001", core.clock()) == core.location.bindings("u1002", core.clock()) == ()
    assert [(s.kind, s.username) for s in recorder.signs] == [("unmanaged device", "u1001"),
                                                              ("unmanaged device", "u1002")]
    assert all(isinstance(sign, FraudSign) and "Asterisk" in recorder.signs[0].detail for sign in recorder.signs)
    assert "T54W" in recorder.signs[1].detail and "T46U" in recorder.signs[1].detail


def test_too_brief_an_interval_gets_423(tmp_path):
    async def scenario():
        core, _ = make_core([account(1001)])
        address = (await core.start("127.0.0.1", 0))["udp"]
        try:
            return core, await run_sipp("register.xml", address, tmp_path, final="423",
                                        rows=[register_row("u1001", "secret-pass", expires=30)])
        finally:
            core.stop()

    core, run = asyncio.run(scenario())
    assert run.returncode == 0, run.output
    assert core.location.bindings("u1001", core.clock()) == ()


def test_realm_is_the_configured_one():
    assert REALM == "sip.test"
