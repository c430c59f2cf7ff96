"""Reading phones' client certificates: the issuing vendor and the MAC in the subject; generic ones name none."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from pki import make_ca, make_leaf

from provisioner.provisioning.client_certs import ClientCertificate, VendorAuthorities


@pytest.fixture(scope="module")
def authorities(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cas")
    yealink, polycom = make_ca("Yealink Equipment Issuing CA"), make_ca("Polycom Equipment Issuing CA")
    bundles = {"yealink": str(yealink.write(folder, "yealink")[0]), "polycom": str(polycom.write(folder, "polycom")[0])}
    return VendorAuthorities(bundles), {"yealink": yealink, "polycom": polycom}


@pytest.mark.parametrize("issuer, subject, expected", [
    ("yealink", {"cn": "805EC0A1B2C3"}, ClientCertificate("yealink", "805ec0a1b2c3")),
    ("yealink", {"cn": "80:5e:c0:a1:b2:c3", "o": "Yealink"}, ClientCertificate("yealink", "805ec0a1b2c3")),
    ("polycom", {"cn": "Polycom VVX 450", "serial": "0004f2a1b2c3"}, ClientCertificate("polycom", "0004f2a1b2c3")),
    ("polycom", {"cn": "SEP0004.F2A1.B2C3"}, ClientCertificate("polycom", "0004f2a1b2c3")),
    ("yealink", {"cn": "Yealink Generic Device Certificate"}, ClientCertificate("yealink", None)),
    ("yealink", {"cn": "805ec0a1b2c3", "ou": "805ec0a1b2c4"}, ClientCertificate("yealink", None)),  # two MACs
    ("yealink", {"cn": "805ec0a1b2c3ff"}, ClientCertificate("yealink", None)),  # a longer hex run is no MAC
])
def test_vendor_and_mac_are_read_from_the_certificate(authorities, issuer, subject, expected):
    reader, cas = authorities
    leaf = make_leaf(cas[issuer], **subject)
    assert reader.read(leaf.certificate.public_bytes(serialization.Encoding.DER)) == expected


def test_a_certificate_from_no_configured_vendor_has_no_vendor(authorities):
    reader, _ = authorities
    stranger = make_leaf(make_ca("Someone Else CA"), cn="805ec0a1b2c3")
    assert reader.read(stranger.certificate.public_bytes(serialization.Encoding.DER)).vendor is None
