"""The SIP recorder: one fail2ban-readable line per failure and fraud sign (no password, no forged line break),
fraud signs stored by a background flush and listable by line, counters by kind."""

from __future__ import annotations

import logging
import re

from inventory.fraud_signs import FraudSign as StoredSign
from provisioner.metrics import SIP_FRAUD_SIGNS
from provisioner.sip_recorder import SipRecorder
from provisioner.storage import ensure_indexes
from sip_core.directory import Account, MemoryDirectory
from sip_core.peer import Peer
from sip_core.recorder import FraudSign

#: What a fail2ban filter would say: the source address right after "from".
FAIL2BAN = re.compile(r"^sip (auth failure|fraud sign) from (?P<host>[0-9a-f.:]+): ")
PEER = Peer("udp", "192.0.2.44", 5062)


def test_an_auth_failure_is_one_line_naming_the_source_and_never_a_password(caplog):
    caplog.set_level(logging.INFO, logger="provisioner.sip.guard")
    SipRecorder().auth_failed(PEER, "u12345678901\nsip auth failure from 10.9.9.9: forged")
    (record,) = caplog.records
    line = record.getMessage()
    assert line == "sip auth failure from 192.0.2.44: user 'u12345678901?sip auth failure from 10.9.9.9: forged' (udp)"
    assert FAIL2BAN.match(line)["host"] == "192.0.2.44" and "\n" not in line


def test_a_fraud_sign_is_logged_counted_and_stored_with_its_line(mongo_db, caplog):
    ensure_indexes()
    caplog.set_level(logging.INFO, logger="provisioner.sip.guard")
    account = Account("u12345678901", "TopSecretPass1", "6650a1b2c3d4e5f601234567", "6650a1b2c3d4e5f601234500")
    recorder = SipRecorder(MemoryDirectory([account]), flush_seconds=3600)
    before = SIP_FRAUD_SIGNS.labels("unmanaged device")._value.get()
    recorder.fraud(FraudSign("unmanaged device", PEER, "u12345678901", "the User-Agent says Asterisk PBX"))
    recorder.fraud(FraudSign("scanner", Peer("udp", "2001:db8::7", 5060), detail="User-Agent 'friendly-scanner'"))
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        "sip fraud sign from 192.0.2.44: unmanaged device: the User-Agent says Asterisk PBX (user 'u12345678901', udp)",
        "sip fraud sign from 2001:db8::7: scanner: User-Agent 'friendly-scanner' (udp)"]
    assert [FAIL2BAN.match(line)["host"] for line in lines] == ["192.0.2.44", "2001:db8::7"]
    assert not any("TopSecretPass1" in line for line in lines)
    assert SIP_FRAUD_SIGNS.labels("unmanaged device")._value.get() == before + 1
    assert StoredSign.newest() == []  # queued only
    recorder.close()
    (sign,) = StoredSign.of_line("6650a1b2c3d4e5f601234567")
    assert (sign.kind, sign.source, sign.port, sign.username) == ("unmanaged device", "192.0.2.44", 5062, "u12345678901")
    assert sign.customer == "6650a1b2c3d4e5f601234500" and sign.at is not None
    assert [s.kind for s in StoredSign.newest()] in (["scanner", "unmanaged device"], ["unmanaged device", "scanner"])
