"""The configuration settings, declared once: name, type, default, check and description of each."""

import ipaddress
import re
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from inventory.catalogue import VENDORS as CATALOGUE_VENDORS
from sip_core.digest import ALGORITHMS as DIGEST_ALGORITHMS
from sip_core.trunk import host_and_port

ENV_PREFIX = "PROVISIONER_"
# Our environment variables that are not settings; they are never reported as unknown.
NOT_SETTINGS = frozenset({"PROVISIONER_SECRET_KEYS", "PROVISIONER_ADMIN_PASSWORD", "PROVISIONER_CONFIG"})
NOT_SETTINGS_PREFIX = "PROVISIONER_TEST_"

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Enough for any certificate bundle; stops a path like /dev/zero from hanging the check.
MAX_PEM_BYTES = 1 << 20

_URL_PASSWORD = re.compile(r"(://[^/@:]*):[^/@]*@")


def redact(text: str) -> str:
    """Hide the password of any URL in `text` (e.g. a mongodb:// storage.url)."""
    return _URL_PASSWORD.sub(r"\1:***@", text)


def show(value: Any) -> str:
    """Render a value for a message: credentials hidden, length bounded."""
    if value is None:
        return "no value"
    text = repr(redact(value) if isinstance(value, str) else value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True)
class Check:
    """What a value must be: `expected` completes "expected ...", `accepts` tests a typed value."""

    expected: str
    accepts: Callable[[Any], bool] = lambda value: True

    def problem(self, value: Any) -> str | None:
        """Say what is wrong with an already typed value, or None when it is acceptable."""
        return None if self.accepts(value) else f"expected {self.expected}, got {show(value)}"


@dataclass(frozen=True)
class PemFile(Check):
    """An optional file path: empty, or a readable file that `parse` accepts as `holds`."""

    holds: str = "PEM data"
    parse: Callable[[bytes], object] = bytes

    def problem(self, value: Any) -> str | None:
        if value == "":
            return None
        # Never echo PEM content: it may be a private key pasted where a path belongs.
        if "-----BEGIN" in value or "\n" in value:
            return f"expected {self.expected}, got what looks like PEM content (not shown)"
        try:
            with open(value, "rb") as file:
                data = file.read(MAX_PEM_BYTES)
        except OSError as exc:
            return f"cannot read {value!r} ({exc.strerror or exc}); expected {self.expected}"
        try:
            self.parse(data)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            # The parser's own message is not shown: it could quote the file.
            return f"{value!r} does not hold {self.holds}"
        return None


def int_range(low: int, high: int) -> Check:
    return Check(f"an integer from {low} to {high}", lambda value: low <= value <= high)


def positive_up_to(high: float, unit: str) -> Check:
    return Check(f"a number of {unit} greater than 0 and at most {high:g}", lambda value: 0 < value <= high)


def one_of(*choices: str) -> Check:
    return Check("one of " + ", ".join(choices), lambda value: value in choices)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_endpoint(text: str, port_required: bool) -> bool:
    """An IP address literal with a port ("192.0.2.1:5060", "[2001:db8::1]:5060"), or without when allowed."""
    host, port = host_and_port(text.strip())
    return _is_ip(host) and (0 < port < 65536 if port is not None else not port_required)


def _is_timezone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _are_days(days: tuple[str, ...]) -> bool:
    return bool(days) and len(set(days)) == len(days) and set(days) <= set(DAYS)


def _are_networks(networks: tuple[str, ...]) -> bool:
    try:
        return all(ipaddress.ip_network(text, strict=False) for text in networks)
    except ValueError:
        return False


def _are_hosts(hosts: tuple[str, ...]) -> bool:
    return all(_HOST.fullmatch(host) for host in hosts)


def _vendor_ca_problem(item: str) -> str | None:
    vendor, sep, path = item.partition("=")
    if not sep or vendor not in CATALOGUE_VENDORS:
        return f"{item!r} must be vendor=path with a vendor among {', '.join(CATALOGUE_VENDORS)}"
    try:
        data = Path(path).read_bytes()[:MAX_PEM_BYTES]
        x509.load_pem_x509_certificates(data)
    except (OSError, ValueError):
        return f"{path} is not a readable PEM file of certificates"
    return None


