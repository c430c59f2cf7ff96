"""Firmware images as a whole: the record and its stored bytes, added, removed and checked together.

The API's upload, the image deletion and the `provisioner firmware` commands all go through here, so a
record never points to bytes that were refused, and bytes no record points to do not stay behind.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from inventory.errors import DuplicateValue, InvalidRecord
from inventory.events import Actor
from inventory.firmware import FirmwareImage
from provisioner.firmware_store import FirmwareStore, PendingFile, firmware_folder
from provisioner.settings import Settings


def size_limit(settings: Settings) -> int:
    """The largest image the store accepts, in bytes (provisioning.firmware_max_mib)."""
    return settings.provisioning.firmware_max_mib * 1024 * 1024


def store_for(settings: Settings, max_bytes: int | None = None) -> FirmwareStore:
    """The firmware store of this server's data directory."""
    return FirmwareStore(firmware_folder(settings.data_path), max_bytes or size_limit(settings))


def new_image(vendor: str, firmware_version: str, filename: str, models: Iterable[str], sha256: str,
              size: int = 1, pinned: bool = False, comment: str | None = None) -> FirmwareImage:
    """An image record checked as far as it can be before its bytes arrive: InvalidRecord or DuplicateValue if refused."""
    image = FirmwareImage(vendor=vendor.strip().lower(), firmware_version=firmware_version, filename=filename,
                          models=list(models), sha256=sha256, size=size, pinned=pinned, comment=comment)
    image.check()
    if FirmwareImage.objects(filename=image.filename).first() is not None:
        raise DuplicateValue("filename", f"filename: another firmware image is already served as {image.filename}")
    return image


def record_upload(store: FirmwareStore, image: FirmwareImage, pending: PendingFile, actor: Actor) -> FirmwareImage:
    """Insert the record of an upload whose bytes were committed; the bytes go again if the record is refused."""
    image.size = pending.size
    try:
        image.insert(actor)
    except Exception:
        release_bytes(store, image.sha256)
        raise
    return image


def add_file(store: FirmwareStore, path: Path, image: FirmwareImage, actor: Actor) -> FirmwareImage:
    """Store the file at `path` for `image` (from new_image) and insert the record."""
    pending = store.begin(image.sha256)
    try:
        with open(path, "rb") as file:
            for chunk in iter(lambda: file.read(1024 * 1024), b""):
                pending.write(chunk)
        pending.commit()
        return record_upload(store, image, pending, actor)
    finally:
        pending.abort()


def remove_image(store: FirmwareStore, image: FirmwareImage, actor: Actor, expected_version: int | None = None) -> None:
    """Delete an image that is not pinned, then its bytes if no other image shares them."""
    if image.pinned:
        raise InvalidRecord({"pinned": "this image is pinned: unpin it (pinned false) before deleting it"})
    image.remove(actor, expected_version)
    release_bytes(store, image.sha256)


def release_bytes(store: FirmwareStore, sha256: str) -> bool:
    """Remove stored bytes no image record refers to any more; whether they were removed."""
    if FirmwareImage._get_collection().find_one({"sha256": sha256}, {"_id": 1}) is not None:
        return False
    return store.remove(sha256)


def verify_images(store: FirmwareStore) -> tuple[int, list[str]]:
    """Hash every recorded image's bytes again: how many were checked, and one line per image that is wrong."""
    problems, checked = [], 0
    for raw in FirmwareImage._get_collection().find({}, {"filename": 1, "sha256": 1}).sort("filename", 1):
        checked += 1
        problem = store.verify(raw["sha256"])
        if problem:
            problems.append(f"{raw['filename']}: {problem}")
    return checked, problems
