"""Phones' client certificates: which vendor's factory CA signed one, and which MAC it names.

The TLS handshake has already checked the signature chain against all configured CAs; this module
tells which vendor's bundle the issuer belongs to and reads the MAC from the subject. A certificate
whose subject names no MAC is a vendor-generic one (shared by many phones): it proves nothing about
which phone is asking, so it is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from inventory.mac import normalize_mac
from provisioner.settings import HttpsSettings

#: A MAC written in a subject: 12 hex digits, bare or with : - . separators, not inside a longer hex run.
MAC_TEXT = re.compile(r"(?<![0-9A-Fa-f])((?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}|[0-9A-Fa-f]{12}|"
                      r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![0-9A-Fa-f])")
SUBJECT_FIELDS = (NameOID.COMMON_NAME, NameOID.SERIAL_NUMBER, NameOID.ORGANIZATIONAL_UNIT_NAME)


@dataclass(frozen=True)
class ClientCertificate:
    """What a verified client certificate says: the vendor whose CA issued it and the MAC it names (None: generic)."""

    vendor: str | None
    mac: str | None


class VendorAuthorities:
    """The subjects of each vendor's factory CAs, to tell which vendor issued a certificate."""

    def __init__(self, bundles: dict[str, str]):
        self.by_subject: dict[x509.Name, str] = {}
        for vendor, path in bundles.items():
            for authority in x509.load_pem_x509_certificates(Path(path).read_bytes()):
                self.by_subject[authority.subject] = vendor

    @classmethod
    def from_settings(cls, https: HttpsSettings) -> VendorAuthorities:
        """The bundles of `https.vendor_cas` ("vendor=path" items, checked when the settings were read)."""
        return cls(dict(item.split("=", 1) for item in https.vendor_cas))

    def read(self, der: bytes) -> ClientCertificate:
        """The vendor and MAC of a certificate the handshake verified."""
        certificate = x509.load_der_x509_certificate(der)
        return ClientCertificate(self.by_subject.get(certificate.issuer), mac_in_subject(certificate.subject))


def mac_in_subject(subject: x509.Name) -> str | None:
    """The one MAC a subject names, or None when it names none or several different ones."""
    found = set()
    for oid in SUBJECT_FIELDS:
        for attribute in subject.get_attributes_for_oid(oid):
            for text in MAC_TEXT.findall(str(attribute.value)):
                try:
                    found.add(normalize_mac(text))
                except ValueError:
                    continue
    return found.pop() if len(found) == 1 else None
