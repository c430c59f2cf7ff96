"""The `provisioner` command's refusals and reports: check-config, bad settings given to serve, bad ports,
and passwords that break the policy."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from server_process import free_port

from inventory.passwords import verify_password
from inventory.staff import User
from provisioner.bootstrap import create_first_admin
from provisioner.cli import main
from provisioner.settings import load_settings
from provisioner.settings_schema import SETTINGS
from provisioner.storage import Storage

REPOSITORY = Path(__file__).resolve().parents[2]
STATE_FILE = Path("run/nx-27017.json")
#: A command that should refuse at once; a server that started anyway is stopped by this bound.
COMMAND_TIMEOUT = 30.0
ADMIN_PASSWORD = "the admin password 42"


@pytest.fixture(autouse=True)
def no_provisioner_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' own settings only: none from the environment of whoever runs them."""
    for name in list(os.environ):
        if name.startswith("PROVISIONER_"):
            monkeypatch.delenv(name)


def clean_environ(**variables: str) -> dict[str, str]:
    """This process's environment without any PROVISIONER_* variable, plus `variables`."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("PROVISIONER_")}, **variables}


def serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`provisioner serve ARGS` as its own process, bounded in time."""
    return subprocess.run([sys.executable, "-m", "provisioner", "serve", *args], capture_output=True, text=True,
                          env=env or clean_environ(), timeout=COMMAND_TIMEOUT, stdin=subprocess.DEVNULL)


@pytest.fixture
def bad_config(tmp_path: Path) -> Path:
    """A configuration with four mistakes: an unknown key, a port out of range, a wrong type, a missing file."""
    path = tmp_path / "bad.yaml"
    path.write_text(
        "http:\n"
        "  port: 70000\n"
        "  prot: 8080\n"
        "api:\n"
        "  page_size: many\n"
        "https:\n"
        f"  certificate: {tmp_path / 'missing' / 'cert.pem'}\n"
    )
    return path


BAD_KEYS = ("http.port", "http.prot", "api.page_size", "https.certificate")


def test_check_config_accepts_the_repository_file_and_prints_every_setting(capsys: pytest.CaptureFixture[str]) -> None:
    config = REPOSITORY / "config.yaml"
    assert main(["check-config", str(config)]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line for line in out[:-1]}
    assert set(rows) == {setting.name for setting in SETTINGS}
    # The file lists every setting, so each one is reported as coming from it, with its value.
    settings = load_settings(config, {}, {})
    for setting in SETTINGS:
        assert rows[setting.name].endswith(f"({config})"), rows[setting.name]
        assert repr(settings.value(setting.name)) in rows[setting.name]
    assert out[-1] == f"{config}: configuration is valid"


def test_check_config_names_every_bad_setting(bad_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(bad_config)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    problems = captured.err.splitlines()
    assert problems[0] == "provisioner: configuration has 4 problem(s):"
    for key in BAD_KEYS:
        assert sum(line.strip().startswith(f"- {key}:") for line in problems[1:]) == 1, (key, captured.err)
    assert "70000" in captured.err and "'many'" in captured.err and "cannot read" in captured.err


def test_serve_with_a_bad_configuration_exits_before_starting_the_database(tmp_path: Path, bad_config: Path) -> None:
    data_dir = tmp_path / "var"
    result = serve("--config", str(bad_config), "--data-dir", str(data_dir))
    assert result.returncode == 2, result.stderr
    for key in BAD_KEYS:
        assert f"- {key}:" in result.stderr, (key, result.stderr)
    assert not (data_dir / STATE_FILE).exists()
    assert not data_dir.exists()


def test_serve_names_a_bad_environment_variable(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    result = serve("--data-dir", str(data_dir), env=clean_environ(PROVISIONER_HTTP_PORT="abc"))
    assert result.returncode == 2, result.stderr
    assert "http.port" in result.stderr and "PROVISIONER_HTTP_PORT" in result.stderr and "'abc'" in result.stderr
    assert not data_dir.exists()


def test_serve_names_a_data_directory_it_cannot_create(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    data_dir = tmp_path / "a-file" / "var"
    result = serve("--data-dir", str(data_dir), "--http-port", str(free_port()))
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == f"provisioner: cannot use {data_dir}: Not a directory"


@pytest.mark.slow  # starts the database before it listens
def test_serve_on_a_port_in_use_says_so_and_stops_its_database(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve("--data-dir", str(data_dir), "--http-port", str(port),
                       env=clean_environ(PROVISIONER_HTTP_ADDRESS="127.0.0.1"))
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("provisioner: cannot listen: Address already in use")
    assert not (data_dir / STATE_FILE).exists()


@pytest.mark.slow  # starts the database before it reads the variable
def test_serve_names_an_admin_password_variable_that_breaks_the_policy(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    result = serve("--data-dir", str(data_dir), "--http-port", str(free_port()),
                   env=clean_environ(PROVISIONER_ADMIN_PASSWORD="tiny-pw"))
    assert result.returncode == 2, result.stderr
    problem = result.stderr.strip().splitlines()[-1]
    assert "PROVISIONER_ADMIN_PASSWORD" in problem and "too short" in problem and "tiny-pw" not in result.stderr
    assert "Traceback" not in result.stderr
    # The database it had started is stopped, and no administrator was created.
    assert not (data_dir / STATE_FILE).exists()
    storage = Storage(load_settings(None, {}, {"data_dir": str(data_dir)}))
    storage.open()
    try:
        assert User.objects.count() == 0
    finally:
        storage.close()


@pytest.mark.parametrize("port", ["0", "99999", "-1", "http"])
def test_serve_refuses_a_port_out_of_range(port: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--data-dir", str(tmp_path / "var"), "--http-port", port])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--http-port" in err and "expected a port from 1 to 65535" in err
    assert not (tmp_path / "var").exists()


def test_admin_set_password_refuses_a_short_password_and_changes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "var"
    storage = Storage(load_settings(None, {}, {"data_dir": str(data_dir)}))
    storage.open()
    try:
        create_first_admin({"PROVISIONER_ADMIN_PASSWORD": ADMIN_PASSWORD})
        before = User.objects.get(username="admin")
        monkeypatch.setattr(sys, "stdin", io.StringIO("short1\n"))

        assert main(["admin", "set-password", "admin", "--data-dir", str(data_dir)]) == 2

        err = capsys.readouterr().err
        assert err.startswith("provisioner: password refused:") and "too short" in err and "short1" not in err
        after = User.objects.get(username="admin")
        assert (after.version, after.password_hash, after.session_epoch) == \
            (before.version, before.password_hash, before.session_epoch)
        assert verify_password(ADMIN_PASSWORD, after.password_hash)
    finally:
        storage.close()
