"""The registrar's binding rules (RFC 3261 §10.3) as a table, and the in-memory location with its store."""

from __future__ import annotations

import dataclasses

import pytest

from sip_core.location import (
    Binding,
    ContactAsked,
    Location,
    MemoryStore,
    Policy,
    Source,
    apply_register,
    only_refreshed,
)

NOW = 1_000_000.0
POLICY = Policy(min_expires=60, max_expires=3600, default_expires=1800, max_contacts=2)
SOURCE = Source("call-1", 5, "udp", "192.0.2.10", 5060, "Yealink SIP-T46U 108.86.0.75")


def bound(contact: str, expires_in: float = 600, call_id: str = "call-1", cseq: int = 4, host: str = "192.0.2.10",
          port: int = 5060, instance: str | None = None) -> Binding:
    return Binding(contact, NOW + expires_in, call_id, cseq, "udp", host, port, NOW - 100, instance)


A, B, C = "sip:a@192.0.2.10:5060", "sip:b@192.0.2.11:5060", "sip:c@192.0.2.12:5060"


@pytest.mark.parametrize("existing, contacts, star, expires, status, left", [
    # a first registration, lifetimes from the contact, the Expires header, or the default; capped at the maximum
    ([], [ContactAsked(A, 300)], False, None, 200, {A: 300}),
    ([], [ContactAsked(A)], False, 120, 200, {A: 120}),
    ([], [ContactAsked(A)], False, None, 200, {A: 1800}),
    ([], [ContactAsked(A, 99_999)], False, None, 200, {A: 3600}),
    # a contact's own expires wins over the header
    ([], [ContactAsked(A, 400)], False, 100, 200, {A: 400}),
    # too brief: 423 (exactly the minimum is fine; 0 removes)
    ([], [ContactAsked(A, 59)], False, None, 423, None),
    ([], [ContactAsked(A, 60)], False, None, 200, {A: 60}),
    ([], [ContactAsked(A)], False, 1, 423, None),
    ([bound(A)], [ContactAsked(A, 0)], False, None, 200, {}),
    ([bound(A)], [ContactAsked(A)], False, 0, 200, {}),
    # a refresh, and a second contact kept beside the first
    ([bound(A)], [ContactAsked(A, 900)], False, None, 200, {A: 900}),
    ([bound(A)], [ContactAsked(B, 900)], False, None, 200, {A: 600, B: 900}),
    # out of order: same Call-ID, CSeq not higher than the binding's
    ([bound(A, cseq=5)], [ContactAsked(A, 900)], False, None, 500, None),
    ([bound(A, cseq=9)], [ContactAsked(A, 900)], False, None, 500, None),
    # another Call-ID (a rebooted phone) replaces whatever its CSeq
    ([bound(A, call_id="old", cseq=99)], [ContactAsked(A, 900)], False, None, 200, {A: 900}),
    # "*" with Expires: 0 removes all; anything else with "*" is malformed
    ([bound(A), bound(B, host="192.0.2.11")], None, True, 0, 200, {}),
    ([bound(A)], None, True, 10, 400, None),
    ([bound(A)], None, True, None, 400, None),
    ([bound(A, cseq=5)], None, True, 0, 500, None),
    # no Contact: a query, nothing changes
    ([bound(A)], None, False, None, 200, {A: 600}),
    # expired bindings do not count
    ([bound(A, expires_in=-1)], None, False, None, 200, {}),
    # the cap: a third contact from elsewhere is refused...
    ([bound(A, host="192.0.2.20"), bound(B, host="192.0.2.11")], [ContactAsked(C, 900)], False, None, 403, None),
    # ...but the same source under a new contact (a reboot) replaces its own leftover
    ([bound(A), bound(B, host="192.0.2.11", port=5062)],
     [ContactAsked("sip:a2@192.0.2.10:5060", 900)], False, None, 200, {B: 600, "sip:a2@192.0.2.10:5060": 900}),
    # the same +sip.instance under a new contact replaces itself (RFC 5626)
    ([bound(B, host="192.0.2.11", instance="urn:uuid:1")], [ContactAsked(C, 900, "urn:uuid:1")], False, None, 200,
     {C: 900}),
])
def test_apply_register(existing, contacts, star, expires, status, left):
    outcome = apply_register(existing, contacts, star, expires, SOURCE, NOW, POLICY)
    assert outcome.status == status, outcome.reason
    if left is None:
        assert outcome.bindings == ()
    else:
        assert {b.contact: round(b.expires_at - NOW) for b in outcome.bindings} == left
    if status == 423:
        assert outcome.min_expires == 60


