"""`provisioner firmware add` and `provisioner firmware verify` against a real embedded database."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from inventory.firmware import FirmwareImage
from provisioner.cli import main
from provisioner.firmware_store import firmware_folder
from provisioner.settings import load_settings
from provisioner.storage import Storage

IMAGE = os.urandom(50_000)
DIGEST = hashlib.sha256(IMAGE).hexdigest()


@pytest.fixture(autouse=True)
def no_provisioner_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("PROVISIONER_"):
            monkeypatch.delenv(name)


def test_add_then_verify_finds_a_corrupted_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "var"
    storage = Storage(load_settings(None, {}, {"data_dir": str(data_dir)}))
    storage.open()  # the commands below use this running embedded server
    try:
        source = tmp_path / "T46U-108.86.0.75.rom"
        source.write_bytes(IMAGE)
        common = ["--data-dir", str(data_dir)]

        refused = main(["firmware", "add", str(source), "--vendor", "yealink", "--version", "108.86.0.75",
                        "--models", "T46U", "--sha256", "0" * 64, *common])
        err = capsys.readouterr().err
        assert refused == 1 and err.startswith("provisioner: firmware refused:") and DIGEST in err
        assert os.listdir(firmware_folder(data_dir.resolve())) == []

        added = main(["firmware", "add", str(source), "--vendor", "yealink", "--version", "108.86.0.75",
                      "--models", "T46U,T48U", "--sha256", DIGEST, "--pinned", *common])
        out = capsys.readouterr().out
        assert added == 0 and "T46U-108.86.0.75.rom" in out and "pinned for T46U, T48U" in out

        assert main(["firmware", "verify", *common]) == 0
        assert capsys.readouterr().out.strip() == "1 image(s) checked, 0 wrong"

        stored = firmware_folder(data_dir.resolve()) / DIGEST
        stored.write_bytes(b"X" + IMAGE[1:])
        assert main(["firmware", "verify", *common]) == 1
        report = capsys.readouterr().out
        assert "T46U-108.86.0.75.rom" in report and "1 image(s) checked, 1 wrong" in report

        storage.reconnect()  # the commands closed this process's connection on their way out
        assert FirmwareImage.objects.get(filename="T46U-108.86.0.75.rom").pinned
    finally:
        storage.close()
