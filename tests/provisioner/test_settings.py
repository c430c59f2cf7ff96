"""Loading, layering and checking of the server configuration."""

import datetime
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from provisioner.settings import ConfigError, describe, load_settings
from provisioner.settings_schema import SETTINGS

REPOSITORY = Path(__file__).resolve().parents[2]
DEFAULTS = {setting.name: setting.default for setting in SETTINGS}


def values(settings):
    return {name: value for name, value, _ in describe(settings)}


def sources(settings):
    return {name: source for name, _, source in describe(settings)}


def as_env_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


def write(tmp_path, text, name="config.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def problems_of(**kwargs):
    kwargs.setdefault("environ", {})
    with pytest.raises(ConfigError) as caught:
        load_settings(**kwargs)
    return caught.value


def make_key():
    return ec.generate_private_key(ec.SECP256R1())


def pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.fixture
def tls_files(tmp_path):
    """A self-signed certificate and its key, as PEM files."""
    key = make_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "provisioner.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    certificate_path = tmp_path / "server.crt"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path = tmp_path / "server.key"
    key_path.write_bytes(pem_key(key))
    return certificate_path, key_path


def test_defaults_without_a_file():
    settings = load_settings(environ={})
    assert values(settings) == DEFAULTS
    assert set(sources(settings).values()) == {"default"}
    assert not settings.https.enabled and settings.storage.embedded


def test_config_yaml_lists_every_setting_with_its_default():
    path = REPOSITORY / "config.yaml"
    document = yaml.safe_load(path.read_text())
    written = {f"{section}.{key}" for section, body in document.items() if isinstance(body, dict) for key in body}
    written |= {key for key, body in document.items() if not isinstance(body, dict)}
    assert written == set(DEFAULTS)

    settings = load_settings(path, environ={})
    assert values(settings) == DEFAULTS
    assert set(sources(settings).values()) == {str(path)}
    assert settings == load_settings(environ={})


@pytest.mark.parametrize("text, name, expected", [
    ("", "http.port", 8080),
    ("# only comments\n", "http.port", 8080),
    ("http:\n  port: 9000\n", "http.port", 9000),
    ("https:\n", "https.port", 8443),
    ("data_dir: /srv/provisioner\n", "data_dir", "/srv/provisioner"),
    ("api:\n  session_hours: 8\n", "api.session_hours", 8.0),
    ("calendar:\n  business_days: [Mon, sat]\n", "calendar.business_days", ("mon", "sat")),
    ("logging:\n  level: debug\n", "logging.level", "DEBUG"),
    ("logging:\n  access_log: no\n", "logging.access_log", False),
    ("http:\n  address: '::'\n", "http.address", "::"),
    ("storage:\n  url: mongodb+srv://db.example.net/\n", "storage.url", "mongodb+srv://db.example.net/"),
])
def test_partial_file(tmp_path, text, name, expected):
    path = write(tmp_path, text)
    settings = load_settings(path, environ={})
    assert settings.value(name) == expected
    others = {n: v for n, v in values(settings).items() if n != name}
    assert others == {n: v for n, v in DEFAULTS.items() if n != name}


@pytest.mark.parametrize("variable, text, name, expected", [
    ("PROVISIONER_HTTP_PORT", "9090", "http.port", 9090),
    ("PROVISIONER_HTTP_PORT", " 9090 ", "http.port", 9090),
    ("PROVISIONER_API_SESSION_HOURS", "8", "api.session_hours", 8.0),
    ("PROVISIONER_STORAGE_EMBEDDED_START_TIMEOUT", "2.5", "storage.embedded_start_timeout", 2.5),
    ("PROVISIONER_LOGGING_ACCESS_LOG", "no", "logging.access_log", False),
    ("PROVISIONER_LOGGING_ACCESS_LOG", "0", "logging.access_log", False),
    ("PROVISIONER_LOGGING_ACCESS_LOG", "YES", "logging.access_log", True),
    ("PROVISIONER_LOGGING_LEVEL", "warning", "logging.level", "WARNING"),
    ("PROVISIONER_CALENDAR_BUSINESS_DAYS", "mon, tue,sat", "calendar.business_days", ("mon", "tue", "sat")),
    ("PROVISIONER_DATA_DIR", "/srv/p", "data_dir", "/srv/p"),
    ("PROVISIONER_STORAGE_URL", "mongodb://db1,db2/?replicaSet=rs0", "storage.url",
     "mongodb://db1,db2/?replicaSet=rs0"),
])
def test_environment_converts_to_the_setting_type(variable, text, name, expected):
    settings = load_settings(environ={variable: text})
    assert settings.value(name) == expected
    assert sources(settings)[name] == variable


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda setting: setting.name)
def test_every_setting_has_an_environment_variable(setting):
    settings = load_settings(environ={setting.env_name: as_env_text(setting.default)})
    assert settings.value(setting.name) == setting.default
    assert sources(settings)[setting.name] == setting.env_name