def _load_private_key(data: bytes) -> object:
    return serialization.load_pem_private_key(data, None)


_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_DATABASE = re.compile(r"[A-Za-z0-9_-]{1,63}")
_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]")
_URL = re.compile(r"https?://[A-Za-z0-9.\[\]:-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?")
# YAML 1.1 reads an unquoted 18:00 as the number 1080, hence the reminder to quote.
TIME = Check('a time "HH:MM" from 00:00 to 23:59 (quoted in YAML)', lambda value: bool(_TIME.fullmatch(value)))
PORT = int_range(1, 65535)
IP = Check("an IP address literal (IPv4 or IPv6)", _is_ip)
NON_EMPTY = Check("a non-empty path", bool)
BOOLEAN = Check("true or false")


@dataclass(frozen=True)
class Setting:
    """One setting: `name` is dotted ("http.port"), or bare for a top-level one ("data_dir")."""

    name: str
    type: type  # str, int, float, bool, or list (of strings, stored as a tuple)
    default: Any
    check: Check
    description: str
    normalize: Callable[[Any], Any] | None = None

    @property
    def section(self) -> str | None:
        section, _, _ = self.name.rpartition(".")
        return section or None

    @property
    def key(self) -> str:
        return self.name.rpartition(".")[2]

    @property
    def env_name(self) -> str:
        return ENV_PREFIX + self.name.replace(".", "_").upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", str, "var", NON_EMPTY,
            "Embedded database, key file, pid files and logs; relative to the current directory"),
    Setting("workers", int, 0, int_range(0, 64),
            "Server processes sharing the listening ports; 0 means one per processor core"),
    Setting("http.address", str, "0.0.0.0", IP, "Address the HTTP server listens on"),
    Setting("http.port", int, 8080, PORT, "HTTP port"),
    Setting("https.address", str, "0.0.0.0", IP, "Address the HTTPS server listens on"),
    Setting("https.port", int, 8443, PORT, "HTTPS port"),
    Setting("https.certificate", str, "",
            PemFile("empty, or the path of a PEM X.509 certificate file", holds="a PEM X.509 certificate",
                    parse=x509.load_pem_x509_certificate),
            "PEM certificate file; HTTPS is on only when set"),
    Setting("https.private_key", str, "",
            PemFile("empty, or the path of an unencrypted PEM private key file",
                    holds="an unencrypted PEM private key", parse=_load_private_key),
            "PEM private key of the certificate; required when https.certificate is set"),
    Setting("https.client_ca", str, "",
            PemFile("empty, or the path of a PEM file of CA certificates", holds="PEM certificates",
                    parse=x509.load_pem_x509_certificates),
            "PEM bundle of the CAs that sign phones' client certificates; optional"),
    Setting("https.vendor_cas", list, (),
            Check('a list of "vendor=path" items, each a known vendor and a readable PEM file of CA certificates',
                  lambda items: all(_vendor_ca_problem(item) is None for item in items)),
            "Vendors' factory CA bundles (\"yealink=/etc/provisioner/yealink-ca.pem\"): a phone's client "
            "certificate must come from its own vendor's CA and name its MAC"),
    Setting("https.require_client_certificate", bool, False, BOOLEAN,
            "Over HTTPS, serve a device's own file only to a client certificate naming its MAC"),
    Setting("provisioning.plain_device_files", str, "encrypted", one_of("encrypted", "clear"),
            "Over plain HTTP and TFTP, a device's own file (it holds its secrets) is sent encrypted with the "
            "device's key where its vendor can decrypt, and refused otherwise; clear sends it as is"),
    Setting("provisioning.device_credentials", str, "optional", one_of("optional", "required"),
            "Per-device HTTP digest credentials (user name: the MAC): optional checks them when sent; required "
            "asks for them unless a client certificate already proved the device"),
    Setting("provisioning.render_ahead", bool, True, BOOLEAN,
            "Render each device's own file before it asks (at start, and when its records change), so that a "
            "boot storm finds the files ready"),
    Setting("provisioning.firmware_max_mib", int, 512, int_range(1, 4096),
            "Largest firmware image the store accepts, in MiB"),
    Setting("tftp.address", str, "0.0.0.0", IP, "Address the TFTP server listens on"),
    Setting("tftp.port", int, 6969, PORT, "TFTP port (UDP); 69 in production"),
    Setting("sip.enabled", bool, True, BOOLEAN, "Run the embedded SIP registrar and proxy (in one server process)"),
    Setting("sip.address", str, "0.0.0.0", IP, "Address the SIP registrar and proxy listen on"),
    Setting("sip.udp_port", int, 5060, PORT, "SIP port over UDP"),
    Setting("sip.tcp_port", int, 5060, PORT, "SIP port over TCP"),
    Setting("sip.tls_port", int, 5061, PORT, "SIP port over TLS; open only when sip.tls_certificate and sip.tls_key are set"),
    Setting("sip.tls_certificate", str, "",
            PemFile("empty, or the path of a PEM X.509 certificate file", holds="a PEM X.509 certificate",
                    parse=x509.load_pem_x509_certificate),
            "PEM certificate file of SIP over TLS; TLS is on only when set"),
    Setting("sip.tls_key", str, "",
            PemFile("empty, or the path of an unencrypted PEM private key file",
                    holds="an unencrypted PEM private key", parse=_load_private_key),
            "PEM private key of sip.tls_certificate; required when it is set"),
    Setting("sip.domain", str, "",
            Check("empty, or a host name or address", lambda v: v == "" or bool(_HOST.fullmatch(v))),
            "SIP domain served, and the digest realm; empty means provider.sip_domain"),
    Setting("sip.digest_algorithms", list, DIGEST_ALGORITHMS,
            Check("a non-empty list of distinct algorithms among " + ", ".join(DIGEST_ALGORITHMS),
                  lambda v: bool(v) and len(set(v)) == len(v) and set(v) <= set(DIGEST_ALGORITHMS)),
            "Digest algorithms offered to phones, in order of preference (RFC 8760)",
            normalize=lambda names: tuple(name.strip().upper() for name in names)),
    Setting("sip.nonce_lifetime_seconds", int, 300, int_range(10, 86400), "How long a digest nonce stays good"),
    Setting("sip.min_expires", int, 60, int_range(1, 86400), "Shortest registration accepted, in seconds (423 below)"),
    Setting("sip.max_expires", int, 3600, int_range(1, 86400), "Longest registration granted, in seconds"),
    Setting("sip.default_expires", int, 3600, int_range(1, 86400),
            "Registration granted when the phone asks for none, in seconds"),
    Setting("sip.max_contacts", int, 3, int_range(1, 32), "Devices registered at once on one line at most"),
    Setting("sip.max_auth_failures", int, 10, int_range(1, 10000),
            "Failed authentications from one address within sip.failure_window_seconds before it is banned"),
    Setting("sip.failure_window_seconds", int, 60, int_range(1, 86400), "Window the failed authentications are counted in"),
    Setting("sip.ban_seconds", int, 900, int_range(1, 604800), "How long a banned address gets no SIP answer at all"),
    Setting("sip.trunk", str, "",
            Check('empty, or an IP address and port such as "192.0.2.10:5060" or "[2001:db8::1]:5060"',
                  lambda v: v == "" or _is_endpoint(v, port_required=True)),
            "The carrier trunk (UDP) external numbers are sent to; empty: calls out get 503"),
    Setting("sip.trunk_sources", list, (),
            Check('a list of IP addresses, each with or without a port ("192.0.2.10", "192.0.2.10:5060")',
                  lambda items: all(_is_endpoint(item, port_required=False) for item in items)),
            "Where the trunk's calls in come from, taken without credentials; empty: the trunk's own address"),
    Setting("storage.url", str, "",
            Check("empty (embedded server) or a URL starting with mongodb:// or mongodb+srv://",
                  lambda value: value == "" or value.startswith(("mongodb://", "mongodb+srv://"))),
            "MongoDB URL; empty starts the embedded NX-27017 server under data_dir"),
    Setting("storage.database", str, "provisioner",
            Check("1 to 63 letters, digits, _ or -", lambda value: bool(_DATABASE.fullmatch(value))),
            "MongoDB database name"),
    Setting("storage.embedded_start_timeout", float, 20.0, positive_up_to(300, "seconds"),
            "Seconds to wait for the embedded database server to start"),
    Setting("secrets.key_file", str, "secret.key", NON_EMPTY,
            "Fernet key file, relative to data_dir, generated with mode 0600 when missing; "
            "the PROVISIONER_SECRET_KEYS environment variable (comma-separated Fernet keys) takes precedence"),
    Setting("api.page_size", int, 50, int_range(1, 1000), "Default number of items per API page"),
    Setting("api.max_page_size", int, 500, int_range(1, 10000), "Largest page an API client may ask for"),
    Setting("api.session_hours", float, 12.0, positive_up_to(720, "hours"), "Lifetime of a staff session"),
    Setting("calendar.timezone", str, "Europe/Paris", Check("a time zone name such as Europe/Paris", _is_timezone),
            "Time zone of business days, hours and deadlines"),
    Setting("calendar.business_days", list, ("mon", "tue", "wed", "thu", "fri"),
            Check("a non-empty list of distinct days among " + ", ".join(DAYS), _are_days),
            "Business days", normalize=lambda days: tuple(day.strip().lower() for day in days)),
    Setting("calendar.business_hours_start", str, "09:00", TIME, "Start of business hours"),
    Setting("calendar.business_hours_end", str, "18:00", TIME, "End of business hours"),
    Setting("calendar.replacement_hours", str, "calendar", one_of("calendar", "business"),
            "How the 72-hour replacement target of the contract's clause 4 is counted"),
    Setting("calendar.restoration_hours", str, "business", one_of("calendar", "business"),
            "How the 4-hour restoration target of a failure ticket (contract clause 4) is counted"),
    Setting("calendar.no_answer_hours", str, "calendar", one_of("calendar", "business"),
            "How the 48 hours after which a ticket waiting on the customer closes (contract clause 4) are counted"),
    Setting("lifecycle.accessory_charge_cents", int, 1500, int_range(0, 1_000_000),
            "Charged per accessory shipped with a lent item and not returned (contract clause 3.5), in cents"),
    Setting("lifecycle.damage_charge_cents", int, 5000, int_range(0, 1_000_000),
            "Charged when a lent item comes back damaged, in cents"),
    Setting("lifecycle.not_working_charge_cents", int, 10000, int_range(0, 1_000_000),
            "Charged when a lent item comes back not working without a failure reported, in cents"),
    Setting("installation.late_cancellation_fee_cents", int, 15000, int_range(0, 1_000_000),
            "The installation charge billed when the customer cancels an appointment less than 48 business hours "
            "before it (contract clause 3), in cents"),
    Setting("installation.calendar_domain", str, "installations.example.net",
            Check("a host name", lambda v: bool(_HOST.fullmatch(v))),
            "Domain of the technicians' calendar event UIDs (<appointment id>@<domain>); keep it once feeds are used"),
    Setting("provider.sip_domain", str, "sip.example.net", Check("a host name or address", lambda v: bool(_HOST.fullmatch(v))),
            "SIP domain and registrar the phones register to (our SIP core, or the provider's)"),
    Setting("provider.sip_port", int, 5060, PORT, "SIP port the phones use"),
    Setting("provider.sip_transport", str, "udp", one_of("udp", "tcp", "tls"),
            "SIP transport; tls also turns SRTP on for the models that support it"),
    Setting("provider.provisioning_url", str, "http://provisioning.example.net:8080",
            Check("an http:// or https:// URL without query", lambda v: bool(_URL.fullmatch(v))),
            "The only provisioning server the phones accept (pinned in every configuration)"),
    Setting("provider.ntp_servers", list, ("0.fr.pool.ntp.org", "1.fr.pool.ntp.org"),
            Check("a list of host names or addresses", _are_hosts), "NTP servers the devices use"),
    Setting("provider.management_networks", list, ("192.0.2.0/24",),
            Check("a list of address ranges (CIDR) such as 192.0.2.0/24", _are_networks),
            "Provider address ranges allowed to manage devices and send them SIP (trusted servers)"),
    Setting("provider.voice_vlan", int, 20, int_range(0, 4094), "Voice VLAN on routers and phones; 0 for none"),
    Setting("provider.voicemail_number", str, "*98",
            Check("digits, * or #", lambda v: bool(re.fullmatch(r"[0-9*#]{1,16}", v))), "Number that reaches voicemail"),
    Setting("logging.level", str, "INFO", one_of("DEBUG", "INFO", "WARNING", "ERROR"),
            "Log level (case-insensitive)", normalize=str.upper),
    Setting("logging.format", str, "text", one_of("text", "json"), "Log line format"),
    Setting("logging.access_log", bool, True, BOOLEAN, "Log every HTTP request"),
)
SETTINGS_BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}
SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(s.section for s in SETTINGS if s.section))


