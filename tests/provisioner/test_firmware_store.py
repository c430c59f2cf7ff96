"""The content-addressed firmware store: what it keeps, what it refuses (leaving nothing), and its re-check."""

from __future__ import annotations

import hashlib
import io
import os
import time

import pytest

from provisioner.firmware_store import STALE_SECONDS, ChecksumMismatch, FirmwareStore, FirmwareStoreError, TooLarge

DATA = b"firmware bytes " * 1000
DIGEST = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def store(tmp_path) -> FirmwareStore:
    return FirmwareStore(tmp_path / "firmware", max_bytes=100_000)


def files(store: FirmwareStore) -> list[str]:
    return sorted(os.listdir(store.folder))


def test_bytes_are_stored_under_their_digest_from_a_file_or_chunks(store):
    path = store.put(io.BytesIO(DATA), DIGEST)
    assert path == store.folder / DIGEST and path.read_bytes() == DATA
    # The same bytes again (as chunks, digest in capitals) are stored once.
    assert store.put([DATA[:10], DATA[10:]], DIGEST.upper()) == path
    assert files(store) == [DIGEST] and store.digests() == [DIGEST] and store.exists(DIGEST)


def test_a_mismatch_names_both_digests_and_leaves_nothing(store):
    wrong = "0" * 64
    with pytest.raises(ChecksumMismatch) as refused:
        store.put([DATA], wrong)
    assert wrong in str(refused.value) and DIGEST in str(refused.value)
    assert files(store) == []


@pytest.mark.parametrize("digest", ["", "abc", "z" * 64, DIGEST + "0", "../" + DIGEST[3:]])
def test_only_a_sha256_is_accepted_as_a_digest(store, digest):
    with pytest.raises(FirmwareStoreError):
        store.put([DATA], digest)
    with pytest.raises(FirmwareStoreError):
        store.path(digest)
    assert files(store) == []


def test_too_many_bytes_are_refused_as_they_come_or_as_announced(store):
    with pytest.raises(TooLarge):
        store.put([b"x" * 60_000, b"x" * 60_000], hashlib.sha256(b"x" * 120_000).hexdigest())
    assert files(store) == []
    with pytest.raises(TooLarge):
        store.begin(DIGEST, expected_size=100_001)
    assert files(store) == []


def test_a_size_other_than_the_announced_one_is_refused(store):
    short = store.begin(DIGEST, expected_size=len(DATA) + 1)
    short.write(DATA)
    with pytest.raises(FirmwareStoreError, match="announced"):
        short.commit()
    long = store.begin(DIGEST, expected_size=10)
    with pytest.raises(FirmwareStoreError, match="announced"):
        long.write(DATA)
    assert files(store) == []


def test_an_empty_upload_is_refused(store):
    with pytest.raises(FirmwareStoreError, match="empty"):
        store.put([], hashlib.sha256(b"").hexdigest())
    assert files(store) == []


def test_an_aborted_upload_leaves_nothing(store):
    pending = store.begin(DIGEST)
    pending.write(DATA[:100])
    assert len(files(store)) == 1 and files(store)[0].startswith(".")
    pending.abort()
    pending.abort()
    assert files(store) == []


def test_verify_finds_a_corrupted_or_missing_file(store):
    store.put([DATA], DIGEST)
    assert store.verify(DIGEST) is None
    with open(store.path(DIGEST), "r+b") as file:
        file.seek(100)
        file.write(b"X")
    problem = store.verify(DIGEST)
    assert problem and DIGEST in problem and "hash to" in problem
    store.remove(DIGEST)
    assert "missing" in store.verify(DIGEST)
    assert store.remove(DIGEST) is False


def test_only_stale_temporary_files_are_swept(store):
    stale, fresh = store.folder / ".upload-old.part", store.folder / ".upload-new.part"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"y")
    long_ago = time.time() - STALE_SECONDS - 60
    os.utime(stale, (long_ago, long_ago))
    store.remove_stale_partials()
    assert files(store) == [".upload-new.part"]