@pytest.mark.parametrize("variable", [
    "PROVISIONER_SECRET_KEYS", "PROVISIONER_ADMIN_PASSWORD", "PROVISIONER_CONFIG",
    "PROVISIONER_TEST_MONGODB_URI", "PROVISIONER_TEST_ANYTHING", "PROVISIONER_SOMETHING_ELSE", "HOME",
])
def test_environment_variables_that_are_not_settings_are_ignored(variable):
    assert values(load_settings(environ={variable: "x"})) == DEFAULTS


@pytest.mark.parametrize("in_file, in_env, on_command_line, expected, source", [
    (False, False, None, 8080, "default"),
    (True, False, None, 1001, "FILE"),
    (True, True, None, 1002, "PROVISIONER_HTTP_PORT"),
    (False, True, 1003, 1003, "command line"),
    (True, True, 1003, 1003, "command line"),
    (True, False, 1003, 1003, "command line"),
])
def test_precedence_is_flag_then_environment_then_file_then_default(
        tmp_path, in_file, in_env, on_command_line, expected, source):
    path = write(tmp_path, "http:\n  port: 1001\n") if in_file else None
    environ = {"PROVISIONER_HTTP_PORT": "1002"} if in_env else {}
    settings = load_settings(path, environ, {"http.port": on_command_line, "sip.udp_port": None})
    assert settings.http.port == expected
    assert sources(settings)["http.port"] == (str(path) if source == "FILE" else source)
    assert settings.sip.udp_port == 5060


def yaml_case(text, *fragments):
    return pytest.param({"file": text}, fragments, id=text.splitlines()[0][:40])


def env_case(variable, text, *fragments):
    return pytest.param({"environ": {variable: text}}, fragments, id=f"{variable}={text}")


def flag_case(name, value, *fragments):
    return pytest.param({"overrides": {name: value}}, fragments, id=f"--{name}={value}")


