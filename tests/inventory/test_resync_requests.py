"""Re-sync requests in the embedded database: queued, taken by exactly one claimer, taken again when their worker
stops stamping them, given up after MAX_ATTEMPTS, and results written only under the current claim."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest

from inventory.resync_requests import (
    MAX_ATTEMPTS,
    STALE_SECONDS,
    ResyncRequest,
    ResyncResult,
    claim_next,
    find,
    heartbeat,
    queue,
    record,
    summary,
)

LATER = dt.timedelta(seconds=STALE_SECONDS + 1)


@pytest.fixture
def requests_db(mongo_db):
    ResyncRequest.ensure_indexes()
    return mongo_db


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def test_a_queued_request_is_stored_with_its_target_and_expires(requests_db):
    request = queue("device", "805ec0000001", "support-1", "req-1")
    stored = ResyncRequest._get_collection().find_one({"_id": request.pk})
    assert (stored["target_kind"], stored["target"], stored["requested_by"], stored["state"]) == (
        "device", "805ec0000001", "support-1", "queued")
    assert isinstance(stored["requested_at"], dt.datetime)
    ttl = [index for index in ResyncRequest._get_collection().index_information().values()
           if "expireAfterSeconds" in index]
    assert [index["key"] for index in ttl] == [[("requested_at", 1)]]
    with pytest.raises(ValueError, match="target kind 'everything'"):
        queue("everything", "", "support-1")


def test_the_oldest_queued_request_is_taken_and_stamped(requests_db):
    first, second = queue("site", "s1", "a"), queue("device", "805ec0000001", "b")
    claimed = claim_next("worker-A")
    assert claimed.request.pk == first.pk and claimed.request.state == "taken" and claimed.claim
    stored = ResyncRequest._get_collection().find_one({"_id": first.pk})
    assert stored["taken_by"] == "worker-A" and stored["attempts"] == 1
    assert isinstance(stored["taken_at"], dt.datetime) and isinstance(stored["heartbeat_at"], dt.datetime)
    assert claim_next("worker-A").request.pk == second.pk
    assert claim_next("worker-A") is None  # both taken, neither stale


def test_of_several_claimers_at_once_exactly_one_gets_each_request(requests_db):
    queued = {queue("device", f"805ec00000{n:02x}", "a").pk for n in range(12)}
    start = threading.Barrier(4)
    taken: list[tuple[str, object]] = []

    def claimer(name: str) -> None:
        start.wait()
        while (claimed := claim_next(name)) is not None:
            taken.append((name, claimed.request.pk))

    threads = [threading.Thread(target=claimer, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    counts = Counter(pk for _, pk in taken)
    assert set(counts) == queued and set(counts.values()) == {1}, taken


def test_two_claimers_of_one_request_one_wins(requests_db):
    request = queue("device", "805ec0000001", "a")
    start = threading.Barrier(2)
    won: list[str] = []

    def claimer(name: str) -> None:
        start.wait()
        if claim_next(name) is not None:
            won.append(name)

    threads = [threading.Thread(target=claimer, args=(name,)) for name in ("w1", "w2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(won) == 1
    assert ResyncRequest._get_collection().find_one({"_id": request.pk})["taken_by"] == won[0]


def test_a_stale_request_is_taken_again_and_the_old_claim_can_no_longer_write(requests_db):
    request = queue("device", "805ec0000001", "a")
    dead = claim_next("worker-dead")
    assert claim_next("worker-new") is None  # fresh heartbeat: still the dead worker's
    again = claim_next("worker-new", now=now() + LATER)
    assert again.request.pk == request.pk and again.claim != dead.claim and again.request.attempts == 2
    result = ResyncResult("805ec0000001", "u1", "sip:u1@192.0.2.1:5060", "answered", 200, "OK")
    assert not record(dead, 1, [result], True)
    assert not heartbeat(dead)
    assert heartbeat(again)
    assert record(again, 1, [result], True)
    done = find(str(request.pk))
    assert done.state == "done" and done.results == [result] and done.taken_by == "worker-new"
    assert claim_next("worker-other", now=now() + LATER) is None  # done: never taken again


def test_a_heartbeat_keeps_a_request_from_being_taken_over(requests_db):
    queue("device", "805ec0000001", "a")
    claimed = claim_next("worker-A")
    assert heartbeat(claimed)
    # Stale only when the heartbeat is older than STALE_SECONDS: one second after it, it is not.
    assert claim_next("worker-B", now=now() + dt.timedelta(seconds=1)) is None


def test_a_request_whose_workers_keep_dying_is_given_up(requests_db):
    request = queue("out_of_date", "", "a")
    moment = now()
    for attempt in range(MAX_ATTEMPTS):
        moment += LATER
        claimed = claim_next(f"worker-{attempt}", now=moment)
        assert claimed is not None and claimed.request.attempts == attempt + 1
    assert claim_next("worker-last", now=moment + LATER) is None
    given_up = find(str(request.pk))
    assert given_up.state == "done" and "taken 3 times" in given_up.error
    assert isinstance(ResyncRequest._get_collection().find_one({"_id": request.pk})["done_at"], dt.datetime)


def test_results_round_trip_in_order_and_replace_those_written_before(requests_db):
    queue("site", "s1", "a")
    claimed = claim_next("w")
    first = [ResyncResult("805ec0000001", "u1", "sip:u1@192.0.2.1:5060", "answered", 200, "OK"),
             ResyncResult("805ec0000002", "", "", "failed", 0, "the device carries no line")]
    assert record(claimed, 3, first, False)
    progress = find(str(claimed.request.pk))
    assert progress.state == "taken" and progress.results == first and progress.devices == 3
    everything = first + [ResyncResult("805ec0000003", "u3", "", "not_registered"),
                          ResyncResult("805ec0000003", "u4", "sip:u4@192.0.2.3:5060", "timeout", 408, "Request Timeout")]
    assert record(claimed, 3, everything, True)
    stored = ResyncRequest._get_collection().find_one({"_id": claimed.request.pk})
    assert stored["result_statuses"] == [200, 0, 0, 408] and stored["state"] == "done" and stored["claim"] == ""
    assert isinstance(stored["heartbeat_at"], dt.datetime) and isinstance(stored["done_at"], dt.datetime)
    assert find(str(claimed.request.pk)).results == everything
    assert summary(everything) == {"answered": 1, "not_registered": 1, "timeout": 1, "failed": 1}


def test_find_answers_none_for_what_is_not_a_request(requests_db):
    assert find("not-an-id") is None and find("0" * 24) is None
