"""The sections of the settings (one frozen dataclass each), as provisioner/settings.py builds them; the SIP
section is provisioner/sip_settings.py's."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HttpSettings:
    """Plain HTTP front end: phones' configuration files, staff pages and REST API."""

    address: str
    port: int


@dataclass(frozen=True)
class HttpsSettings:
    """HTTPS front end, with optional client certificates for phones."""

    address: str
    port: int
    certificate: str
    private_key: str
    client_ca: str
    vendor_cas: tuple[str, ...]
    require_client_certificate: bool

    @property
    def enabled(self) -> bool:
        return bool(self.certificate)

    @property
    def vendor_ca_files(self) -> dict[str, str]:
        """Vendor name -> path of its factory CA bundle."""
        return dict(item.split("=", 1) for item in self.vendor_cas)


@dataclass(frozen=True)
class ProvisioningSettings:
    """How devices' own files are protected: encryption on plain transports, per-device credentials."""

    plain_device_files: str
    device_credentials: str
    render_ahead: bool
    firmware_max_mib: int


@dataclass(frozen=True)
class TftpSettings:
    """TFTP front end for phones that only fetch over TFTP."""

    address: str
    port: int


@dataclass(frozen=True)
class StorageSettings:
    """Where the documents are stored: MongoDB, or the embedded NX-27017 server."""

    url: str
    database: str
    embedded_start_timeout: float

    @property
    def embedded(self) -> bool:
        return not self.url


@dataclass(frozen=True)
class SecretsSettings:
    """Encryption of secrets at rest."""

    key_file: str


@dataclass(frozen=True)
class ApiSettings:
    """REST API paging and staff sessions."""

    page_size: int
    max_page_size: int
    session_hours: float


@dataclass(frozen=True)
class CalendarSettings:
    """Business calendar that deadlines are counted in."""

    timezone: str
    business_days: tuple[str, ...]
    business_hours_start: str
    business_hours_end: str
    replacement_hours: str
    restoration_hours: str
    no_answer_hours: str


@dataclass(frozen=True)
class LifecycleSettings:
    """What returned equipment costs the customer when it comes back short or broken."""

    accessory_charge_cents: int
    damage_charge_cents: int
    not_working_charge_cents: int


@dataclass(frozen=True)
class InstallationSettings:
    """Installation appointments: the late-cancellation charge and the calendar feeds' UID domain."""

    late_cancellation_fee_cents: int
    calendar_domain: str


@dataclass(frozen=True)
class ProviderSettings:
    """The provider's platform as the devices see it: SIP, provisioning, NTP, management ranges."""

    sip_domain: str
    sip_port: int
    sip_transport: str
    provisioning_url: str
    ntp_servers: tuple[str, ...]
    management_networks: tuple[str, ...]
    voice_vlan: int
    voicemail_number: str


@dataclass(frozen=True)
class LoggingSettings:
    """Log level and format."""

    level: str
    format: str
    access_log: bool