def test_a_new_binding_records_where_it_came_from():
    (binding,) = apply_register([], [ContactAsked(A, 300, "urn:uuid:9", 0.5)], False, None, SOURCE, NOW, POLICY).bindings
    assert (binding.call_id, binding.cseq, binding.transport, binding.host, binding.port) == ("call-1", 5, "udp",
                                                                                              "192.0.2.10", 5060)
    assert (binding.instance, binding.q, binding.registered_at) == ("urn:uuid:9", 0.5, NOW)
    assert binding.user_agent.startswith("Yealink")


def test_location_writes_through_but_not_for_small_refreshes():
    store = MemoryStore()
    location = Location(store, NOW)
    first = bound(A, expires_in=3600)
    location.replace("u1", (first,), NOW)
    assert store.writes == 1 and store.saved["u1"] == (first,)
    # refreshed 10 s later: the expiry moved by 10 s of 3,600: kept in memory only
    refreshed = Binding(A, NOW + 10 + 3600, "call-1", 5, "udp", "192.0.2.10", 5060, NOW - 100)
    location.replace("u1", (refreshed,), NOW + 10)
    assert store.writes == 1 and location.bindings("u1", NOW + 10) == (refreshed,)
    # a new address is written at once
    moved = Binding(A, NOW + 20 + 3600, "call-1", 6, "udp", "192.0.2.99", 5060, NOW - 100)
    location.replace("u1", (moved,), NOW + 20)
    assert store.writes == 2
    location.replace("u1", (), NOW + 30)
    assert store.writes == 3 and "u1" not in store.saved and location.bindings("u1", NOW + 30) == ()


def test_location_loads_what_the_store_kept_and_forgets_expired_lines():
    store = MemoryStore()
    store.save("u1", (bound(A, expires_in=100),))
    store.save("u2", (bound(B, expires_in=-5),))
    location = Location(store, NOW)
    assert len(location) == 1 and location.bindings("u1", NOW)[0].contact == A
    assert location.bindings("u1", NOW + 101) == ()
    assert location.expire(NOW + 101) == 1 and len(location) == 0


_REFRESHED = bound(A, expires_in=600, cseq=5)


@pytest.mark.parametrize(("new", "written"), [
    (dataclasses.replace(_REFRESHED, cseq=6, expires_at=_REFRESHED.expires_at + 60), False),  # a small move
    (dataclasses.replace(_REFRESHED, cseq=6), False),  # the same expiry
    (dataclasses.replace(_REFRESHED, expires_at=_REFRESHED.expires_at + 500), True),  # more than a quarter of 1100 s
    (dataclasses.replace(_REFRESHED, call_id="rebooted"), True),
    (dataclasses.replace(_REFRESHED, host="192.0.2.99"), True),
    (dataclasses.replace(_REFRESHED, port=5099), True),
    (dataclasses.replace(_REFRESHED, transport="tcp"), True),
    (dataclasses.replace(_REFRESHED, user_agent="another phone"), True),
    (dataclasses.replace(_REFRESHED, instance='"<urn:uuid:1>"'), True),
    (dataclasses.replace(_REFRESHED, q=0.5), True),
    (dataclasses.replace(_REFRESHED, registered_at=NOW), True),
    (dataclasses.replace(_REFRESHED, contact=B), True),
])
def test_a_refresh_is_written_only_when_more_than_its_expiry_and_cseq_moved(new, written):
    assert only_refreshed((_REFRESHED,), (new,), NOW) is not written


def test_a_binding_added_or_removed_is_written():
    assert not only_refreshed((_REFRESHED,), (_REFRESHED, bound(B)), NOW)
    assert not only_refreshed((_REFRESHED,), (), NOW) and not only_refreshed((), (), NOW)
