"""How a device proves who it is, and how its secrets travel: client certificate, digest credentials, and
the encryption of its own file on a plain transport (docs/provisioning.rst).

Each check raises Miss (the missing-file answer) when the request fails it; the pipeline decides when to
ask. Nothing here reads the database: a device's secrets come, encrypted, with its cache entry.
"""

from __future__ import annotations

import time
import urllib.parse

from provisioner.provisioning.answers import Challenge, DeviceRequest, Miss
from provisioner.provisioning.client_certs import VendorAuthorities
from provisioner.provisioning.device_records import CachedDevice
from provisioner.provisioning.encryption import SCHEMES, Scheme
from provisioner.services import Services
from sip_core import digest

#: Transports on which a device's own file is encrypted (or refused) unless plain_device_files is "clear".
PLAIN_TRANSPORTS = frozenset({"http", "tftp"})
#: The digest realm of devices' downloads, and how long a nonce stays good.
REALM = "provisioning"
NONCE_SECONDS = 300


class DeviceProofs:
    """The proofs the pipeline asks of a device, with what they need (keys, CAs, settings)."""

    def __init__(self, services: Services):
        self.services = services
        self._nonce_key: bytes | None = None  # made at first use, from the services' key
        self._authorities: VendorAuthorities | None = None

    @property
    def nonce_key(self) -> bytes:
        """The key digest nonces are signed with: the same in every process of the server."""
        if self._nonce_key is None:
            self._nonce_key = self.services.box.derive("provisioning digest nonces").encode()
        return self._nonce_key

    @property
    def authorities(self) -> VendorAuthorities:
        """The vendors' factory CAs, to read which vendor issued a client certificate."""
        if self._authorities is None:
            self._authorities = VendorAuthorities.from_settings(self.services.settings.https)
        return self._authorities

    def asks_credentials(self, request: DeviceRequest) -> bool:
        """Whether to challenge before anything else: credentials required, none sent, no certificate naming a MAC."""
        return (request.transport != "tftp" and self.services.settings.provisioning.device_credentials == "required"
                and not request.authorization and (request.certificate is None or request.certificate.mac is None))

    def challenge(self, stale: bool = False) -> Challenge:
        return Challenge(digest.challenges(self.nonce_key, REALM, time.time(), stale))

    def check_certificate(self, request: DeviceRequest, device: CachedDevice, excused: bool) -> None:
        """A client certificate must name this device's MAC and come from its vendor's CA (or the provider's)."""
        certificate = request.certificate
        if certificate is None:
            if request.transport == "https" and self.services.settings.https.require_client_certificate:
                raise Miss("no client certificate", excused)
            return
        if certificate.mac is None:
            raise Miss("vendor-generic client certificate", excused)
        if certificate.mac != device.mac:
            raise Miss("client certificate of another device", excused)
        if certificate.vendor is not None and certificate.vendor != device.vendor:
            raise Miss(f"client certificate from the {certificate.vendor} CA", excused)

    def credentials_stale(self, request: DeviceRequest, device: CachedDevice, excused: bool) -> bool:
        """Check digest credentials when sent: Miss when wrong, True when right but on an expired nonce."""
        if not request.authorization:
            return False
        answer = digest.parse_authorization(request.authorization)
        password = self.secret(device, "provisioning_password_enc")
        if (answer is None or not password or answer.username.lower() != device.mac
                or urllib.parse.urlsplit(answer.uri).path != request.path):
            raise Miss("wrong credentials", excused)
        verdict = digest.verify(answer, request.method, password, self.nonce_key, REALM, time.time(), NONCE_SECONDS)
        if verdict is digest.Verdict.WRONG:
            raise Miss("wrong credentials", excused)
        return verdict is digest.Verdict.STALE

    def encrypts(self, request: DeviceRequest) -> bool:
        """Whether the device's own file goes out encrypted on this request's transport."""
        return request.transport in PLAIN_TRANSPORTS and self.encrypts_plain()

    def encrypts_plain(self) -> bool:
        """Whether a device's own file goes out encrypted on the plain transports (HTTP, TFTP)."""
        return self.services.settings.provisioning.plain_device_files != "clear"

    def can_encrypt(self, device: CachedDevice) -> bool:
        """Whether the device's files can be sent encrypted: its vendor has a scheme and it has a file key."""
        return device.vendor in SCHEMES and bool(device.secrets_enc.get("config_key_enc"))

    def scheme(self, device: CachedDevice, transport: str) -> Scheme:
        """How the device's files are encrypted for a plain transport; Miss when they cannot be."""
        scheme = SCHEMES.get(device.vendor)
        if scheme is None:
            raise Miss(f"{device.vendor} files are not sent in clear over {transport}", excused=True)
        if not self.secret(device, "config_key_enc"):
            raise Miss("device has no file key yet", excused=True)
        return scheme

    def secret(self, device: CachedDevice, name: str) -> str:
        """One of the device's secrets in clear ("" when it has none), decrypted once per cache entry."""
        secret = device.secrets.get(name)
        if secret is None:
            stored = device.secrets_enc.get(name)
            secret = device.secrets[name] = self.services.box.decrypt(stored) if stored else ""
        return secret
