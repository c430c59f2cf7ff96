"""The carrier trunk: which peers are the trunk, where its calls in go, and calls in and out with sipp as the trunk."""

from __future__ import annotations

import asyncio

import pytest
from sipp_runner import REALM, account, call_row, free_udp_port, make_core, needs_sipp, phone_at, run_sipp

from sip_core.call_records import EndedBy, Outcome
from sip_core.directory import MemoryDirectory
from sip_core.numbering import DestinationClass
from sip_core.routing import Kind, route_inbound
from sip_core.trunk import TRUNK_USERNAME, from_trunk, trunk_caller, trunk_sources

LINE = account(1002)  # number +33190001002


@pytest.mark.parametrize("trunk, sources, host, port, expected", [
    ("192.0.2.10:5060", (), "192.0.2.10", 5060, True),  # by default the trunk's own address
    ("192.0.2.10:5060", (), "192.0.2.10", 5070, False),  # its host from another port is not it
    ("192.0.2.10:5060", (), "192.0.2.11", 5060, False),
    ("192.0.2.10:5060", ("198.51.100.7",), "198.51.100.7", 41000, True),  # a host alone: any port (TCP)
    ("192.0.2.10:5060", ("198.51.100.7",), "192.0.2.10", 5060, False),  # sources replace the default
    ("", (), "192.0.2.10", 5060, False),  # no trunk: no calls in without credentials
    ("", ("[2001:db8::5]:5060",), "2001:db8::5", 5060, True),
    ("", ("2001:db8::5",), "2001:db8::5", 5099, True),
    ("", ("[2001:db8::5]:5060",), "2001:db8::5", 5061, False),
])
def test_the_trunk_is_known_by_its_address(trunk, sources, host, port, expected):
    assert from_trunk(host, port, trunk_sources(trunk, sources)) is expected


@pytest.mark.parametrize("dialled, kind, status, number", [
    ("+33190001002", Kind.LINE, 0, "+33190001002"),
    ("0190001002", Kind.LINE, 0, "+33190001002"),  # the national form
    ("0033190001002", Kind.LINE, 0, "+33190001002"),
    ("+33190001003", Kind.REFUSED, 404, "+33190001003"),  # not ours: never back out to the trunk
    ("1002", Kind.REFUSED, 404, ""),  # extensions are a customer's, not the carrier's
    ("", Kind.REFUSED, 404, ""),
])
def test_a_call_in_goes_to_the_line_holding_the_number_or_gets_404(dialled, kind, status, number):
    destination = route_inbound(dialled, MemoryDirectory([LINE], {}))
    assert (destination.kind, destination.status, destination.number) == (kind, status, number)
    assert destination.account == (LINE if kind is Kind.LINE else None)


def test_the_trunk_as_a_caller_is_on_no_line_of_ours():
    caller = trunk_caller("+33612345678", "Carrier caller")
    assert (caller.username, caller.number, caller.line_id, caller.site_id, caller.devices) == (
        TRUNK_USERNAME, "+33612345678", "", "", ())


def run_with_trunk(tmp_path, phone_scenario: str | None, caller_scenario: str, rows: list[list[str]],
                   final: str | None = None, caller_is_trunk: bool = True):
    """A core whose trunk is a sipp agent's port; `phone_scenario` (if any) runs as line u1002's phone, then
    the caller runs: from the trunk's port, or from another one. The core, its call log, the runs."""
    async def scenario():
        trunk_port, phone_port = free_udp_port(), free_udp_port()
        core, recorder = make_core([account(1001), account(1002)], trunk=f"127.0.0.1:{trunk_port}")
        address = (await core.start("127.0.0.1", 0))["udp"]
        phone = None
        try:
            if phone_scenario is not None:
                core.location.replace("u1002", (phone_at("u1002", phone_port, core.clock()),), core.clock())
                (tmp_path / "phone").mkdir()
                phone = asyncio.create_task(run_sipp(phone_scenario, ("127.0.0.1", 9), tmp_path / "phone",
                                                     timeout=15, port=phone_port))
                await asyncio.sleep(0.5)  # sipp listening
            (tmp_path / "caller").mkdir()
            caller = await run_sipp(caller_scenario, address, tmp_path / "caller", rows=rows, final=final,
                                    timeout=15, port=trunk_port if caller_is_trunk else None)
            return core, recorder, caller, (await asyncio.wait_for(phone, 30) if phone else None)
        finally:
            core.stop()

    return asyncio.run(scenario())