@pytest.mark.parametrize("source, fragments", [
    yaml_case("http:\n  prot: 80\n", "http.prot: unknown setting (in FILE, line 2); did you mean http.port?"),
    yaml_case("htp:\n  port: 80\n", "htp: unknown section (in FILE, line 1); did you mean http?"),
    yaml_case("http:\n  page_size: 80\n", "did you mean api.page_size?"),
    env_case("PROVISIONER_HTTP_PROT", "80",
             "PROVISIONER_HTTP_PROT: unknown setting (environment variable); did you mean PROVISIONER_HTTP_PORT?"),
    flag_case("http.prot", 80, "http.prot: unknown setting (from the command line); did you mean http.port?"),
    env_case("PROVISIONER_HTTP_PORT", "abc",
             "http.port: expected an integer from 1 to 65535, got 'abc' "
             "(from environment variable PROVISIONER_HTTP_PORT)"),
    env_case("PROVISIONER_HTTP_PORT", "80.5", "http.port: expected an integer from 1 to 65535, got '80.5'"),
    yaml_case("http:\n  port: true\n", "http.port: expected an integer from 1 to 65535, got True (in FILE, line 2)"),
    yaml_case("http:\n  port: '8080'\n", "http.port: expected an integer", "got '8080'"),
    yaml_case("http:\n  port: 0\n", "http.port: expected an integer from 1 to 65535, got 0 (in FILE, line 2)"),
    yaml_case("https:\n  port: 70000\n", "https.port: expected an integer from 1 to 65535, got 70000"),
    flag_case("tftp.port", 0, "tftp.port: expected an integer from 1 to 65535, got 0 (from the command line)"),
    yaml_case("api:\n  session_hours: 0\n", "api.session_hours: expected a number of hours greater than 0"),
    env_case("PROVISIONER_STORAGE_EMBEDDED_START_TIMEOUT", "nan", "expected a number of seconds"),
    env_case("PROVISIONER_LOGGING_ACCESS_LOG", "maybe", "logging.access_log: expected true or false, got 'maybe'"),
    yaml_case("http:\n  address: localhost\n", "http.address: expected an IP address literal", "got 'localhost'"),
    yaml_case("http:\n  port:\n", "http.port: expected an integer from 1 to 65535, got no value"),
    yaml_case("http: 8080\n", "http: expected a mapping of settings, got 8080 (in FILE, line 1)"),
    yaml_case("- http\n- port\n", "config file FILE: expected a mapping of sections, got ['http', 'port']"),
    yaml_case("http:\n  port: 1\n  port: 2\n", "http.port: set twice in FILE, lines 2 and 3"),
    yaml_case("calendar:\n  timezone: Mars/Olympus\n",
              "calendar.timezone: expected a time zone name such as Europe/Paris, got 'Mars/Olympus'"),
    yaml_case("calendar:\n  business_days: []\n", "calendar.business_days: expected a non-empty list of distinct days"),
    yaml_case("calendar:\n  business_days: [mon, mon]\n", "calendar.business_days: expected", "got ('mon', 'mon')"),
    yaml_case("calendar:\n  business_days: [mon, funday]\n", "calendar.business_days: expected", "'funday'"),
    yaml_case("calendar:\n  business_days: mon\n", "calendar.business_days: expected", "got 'mon'"),
    yaml_case("calendar:\n  business_hours_start: '18:00'\n  business_hours_end: '09:00'\n",
              "calendar.business_hours_start must be earlier than calendar.business_hours_end "
              "(calendar.business_hours_start = '18:00' in FILE, line 2; "
              "calendar.business_hours_end = '09:00' in FILE, line 3)"),
    yaml_case("calendar:\n  business_hours_start: '12:00'\n  business_hours_end: '12:00'\n",
              "calendar.business_hours_start must be earlier than calendar.business_hours_end"),
    yaml_case("calendar:\n  business_hours_end: 18:00\n",
              'calendar.business_hours_end: expected a time "HH:MM"', "(quoted in YAML), got 1080"),
    yaml_case("calendar:\n  business_hours_end: '24:00'\n", 'calendar.business_hours_end: expected a time "HH:MM"'),
    yaml_case("calendar:\n  replacement_hours: working\n",
              "calendar.replacement_hours: expected one of calendar, business, got 'working'"),
    env_case("PROVISIONER_LOGGING_LEVEL", "verbose",
             "logging.level: expected one of DEBUG, INFO, WARNING, ERROR, got 'VERBOSE'"),
    yaml_case("logging:\n  format: xml\n", "logging.format: expected one of text, json, got 'xml'"),
    env_case("PROVISIONER_API_PAGE_SIZE", "600",
             "api.page_size must not be greater than api.max_page_size "
             "(api.page_size = 600 from environment variable PROVISIONER_API_PAGE_SIZE; "
             "api.max_page_size = 500 by default)"),
    yaml_case("storage:\n  url: mysql://app:hunter2@db/\n",
              "storage.url: expected empty (embedded server) or a URL starting with mongodb://",
              "got 'mysql://app:***@db/'"),
    yaml_case("storage:\n  database: 'my db'\n", "storage.database: expected 1 to 63 letters, digits, _ or -"),
    yaml_case("data_dir: ''\n", "data_dir: expected a non-empty path, got ''"),
    yaml_case("http:\n  port: 80: 81\n", "config file FILE, line 2, column 11: invalid YAML: mapping values"),
    yaml_case("http:\n  port: 80\n address: x\n", "config file FILE, line 3, column 2: invalid YAML"),
])
def test_problems_name_the_key_the_source_and_what_is_expected(tmp_path, source, fragments):
    source = dict(source)
    path = write(tmp_path, source.pop("file")) if "file" in source else None
    error = problems_of(path=path, **source)
    assert len(error.problems) == 1, error.problems
    for fragment in fragments:
        assert fragment.replace("FILE", str(path)) in error.problems[0]


