"""Firmware image records on the embedded database: their checks, one pinned image per model, and the lookup."""

from __future__ import annotations

import pytest

from inventory.errors import DuplicateValue, InvalidRecord
from inventory.events import Actor
from inventory.firmware import FirmwareImage, PinnedFirmware, is_safe_filename, pinned_firmware

ACTOR = Actor.system("tests")


@pytest.fixture(autouse=True)
def database(mongo_db):
    FirmwareImage.ensure_indexes()
    return mongo_db


def image(filename: str = "T46U-108.86.0.75.rom", models=("T46U",), pinned: bool = False, vendor: str = "yealink",
          **extra) -> FirmwareImage:
    return FirmwareImage(vendor=vendor, firmware_version="108.86.0.75", filename=filename, models=list(models),
                         sha256="ab" * 32, size=1000, pinned=pinned, **extra)


def test_models_are_put_in_the_catalogue_spelling_once_each():
    saved = image(models=["t46u", "T48U", "T46U"]).insert(ACTOR)
    assert saved.models == ["T46U", "T48U"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"models": []}, "models"),
    ({"models": ["T99"]}, "models"),
    ({"vendor": "acme"}, "vendor"),
    ({"filename": "../x.rom"}, "filename"),
    ({"filename": "a..b"}, "filename"),
    ({"filename": "dir/x.rom"}, "filename"),
    ({"filename": "x.rom\n"}, "filename"),
    ({"sha256": "abc"}, "sha256"),
    ({"firmware_version": ""}, "firmware_version"),
    ({"size": 0}, "size"),
])
def test_bad_values_are_refused_by_field(changes, field):
    record = image()
    for name, value in changes.items():
        setattr(record, name, value)
    with pytest.raises(InvalidRecord) as refused:
        record.insert(ACTOR)
    assert field in refused.value.fields
    assert FirmwareImage.objects.count() == 0


def test_a_file_name_is_unique_across_vendors():
    image().insert(ACTOR)
    with pytest.raises(DuplicateValue) as refused:
        image(vendor="snom", models=["D785"]).insert(ACTOR)
    assert refused.value.field == "filename"


def test_at_most_one_pinned_image_per_model():
    first = image(models=["T46U", "T48U"], pinned=True).insert(ACTOR)
    with pytest.raises(InvalidRecord) as refused:
        image(filename="T48U-new.rom", models=["T48U"], pinned=True).insert(ACTOR)
    assert "T48U" in refused.value.fields["pinned"] and first.filename in refused.value.fields["pinned"]
    other_model = image(filename="T53W.rom", models=["T53W"], pinned=True).insert(ACTOR)
    other_vendor = image(filename="D785.bin", vendor="snom", models=["D785"], pinned=True).insert(ACTOR)
    assert other_model.pinned and other_vendor.pinned
    # A pinned image may be changed and saved again without clashing with itself.
    first.update(ACTOR, {"comment": "tested"})
    unpinned = image(filename="T48U-new.rom", models=["T48U"]).insert(ACTOR)
    first.update(ACTOR, {"pinned": False})
    unpinned.update(ACTOR, {"pinned": True})


def test_the_pinned_image_of_a_model_is_found():
    assert pinned_firmware("yealink", "T46U") is None
    image(models=["T46U"]).insert(ACTOR)
    assert pinned_firmware("yealink", "T46U") is None  # stored, not pinned
    image(filename="pinned.rom", models=["T48U", "T46U"], pinned=True).insert(ACTOR)
    assert pinned_firmware("yealink", "t46u") == PinnedFirmware("108.86.0.75", "pinned.rom", "ab" * 32)
    assert pinned_firmware("yealink", "T53W") is None
    assert pinned_firmware("snom", "T46U") is None


@pytest.mark.parametrize(("name", "safe"), [
    ("T46U-108.86.0.75.rom", True), ("sip.ld", True), ("_x", True), (".x", False), ("x..y", False), ("a/b", False),
    ("a\\b", False), ("", False), ("x" * 128, True), ("x" * 129, False), ("x\n", False), ("\u00e9", False),
])
def test_safe_file_names(name, safe):
    assert is_safe_filename(name) is safe
