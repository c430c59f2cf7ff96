"""Where a call goes: extensions, our numbers, blocked classes, emergency, the trunk; and §16.7's best failure."""

from __future__ import annotations

import pytest

from sip_core.directory import Account, MemoryDirectory
from sip_core.numbering import DestinationClass
from sip_core.routing import Kind, best_final, dialled_user, route

ALICE = Account("u1001", "pw", "line1001", "c1", extension="1001", number="+33190001001")
BOB = Account("u1002", "pw", "line1002", "c1", extension="1002", number="+33190001002")
OTHER = Account("u2001", "pw", "line2001", "c2", extension="2001", number="+33190002001")
DIRECTORY = MemoryDirectory([ALICE, BOB, OTHER])


@pytest.mark.parametrize("dialled, trunk, kind, status, username, blocked", [
    ("1002", False, Kind.LINE, 0, "u1002", False),  # an extension of the caller's customer
    ("2001", False, Kind.REFUSED, 404, None, False),  # another customer's extension is not ours to dial
    ("1999", False, Kind.REFUSED, 404, None, False),  # unknown extension
    ("0190002001", False, Kind.LINE, 0, "u2001", False),  # our own number, any customer: stays on our lines
    ("+33190001002", False, Kind.LINE, 0, "u1002", False),
    ("0899123456", False, Kind.REFUSED, 403, None, True),  # premium: blocked, even with a trunk
    ("0899123456", True, Kind.REFUSED, 403, None, True),
    ("+8821234567", True, Kind.REFUSED, 403, None, True),  # satellite: international other, blocked
    ("112", False, Kind.REFUSED, 503, None, False),  # emergency: never blocked, but no trunk yet
    ("112", True, Kind.TRUNK, 0, None, False),
    ("0612345678", False, Kind.REFUSED, 503, None, False),  # a mobile elsewhere: the trunk's
    ("0612345678", True, Kind.TRUNK, 0, None, False),
    ("33612345678", True, Kind.REFUSED, 404, None, False),  # invalid: not a number at all
    ("", True, Kind.REFUSED, 404, None, False),
])
def test_route(dialled, trunk, kind, status, username, blocked):
    destination = route(dialled, ALICE, DIRECTORY, trunk_configured=trunk)
    assert destination.kind is kind
    assert destination.status == status
    assert (destination.account.username if destination.account else None) == username
    assert destination.blocked is blocked


def test_the_trunk_gets_the_e164_form():
    assert route("0612345678", ALICE, DIRECTORY, trunk_configured=True).number == "+33612345678"
    assert route("112", ALICE, DIRECTORY, trunk_configured=True).destination_class is DestinationClass.EMERGENCY


def test_emergency_passes_even_when_every_class_is_blocked():
    every = frozenset(DestinationClass)
    assert route("112", ALICE, DIRECTORY, trunk_configured=True, blocked=every).kind is Kind.TRUNK
    assert route("0612345678", ALICE, DIRECTORY, trunk_configured=True, blocked=every).status == 403


@pytest.mark.parametrize("user, dialled", [("1002", "1002"), ("0612345678;phone-context=x", "0612345678"),
                                           (None, ""), (" 112 ", "112")])
def test_dialled_user(user, dialled):
    assert dialled_user(user) == dialled


@pytest.mark.parametrize("statuses, index", [
    ([486], 0),
    ([486, 404], 0),  # same class: the first
    ([503, 486], 1),  # 4xx before 5xx
    ([486, 302], 1),  # lowest class wins
    ([408, 486, 603], 2),  # any 6xx wins
    ([600, 603], 0),
    ([500, 404, 480], 1),
])
def test_best_final(statuses, index):
    assert best_final(statuses) == index


def test_best_final_of_nothing_is_an_error():
    with pytest.raises(ValueError):
        best_final([])