def test_a_missing_config_file_is_a_problem(tmp_path):
    path = tmp_path / "absent.yaml"
    error = problems_of(path=path)
    assert error.problems == [f"config file {path}: cannot read it (No such file or directory)"]


def test_several_problems_are_reported_at_once(tmp_path):
    path = write(tmp_path, "http:\n  port: 0\n  prot: 1\nlogging:\n  format: xml\n")
    error = problems_of(path=path, environ={"PROVISIONER_SIP_UDP_PORT": "abc", "PROVISIONER_HTTPS_PROT": "1"},
                        overrides={"api.page_size": 2000})
    assert len(error.problems) == 6
    lines = str(error).splitlines()
    assert lines[0] == "configuration has 6 problem(s):"
    assert all(line.startswith("  - ") for line in lines[1:]) and len(lines) == 7
    keys = [problem.split(":")[0] for problem in error.problems]
    assert keys == ["http.port", "http.prot", "logging.format", "PROVISIONER_HTTPS_PROT", "sip.udp_port",
                    "api.page_size"]


def test_a_self_signed_certificate_and_its_key_are_accepted(tls_files):
    certificate, key = tls_files
    settings = load_settings(environ={}, overrides={
        "https.certificate": str(certificate), "https.private_key": str(key), "https.client_ca": str(certificate)})
    assert settings.https.enabled
    assert settings.https.private_key == str(key)


def https_problem(overrides):
    error = problems_of(overrides={key: str(value) for key, value in overrides.items()})
    assert len(error.problems) == 1, error.problems
    return error.problems[0]


@pytest.mark.parametrize("kind, fragment", [
    ("missing", "https.certificate: cannot read '{certificate}' (No such file or directory); expected"),
    ("directory", "https.certificate: cannot read '{certificate}' (Is a directory)"),
    ("not_pem", "https.certificate: '{certificate}' does not hold a PEM X.509 certificate (from the command line)"),
    ("key_as_certificate", "https.certificate: '{certificate}' does not hold a PEM X.509 certificate"),
])
def test_unusable_certificate_files(tmp_path, tls_files, kind, fragment):
    certificate = {
        "missing": tmp_path / "absent.crt",
        "directory": tmp_path,
        "not_pem": write(tmp_path, "hello\n", "garbage.crt"),
        "key_as_certificate": tls_files[1],
    }[kind]
    problem = https_problem({"https.certificate": certificate, "https.private_key": tls_files[1]})
    assert fragment.format(certificate=certificate) in problem


def test_a_private_key_problem_never_shows_the_file_content(tmp_path, tls_files):
    key = write(tmp_path, "-----BEGIN PRIVATE KEY-----\nTOPSECRETMATERIAL\n-----END PRIVATE KEY-----\n", "bad.key")
    problem = https_problem({"https.certificate": tls_files[0], "https.private_key": key})
    assert f"https.private_key: '{key}' does not hold an unencrypted PEM private key" in problem
    assert "TOPSECRET" not in problem

    problem = https_problem({"https.certificate": tls_files[0], "https.private_key": key.read_text()})
    assert "got what looks like PEM content (not shown)" in problem
    assert "TOPSECRET" not in problem


