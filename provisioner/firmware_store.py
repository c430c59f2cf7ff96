"""Firmware bytes on disk, content-addressed: each image is one file named after its SHA-256.

A file is written under a temporary name in the same folder while it is hashed, flushed to disk, and
renamed to its digest only if digest and size are what the uploader said; anything else leaves nothing
behind. The same bytes uploaded twice are stored once. Pure standard library.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

#: Largest image accepted by default: the biggest desk-phone firmware is a few hundred MiB.
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
#: Temporary files older than this are left-overs of a crash, removed before a new upload starts.
STALE_SECONDS = 24 * 3600
_DIGEST = re.compile(r"[0-9a-f]{64}")
_PARTIAL_SUFFIX = ".part"
_CHUNK = 1024 * 1024


class FirmwareStoreError(ValueError):
    """Bytes the store refuses; the message says what was expected and what came."""


class ChecksumMismatch(FirmwareStoreError):
    """The bytes do not hash to the digest the uploader gave."""

    def __init__(self, expected: str, actual: str):
        self.expected, self.actual = expected, actual
        super().__init__(f"the upload's SHA-256 is {actual}, not the expected {expected}; nothing was stored")


class TooLarge(FirmwareStoreError):
    """More bytes than the store accepts."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"the image is larger than the {limit} bytes ({limit // (1024 * 1024)} MiB) accepted; "
                         "nothing was stored")


def check_digest(text: str) -> str:
    """A SHA-256 as 64 lower-case hexadecimal digits, or FirmwareStoreError saying what is expected."""
    digest = (text or "").strip().lower()
    if not _DIGEST.fullmatch(digest):
        raise FirmwareStoreError(f"expected a SHA-256 as 64 hexadecimal digits, got {text[:80]!r}")
    return digest


class PendingFile:
    """An image being written: feed it chunks, then commit() (checks and renames) or abort() (removes)."""

    def __init__(self, store: FirmwareStore, expected_sha256: str, expected_size: int | None = None):
        self.store, self.expected, self.expected_size = store, check_digest(expected_sha256), expected_size
        self.size = 0
        self._hash = hashlib.sha256()
        self._path = store.folder / f".upload-{secrets.token_hex(8)}{_PARTIAL_SUFFIX}"
        self._file: BinaryIO | None = open(self._path, "xb")  # noqa: SIM115 - closed by commit() or abort()

    def write(self, chunk: bytes) -> None:
        """Add bytes; TooLarge (and nothing kept) past the store's limit or the announced size."""
        if self._file is None:
            raise FirmwareStoreError("this upload is already finished")
        self.size += len(chunk)
        if self.size > self.store.max_bytes:
            self.abort()
            raise TooLarge(self.store.max_bytes)
        if self.expected_size is not None and self.size > self.expected_size:
            self.abort()
            raise FirmwareStoreError(f"more bytes came than the {self.expected_size} announced; nothing was stored")
        self._hash.update(chunk)
        self._file.write(chunk)

    def commit(self) -> Path:
        """Flush to disk, check digest and size, and rename to the digest; the stored file's path."""
        if self._file is None:
            raise FirmwareStoreError("this upload is already finished")
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
        finally:
            self._file.close()
            self._file = None
        actual = self._hash.hexdigest()
        if self.size == 0:
            self._remove()
            raise FirmwareStoreError("the upload is empty; nothing was stored")
        if self.expected_size is not None and self.size != self.expected_size:
            self._remove()
            raise FirmwareStoreError(f"{self.size} bytes came, not the {self.expected_size} announced; nothing was stored")
        if actual != self.expected:
            self._remove()
            raise ChecksumMismatch(self.expected, actual)
        target = self.store.path(actual)
        os.replace(self._path, target)  # atomic: a reader sees the whole file or none
        _fsync_folder(self.store.folder)
        return target

    def abort(self) -> None:
        """Drop what was written (safe to call more than once, and after commit)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._remove()

    def _remove(self) -> None:
        try:
            self._path.unlink()
        except FileNotFoundError:
            pass


def firmware_folder(data_path: Path) -> Path:
    """Where the images of a server whose data directory is `data_path` are stored."""
    return data_path / "firmware"


class FirmwareStore:
    """The folder of firmware images, each named after its SHA-256."""

    def __init__(self, folder: Path | str, max_bytes: int = DEFAULT_MAX_BYTES):
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.folder.mkdir(parents=True, exist_ok=True)

    def begin(self, expected_sha256: str, expected_size: int | None = None) -> PendingFile:
        """Start writing an image expected to hash to `expected_sha256` (FirmwareStoreError if not a digest)."""
        if expected_size is not None and expected_size > self.max_bytes:
            raise TooLarge(self.max_bytes)
        return PendingFile(self, expected_sha256, expected_size)

    def put(self, source: BinaryIO | Iterable[bytes], expected_sha256: str) -> Path:
        """Store the bytes of a file object or of an iterable of chunks; FirmwareStoreError and nothing kept if refused."""
        pending = self.begin(expected_sha256)
        chunks = iter(lambda: source.read(_CHUNK), b"") if hasattr(source, "read") else source
        try:
            for chunk in chunks:
                pending.write(chunk)
            return pending.commit()
        finally:
            pending.abort()

    def path(self, sha256: str) -> Path:
        """Where the image with this digest is (or would be) stored."""
        return self.folder / check_digest(sha256)

    def exists(self, sha256: str) -> bool:
        """Whether the image with this digest is stored."""
        return self.path(sha256).is_file()

    def verify(self, sha256: str) -> str | None:
        """Hash the stored file again: None when it is intact, else what is wrong (missing, or its real digest)."""
        path = self.path(sha256)
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as file:
                for chunk in iter(lambda: file.read(_CHUNK), b""):
                    digest.update(chunk)
        except FileNotFoundError:
            return f"{path.name}: missing"
        actual = digest.hexdigest()
        return None if actual == sha256 else f"{path.name}: the stored bytes hash to {actual}"

    def remove(self, sha256: str) -> bool:
        """Delete a stored image (the caller checks that no record refers to it); whether there was one."""
        try:
            self.path(sha256).unlink()
        except FileNotFoundError:
            return False
        return True

    def digests(self) -> list[str]:
        """The digests of every stored image."""
        return sorted(p.name for p in self.folder.iterdir() if _DIGEST.fullmatch(p.name))

    def remove_stale_partials(self) -> None:
        """Delete temporary files a crash left behind (another process may be writing one now: a day old only)."""
        limit = time.time() - STALE_SECONDS
        for partial in self.folder.glob(f".upload-*{_PARTIAL_SUFFIX}"):
            try:
                if partial.stat().st_mtime < limit:
                    partial.unlink()
            except FileNotFoundError:
                continue


def _fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX); a no-op where folders cannot be opened."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
