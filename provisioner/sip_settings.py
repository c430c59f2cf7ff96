"""The `sip` section of the settings, and what the SIP core is configured from: realm, nonce key, bounds, TLS."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING

from inventory.secret_box import SecretBox
from sip_core.core import CoreConfig
from sip_core.location import Policy

if TYPE_CHECKING:
    from provisioner.settings import Settings

#: What the digest nonce key is derived for: every process of the server derives the same key.
NONCE_KEY_PURPOSE = "sip digest nonces"


@dataclass(frozen=True)
class SipSettings:
    """Embedded SIP registrar and proxy: where it listens, its realm, and the bounds of registrations and bans."""

    enabled: bool
    address: str
    udp_port: int
    tcp_port: int
    tls_port: int
    tls_certificate: str
    tls_key: str
    domain: str
    digest_algorithms: tuple[str, ...]
    nonce_lifetime_seconds: int
    min_expires: int
    max_expires: int
    default_expires: int
    max_contacts: int
    max_auth_failures: int
    failure_window_seconds: int
    ban_seconds: int
    trunk: str
    trunk_sources: tuple[str, ...]

    @property
    def tls_enabled(self) -> bool:
        return bool(self.tls_certificate and self.tls_key)


def realm(settings: Settings) -> str:
    """The SIP domain and digest realm: sip.domain, or the domain the phones are configured with."""
    return settings.sip.domain or settings.provider.sip_domain


def core_config(settings: Settings, box: SecretBox) -> CoreConfig:
    """The SIP core's configuration; its nonce key is derived from the server's secret key, as in every process."""
    sip = settings.sip
    return CoreConfig(
        realm=realm(settings),
        nonce_key=box.derive(NONCE_KEY_PURPOSE).encode(),
        nonce_lifetime=float(sip.nonce_lifetime_seconds),
        digest_algorithms=sip.digest_algorithms,
        policy=Policy(min_expires=sip.min_expires, max_expires=sip.max_expires,
                      default_expires=sip.default_expires, max_contacts=sip.max_contacts),
        max_auth_failures=sip.max_auth_failures,
        failure_window=float(sip.failure_window_seconds),
        ban_seconds=float(sip.ban_seconds),
        # What our Via and Record-Route say: the address listened on, or the name phones register to when
        # listening on every address (0.0.0.0 in a Via would send the answers nowhere).
        advertised_host=settings.provider.sip_domain if sip.address in ("0.0.0.0", "::") else "",
        trunk=sip.trunk,
        trunk_sources=tuple(sip.trunk_sources),
    )


def tls_context(sip: SipSettings) -> ssl.SSLContext | None:
    """The server context of SIP over TLS, or None when no certificate is configured."""
    if not sip.tls_enabled:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(sip.tls_certificate, sip.tls_key)
    return context