def test_an_encrypted_private_key_is_refused(tmp_path, tls_files):
    encrypted = make_key().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.BestAvailableEncryption(b"passphrase"))
    key = tmp_path / "encrypted.key"
    key.write_bytes(encrypted)
    problem = https_problem({"https.certificate": tls_files[0], "https.private_key": key})
    assert "does not hold an unencrypted PEM private key" in problem


@pytest.mark.parametrize("files, fragment", [
    ({"https.certificate": "CERT"}, "https.private_key is required when https.certificate is set"),
    ({"https.private_key": "KEY"}, "https.private_key is set but https.certificate is empty, so HTTPS is off"),
    ({"https.client_ca": "CERT"}, "https.client_ca is set but https.certificate is empty, so HTTPS is off"),
    ({"https.certificate": "CERT", "https.private_key": "OTHER_KEY"},
     "https.private_key is not the key of the certificate in https.certificate"),
    ({"https.certificate": "CERT", "https.private_key": "KEY", "https.client_ca": "KEY"},
     "https.client_ca: '{key}' does not hold PEM certificates"),
    ({"https.certificate": "CERT", "https.private_key": "KEY", "http.port": "8443"},
     "http and https cannot listen on the same address and port"),
])
def test_https_settings_are_checked_together(tmp_path, tls_files, files, fragment):
    other_key = tmp_path / "other.key"
    other_key.write_bytes(pem_key(make_key()))
    paths = {"CERT": tls_files[0], "KEY": tls_files[1], "OTHER_KEY": other_key}
    overrides = {name: paths.get(value, value) for name, value in files.items()}
    if "http.port" in overrides:
        overrides["http.port"] = int(overrides["http.port"])
    error = problems_of(overrides=overrides)
    assert len(error.problems) == 1, error.problems
    assert fragment.format(key=tls_files[1]) in error.problems[0]


def test_http_and_https_may_share_a_port_on_different_addresses(tls_files):
    settings = load_settings(environ={}, overrides={
        "https.certificate": str(tls_files[0]), "https.private_key": str(tls_files[1]),
        "http.address": "127.0.0.1", "https.address": "192.0.2.1", "https.port": 8080})
    assert settings.https.port == settings.http.port


def test_describe_lists_every_setting_in_schema_order_without_credentials(tmp_path):
    path = write(tmp_path, "storage:\n  url: mongodb://app:hunter2@db1/\n")
    rows = describe(load_settings(path, {"PROVISIONER_HTTP_PORT": "81"}, {"sip.udp_port": 5070}))
    assert [name for name, _, _ in rows] == [setting.name for setting in SETTINGS]
    by_name = {name: (value, source) for name, value, source in rows}
    assert by_name["storage.url"] == ("mongodb://app:***@db1/", str(path))
    assert by_name["http.port"] == (81, "PROVISIONER_HTTP_PORT")
    assert by_name["sip.udp_port"] == (5070, "command line")
    assert by_name["tftp.port"] == (6969, "default")


def test_data_path_is_absolute_and_relative_to_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.data_path == tmp_path.resolve() / "var"
    assert settings.secret_key_path == tmp_path.resolve() / "var" / "secret.key"
    assert load_settings(environ={"PROVISIONER_DATA_DIR": "/srv/p"}).data_path == Path("/srv/p")


def test_the_process_environment_is_read_when_none_is_given(monkeypatch):
    monkeypatch.setenv("PROVISIONER_SIP_UDP_PORT", "5070")
    assert load_settings().sip.udp_port == 5070


def test_settings_are_immutable():
    settings = load_settings(environ={})
    with pytest.raises(AttributeError):
        settings.http.port = 1
