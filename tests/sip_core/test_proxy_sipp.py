"""Calls through the proxy between real SIP agents (sipp as both phones): answer, CANCEL, and refusals."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace

from sipp_runner import REALM, account, call_row, free_udp_port, make_core, needs_sipp, phone_at, run_sipp

from sip_core.call_records import EndedBy, Outcome
from sip_core.numbering import DestinationClass

pytestmark = needs_sipp


def call_through_sipp(tmp_path, caller_scenario: str, callee_scenario: str | None, dialled: str,
                      final: str | None = None, **config):
    """Run the callee (registered as u1002, when given) and the caller (u1001) through a core; both runs."""
    async def scenario():
        core, recorder = make_core([account(1001), account(1002)], **config)
        address = (await core.start("127.0.0.1", 0))["udp"]
        callee = None
        try:
            if callee_scenario is not None:
                port = free_udp_port()
                core.location.replace("u1002", (phone_at("u1002", port, core.clock()),), core.clock())
                (tmp_path / "callee").mkdir()
                callee = asyncio.create_task(run_sipp(callee_scenario, ("127.0.0.1", 9), tmp_path / "callee",
                                                      timeout=15, port=port))
                await asyncio.sleep(0.5)  # sipp listening
            (tmp_path / "caller").mkdir()
            caller = await run_sipp(caller_scenario, address, tmp_path / "caller", final=final, timeout=15,
                                    rows=[call_row("u1001", dialled)])
            return core, recorder, caller, (await asyncio.wait_for(callee, 30) if callee else None)
        finally:
            core.stop()

    return asyncio.run(scenario())


def test_a_call_between_two_lines_is_answered_acknowledged_and_hung_up(tmp_path):
    core, recorder, caller, callee = call_through_sipp(tmp_path, "uac_call.xml", "uas_answer.xml", "1002")
    assert caller.returncode == 0, caller.output
    assert callee.returncode == 0, callee.output
    assert recorder.failures == [] and recorder.signs == []
    assert core.call_rate.active("u1001") == 0  # the BYE ended it


def test_a_call_cancelled_while_ringing_gets_487(tmp_path):
    core, _, caller, callee = call_through_sipp(tmp_path, "uac_cancel.xml", "uas_ring.xml", "1002")
    assert caller.returncode == 0, caller.output
    assert callee.returncode == 0, callee.output
    assert core.call_rate.active("u1001") == 0


def test_an_unknown_extension_gets_404(tmp_path):
    _, recorder, caller, _ = call_through_sipp(tmp_path, "uac_refused.xml", None, "1999", final="404")
    assert caller.returncode == 0, caller.output
    assert recorder.signs == []


def test_a_registered_line_with_no_phone_gets_480(tmp_path):
    _, _, caller, _ = call_through_sipp(tmp_path, "uac_refused.xml", None, "1002", final="480")
    assert caller.returncode == 0, caller.output


def test_a_premium_number_is_refused_and_recorded_as_fraud(tmp_path):
    _, recorder, caller, _ = call_through_sipp(tmp_path, "uac_refused.xml", None, "0899123456", final="403")
    assert caller.returncode == 0, caller.output
    assert [(sign.kind, sign.username) for sign in recorder.signs] == [("blocked destination", "u1001")]
    assert "0899123456" in recorder.signs[0].detail


def test_an_emergency_number_without_a_trunk_gets_503_not_403(tmp_path):
    _, recorder, caller, _ = call_through_sipp(tmp_path, "uac_refused.xml", None, "112", final="503")
    assert caller.returncode == 0, caller.output
    assert recorder.signs == []


def test_a_wrong_password_gets_403_and_counts_as_a_failure(tmp_path):
    async def scenario():
        core, recorder = make_core([account(1001), account(1002)])
        address = (await core.start("127.0.0.1", 0))["udp"]
        try:
            return recorder, await run_sipp("uac_refused.xml", address, tmp_path, final="403", timeout=15,
                                            rows=[call_row("u1001", "1002", password="wrong")])
        finally:
            core.stop()

    recorder, caller = asyncio.run(scenario())
    assert caller.returncode == 0, caller.output
    assert [username for _, username in recorder.failures] == ["u1001"]


def test_a_2xx_resent_after_its_transaction_ended_goes_on_to_the_next_via_and_hops_run_out():
    """Raw UDP: a stray 2xx with our Via on top reaches the caller without it; Max-Forwards 0 gets 483."""
    async def scenario():
        core, _ = make_core([account(1001), account(1002)])
        host, port = (await core.start("127.0.0.1", 0))["udp"]
        loop = asyncio.get_running_loop()
        caller = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        caller.bind(("127.0.0.1", 0))
        caller.setblocking(False)
        mine = caller.getsockname()[1]
        try:
            stray = (f"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP {host}:{port};branch=z9hG4bKours\r\n"
                     f"Via: SIP/2.0/UDP 127.0.0.1:{mine};branch=z9hG4bKcaller\r\nFrom: <sip:u1001@{REALM}>;tag=a\r\n"
                     f"To: <sip:1002@{REALM}>;tag=b\r\nCall-ID: stray\r\nCSeq: 2 INVITE\r\nContent-Length: 0\r\n\r\n")
            await loop.sock_sendto(caller, stray.encode(), (host, port))
            forwarded = (await asyncio.wait_for(loop.sock_recv(caller, 65535), 2)).decode()
            invite = (f"INVITE sip:1002@{REALM} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{mine};branch=z9hG4bKmf\r\n"
                      f"From: <sip:u1001@{REALM}>;tag=a\r\nTo: <sip:1002@{REALM}>\r\nCall-ID: mf\r\n"
                      f"CSeq: 1 INVITE\r\nMax-Forwards: 0\r\nContent-Length: 0\r\n\r\n")
            await loop.sock_sendto(caller, invite.encode(), (host, port))
            hops = (await asyncio.wait_for(loop.sock_recv(caller, 65535), 2)).decode()
            return forwarded, hops
        finally:
            caller.close()
            core.stop()

    forwarded, hops = asyncio.run(scenario())
    assert forwarded.startswith("SIP/2.0 200 OK") and "z9hG4bKours" not in forwarded and "z9hG4bKcaller" in forwarded
    assert hops.startswith("SIP/2.0 483")


def test_an_in_dialog_request_with_a_forged_route_is_not_relayed():
    """Raw UDP: our address in a Route is not enough; without the dialog's mark we refuse to relay (no open relay
    to the trunk or anywhere else), with it the request goes on."""
    from sip_core.hops import dialog_mark

    async def scenario():
        core, _ = make_core([account(1001), account(1002)])
        host, port = (await core.start("127.0.0.1", 0))["udp"]
        loop = asyncio.get_running_loop()
        peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        peer.bind(("127.0.0.1", 0))
        peer.setblocking(False)
        mine = peer.getsockname()[1]

        def bye(route_params: str, branch: str) -> bytes:
            return (f"BYE sip:victim@127.0.0.1:{mine} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{mine};branch={branch}\r\n"
                    f"Route: <sip:{host}:{port};lr{route_params}>\r\nFrom: <sip:x@{REALM}>;tag=a\r\n"
                    f"To: <sip:y@{REALM}>;tag=b\r\nCall-ID: forged\r\nCSeq: 5 BYE\r\nContent-Length: 0\r\n\r\n").encode()

        try:
            answers = []
            for params, branch in (("", "z9hG4bKf1"), (";dlg=0123456789abcdef0123", "z9hG4bKf2"),
                                   (f";dlg={dialog_mark(core.config.nonce_key, 'forged')}", "z9hG4bKf3")):
                await loop.sock_sendto(peer, bye(params, branch), (host, port))
                answers.append((await asyncio.wait_for(loop.sock_recv(peer, 65535), 2)).decode())
            return answers
        finally:
            peer.close()
            core.stop()

    plain, wrong, marked = asyncio.run(scenario())
    assert plain.startswith("SIP/2.0 403") and wrong.startswith("SIP/2.0 403")
    assert marked.startswith("BYE sip:victim@")  # relayed, here to the peer itself (the Request-URI's address)


# --- call records ----------------------------------------------------------------------------------


def test_an_answered_call_leaves_one_answered_record(tmp_path):
    core, _, caller, callee = call_through_sipp(tmp_path, "uac_call.xml", "uas_answer.xml", "1002")
    assert caller.returncode == 0 and callee.returncode == 0, caller.output + callee.output
    [record] = core.calls.log.records
    assert (record.caller, record.caller_line, record.caller_site, record.caller_number) == (
        "u1001", "line1001", "site1", "+33190001001")
    assert (record.dialled, record.destination_class, record.callee_line, record.callee_site) == (
        "1002", DestinationClass.INTERNAL, "line1002", "site1")
    assert (record.outcome, record.status, record.ended_by) == (Outcome.ANSWERED, 200, EndedBy.BYE)
    assert record.start <= record.answer <= record.end
    assert len(core.calls) == 0


def test_a_cancelled_call_leaves_one_cancelled_record(tmp_path):
    core, _, caller, callee = call_through_sipp(tmp_path, "uac_cancel.xml", "uas_ring.xml", "1002")
    assert caller.returncode == 0 and callee.returncode == 0, caller.output + callee.output
    [record] = core.calls.log.records
    assert (record.caller, record.callee_line, record.answer) == ("u1001", "line1002", None)
    assert (record.outcome, record.status, record.ended_by) == (Outcome.CANCELLED, 487, EndedBy.CANCEL)
    assert record.start <= record.end
    assert len(core.calls) == 0


def test_a_refused_call_leaves_one_refused_record(tmp_path):
    core, _, caller, _ = call_through_sipp(tmp_path, "uac_refused.xml", None, "0899123456", final="403")
    assert caller.returncode == 0, caller.output
    [record] = core.calls.log.records  # the INVITE answered 407 first is no call
    assert (record.caller, record.dialled, record.number, record.destination_class, record.callee_line) == (
        "u1001", "0899123456", "+33899123456", DestinationClass.PREMIUM, "")
    assert (record.outcome, record.status, record.ended_by, record.answer) == (
        Outcome.REFUSED, 403, EndedBy.FINAL, None)
    assert record.start == record.end and len(core.calls) == 0


def test_a_line_with_two_phones_rings_both_and_the_one_not_answering_is_cancelled(tmp_path):
    async def scenario():
        core, recorder = make_core([account(1001), account(1002)])
        address = (await core.start("127.0.0.1", 0))["udp"]
        answering, ringing = free_udp_port(), free_udp_port()
        now = core.clock()
        first, second = phone_at("u1002", answering, now), phone_at("u1002", ringing, now)
        core.location.replace("u1002", (first, replace(second, call_id="reg-u1002-desk")), now)
        try:
            phones = []
            for name, port, scenario_file in (("answering", answering, "uas_answer.xml"),
                                              ("ringing", ringing, "uas_ring.xml")):
                (tmp_path / name).mkdir()
                phones.append(asyncio.create_task(run_sipp(scenario_file, ("127.0.0.1", 9), tmp_path / name,
                                                           timeout=15, port=port)))
            await asyncio.sleep(0.5)  # both sipp listening
            (tmp_path / "caller").mkdir()
            caller = await run_sipp("uac_call.xml", address, tmp_path / "caller", timeout=15,
                                    rows=[call_row("u1001", "1002")])
            return core, recorder, caller, [await asyncio.wait_for(phone, 30) for phone in phones]
        finally:
            core.stop()

    core, recorder, caller, (answered, cancelled) = asyncio.run(scenario())
    assert caller.returncode == 0, caller.output
    assert answered.returncode == 0, answered.output
    assert cancelled.returncode == 0, cancelled.output  # got the CANCEL, answered 487, got the ACK
    [record] = core.calls.log.records
    assert (record.outcome, record.callee_line, record.ended_by) == (Outcome.ANSWERED, "line1002", EndedBy.BYE)
    assert recorder.signs == []