@dataclass(frozen=True)
class CrossCheck:
    """A rule over several settings; skipped when one of `names` already has a problem."""

    names: tuple[str, ...]
    problem: Callable[[Mapping[str, Any]], str | None]


def _key_matches(certificate_path: str, key_path: str) -> bool:
    with open(certificate_path, "rb") as file:
        certificate = x509.load_pem_x509_certificate(file.read(MAX_PEM_BYTES))
    with open(key_path, "rb") as file:
        key = _load_private_key(file.read(MAX_PEM_BYTES))
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return certificate.public_key().public_bytes(*spki) == key.public_key().public_bytes(*spki)


def _certificate_and_key(certificate_name: str, key_name: str, listener: str) -> Callable[[Mapping[str, Any]], str | None]:
    """The check that a listener's certificate and key files are set together and belong together."""

    def problem(values: Mapping[str, Any]) -> str | None:
        certificate, key = values[certificate_name], values[key_name]
        if certificate and not key:
            return f"{key_name} is required when {certificate_name} is set"
        if key and not certificate:
            return f"{key_name} is set but {certificate_name} is empty, so {listener} is off"
        try:
            if certificate and not _key_matches(certificate, key):
                return f"{key_name} is not the key of the certificate in {certificate_name}"
        except (OSError, ValueError, TypeError, UnsupportedAlgorithm):
            return f"{certificate_name} or {key_name} changed while being checked"
        return None

    return problem


