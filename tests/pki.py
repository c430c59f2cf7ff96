"""Certificates made with `cryptography` for the tests: a vendor factory CA, phone certificates, a server certificate."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Issued:
    """A certificate and its key."""

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def write(self, folder: Path, stem: str) -> tuple[Path, Path]:
        """Write PEM files stem.pem and stem.key; returns their paths."""
        cert_path, key_path = folder / f"{stem}.pem", folder / f"{stem}.key"
        cert_path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
        return cert_path, key_path


def _name(**parts: str) -> x509.Name:
    oids = {"cn": NameOID.COMMON_NAME, "o": NameOID.ORGANIZATION_NAME, "ou": NameOID.ORGANIZATIONAL_UNIT_NAME,
            "serial": NameOID.SERIAL_NUMBER}
    return x509.Name([x509.NameAttribute(oids[k], v) for k, v in parts.items()])


def _build(subject: x509.Name, issuer: x509.Name, public_key, signer, ca: bool, san=None):  # type: ignore[no-untyped-def]
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
               .not_valid_after(now + dt.timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return builder.sign(signer, hashes.SHA256())


def make_ca(common_name: str) -> Issued:
    """A self-signed certificate authority."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(cn=common_name, o="Test vendor")
    return Issued(_build(name, name, key.public_key(), key, ca=True), key)


def make_leaf(ca: Issued, server_ip: str | None = None, **subject: str) -> Issued:
    """A certificate signed by `ca`: a phone's (subject naming its MAC) or a server's (with an IP address)."""
    key = ec.generate_private_key(ec.SECP256R1())
    san = [x509.IPAddress(ipaddress.ip_address(server_ip))] if server_ip else None
    return Issued(_build(_name(**subject), ca.certificate.subject, key.public_key(), ca.key, ca=False, san=san), key)
