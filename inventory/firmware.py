"""Firmware images the provider serves to its phones, and which one each model is pinned to.

The bytes live in a content-addressed store (provisioner/firmware_store.py) under their SHA-256; a record
names the file a phone asks for, the version, the models it fits and whether it is the pinned one. At most
one image is pinned per vendor and model: the one every such phone's configuration points to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import mongoengine as me

from inventory.catalogue import VENDORS, find_model
from inventory.versioned import VersionedDocument

#: The file name a phone asks for: letters, digits, dots, dashes and underscores, no path. `\Z`, not `$`:
#: mongoengine matches with re.match, and `$` would let a trailing newline through.
FILENAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}\Z"
VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}\Z"
SHA256_PATTERN = r"^[0-9a-f]{64}\Z"
MAX_MODELS = 32


class FirmwareImage(VersionedDocument):
    """One firmware file of a vendor, for some of its models; `pinned` makes it the version those models run."""

    vendor = me.StringField(required=True, choices=tuple(VENDORS))
    # No index on this list: NX-27017 finds nothing through an indexed array field (docs/storage.rst).
    models = me.ListField(me.StringField(max_length=40), max_length=MAX_MODELS)
    # Not `version`: VersionedDocument keeps the record's own version number there.
    firmware_version = me.StringField(required=True, regex=VERSION_PATTERN)
    filename = me.StringField(required=True, regex=FILENAME_PATTERN)
    sha256 = me.StringField(required=True, regex=SHA256_PATTERN)
    size = me.IntField(required=True, min_value=1)
    pinned = me.BooleanField(default=False)
    comment = me.StringField(max_length=500)

    # The file name is unique across vendors, not only within one: phones fetch /firmware/<filename>.
    meta = {"collection": "firmware_images",
            "indexes": [{"fields": ["filename"], "unique": True}, ("vendor", "pinned"), "sha256"]}
    unique_fields = ("filename",)
    formats = {"filename": "1 to 128 letters, digits, dots, dashes or underscores, not starting with a dot",
               "firmware_version": "1 to 64 letters, digits, dots, dashes, underscores or plus signs",
               "sha256": "64 lower-case hexadecimal digits"}

    def normalize(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        if self.sha256:
            self.sha256 = self.sha256.strip().lower()
        if self.filename and ".." in self.filename:
            problems["filename"] = "must not hold '..'"
        if self.vendor in VENDORS:
            models, unknown = [], []
            for name in self.models or []:
                try:
                    models.append(find_model(self.vendor, str(name).strip()).name)
                except ValueError:
                    unknown.append(str(name))
            if unknown:
                problems["models"] = (f"unknown {self.vendor} model(s) {', '.join(unknown)}: "
                                      f"expected some of {', '.join(VENDORS[self.vendor])}")
            elif not models:
                problems["models"] = f"name at least one {self.vendor} model: {', '.join(VENDORS[self.vendor])}"
            self.models = list(dict.fromkeys(models))
        if self.pinned and not problems:
            clash = self.pinned_elsewhere()
            if clash:
                problems["pinned"] = clash
        return problems

    def pinned_elsewhere(self) -> str:
        """Why this image cannot be pinned (another pinned image covers one of its models), or ""."""
        stored = self._get_collection().find({"vendor": self.vendor, "pinned": True},
                                             {"models": 1, "firmware_version": 1, "filename": 1})
        for other in stored:
            if other["_id"] == self.pk:
                continue
            shared = [model for model in self.models if model in (other.get("models") or [])]
            if shared:
                return (f"{', '.join(shared)} already run(s) pinned firmware {other.get('firmware_version')} "
                        f"({other.get('filename')}); unpin that image first")
        return ""


@dataclass(frozen=True)
class PinnedFirmware:
    """What a configuration needs of the image pinned for a model."""

    version: str
    filename: str
    sha256: str


def all_pinned() -> dict[tuple[str, str], PinnedFirmware]:
    """Every pinned image by (vendor, model in lower case), in one query: pinned images are few."""
    found = {}
    for raw in FirmwareImage._get_collection().find({"pinned": True}, {"vendor": 1, "models": 1, "firmware_version": 1,
                                                                       "filename": 1, "sha256": 1}):
        for model in raw.get("models") or []:
            found[(raw["vendor"], str(model).lower())] = PinnedFirmware(raw["firmware_version"], raw["filename"],
                                                                         raw["sha256"])
    return found


def pinned_firmware(vendor: str, model: str) -> PinnedFirmware | None:
    """The image pinned for a vendor's model, or None: one query over the vendor's few pinned images."""
    for raw in FirmwareImage._get_collection().find({"vendor": vendor, "pinned": True},
                                                     {"models": 1, "firmware_version": 1, "filename": 1, "sha256": 1}):
        if any(str(name).lower() == model.lower() for name in raw.get("models") or []):
            return PinnedFirmware(raw["firmware_version"], raw["filename"], raw["sha256"])
    return None


def is_safe_filename(name: str) -> bool:
    """Whether `name` is a file name an image may have (and so may be looked up under)."""
    return bool(re.fullmatch(FILENAME_PATTERN, name)) and ".." not in name