@needs_sipp
def test_a_call_in_from_the_trunk_rings_the_line_holding_the_number(tmp_path):
    core, recorder, trunk, phone = run_with_trunk(tmp_path, "uas_answer.xml", "trunk_call.xml",
                                                  [["+33612345678", REALM, "0190001002"]])
    assert trunk.returncode == 0, trunk.output
    assert phone.returncode == 0, phone.output
    assert recorder.signs == [] and recorder.failures == []
    [record] = core.calls.log.records
    assert (record.caller, record.caller_number, record.caller_line) == (TRUNK_USERNAME, "+33612345678", "")
    assert (record.number, record.callee_line, record.outcome, record.ended_by) == (
        "+33190001002", "line1002", Outcome.ANSWERED, EndedBy.BYE)
    assert core.call_rate.active(TRUNK_USERNAME) == 0


@needs_sipp
def test_a_call_in_to_a_number_that_is_not_ours_gets_404(tmp_path):
    core, _, trunk, _ = run_with_trunk(tmp_path, None, "trunk_refused.xml", [["+33612345678", REALM, "+33190009999"]],
                                       final="404")
    assert trunk.returncode == 0, trunk.output
    [record] = core.calls.log.records
    assert (record.caller, record.outcome, record.status) == (TRUNK_USERNAME, Outcome.REFUSED, 404)


@needs_sipp
def test_a_stranger_calling_in_without_credentials_is_challenged_not_taken_for_the_trunk(tmp_path):
    core, _, stranger, _ = run_with_trunk(tmp_path, None, "trunk_refused.xml", [["+33612345678", REALM, "0190001002"]],
                                          final="407", caller_is_trunk=False)
    assert stranger.returncode == 0, stranger.output
    assert list(core.calls.log.records) == []


@needs_sipp
def test_a_call_out_goes_to_the_trunk_in_e164_and_is_answered_there(tmp_path):
    async def scenario():
        trunk_port = free_udp_port()
        core, recorder = make_core([account(1001)], trunk=f"127.0.0.1:{trunk_port}")
        address = (await core.start("127.0.0.1", 0))["udp"]
        try:
            (tmp_path / "trunk").mkdir()
            trunk = asyncio.create_task(run_sipp("uas_answer.xml", ("127.0.0.1", 9), tmp_path / "trunk",
                                                 timeout=15, port=trunk_port, extra=["-trace_msg"]))
            await asyncio.sleep(0.5)
            (tmp_path / "caller").mkdir()
            caller = await run_sipp("uac_call.xml", address, tmp_path / "caller", timeout=15,
                                    rows=[call_row("u1001", "0612345678")])
            return core, caller, await asyncio.wait_for(trunk, 30)
        finally:
            core.stop()

    core, caller, trunk = asyncio.run(scenario())
    assert caller.returncode == 0, caller.output
    assert trunk.returncode == 0, trunk.output
    received = "".join(path.read_text(errors="replace") for path in (tmp_path / "trunk").glob("*messages.log"))
    assert "INVITE sip:+33612345678@127.0.0.1:" in received  # the trunk gets the number in E.164
    [record] = core.calls.log.records
    assert (record.caller, record.number, record.destination_class, record.outcome) == (
        "u1001", "+33612345678", DestinationClass.MOBILE, Outcome.ANSWERED)