def _expires_in_order(values: Mapping[str, Any]) -> str | None:
    low, default, high = (values[f"sip.{name}_expires"] for name in ("min", "default", "max"))
    if low <= default <= high:
        return None
    return "sip.min_expires, sip.default_expires and sip.max_expires must be in that order (equal is allowed)"


def _same_listener(values: Mapping[str, Any]) -> str | None:
    if not values["https.certificate"] or values["http.port"] != values["https.port"]:
        return None
    http, https = (ipaddress.ip_address(values[f"{s}.address"]) for s in ("http", "https"))
    if http == https or http.is_unspecified or https.is_unspecified:
        return "http and https cannot listen on the same address and port"
    return None


CROSS_CHECKS: tuple[CrossCheck, ...] = (
    CrossCheck(("api.page_size", "api.max_page_size"),
               lambda v: None if v["api.page_size"] <= v["api.max_page_size"]
               else "api.page_size must not be greater than api.max_page_size"),
    CrossCheck(("calendar.business_hours_start", "calendar.business_hours_end"),
               lambda v: None if v["calendar.business_hours_start"] < v["calendar.business_hours_end"]
               else "calendar.business_hours_start must be earlier than calendar.business_hours_end"),
    CrossCheck(("https.certificate", "https.private_key"), _certificate_and_key("https.certificate", "https.private_key", "HTTPS")),
    CrossCheck(("sip.tls_certificate", "sip.tls_key"), _certificate_and_key("sip.tls_certificate", "sip.tls_key", "SIP over TLS")),
    CrossCheck(("sip.min_expires", "sip.default_expires", "sip.max_expires"), _expires_in_order),
    CrossCheck(("https.client_ca", "https.certificate"),
               lambda v: "https.client_ca is set but https.certificate is empty, so HTTPS is off"
               if v["https.client_ca"] and not v["https.certificate"] else None),
    CrossCheck(("http.address", "http.port", "https.address", "https.port", "https.certificate"), _same_listener),
)
