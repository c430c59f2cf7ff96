"""How devices prove who they are and how their secrets travel: encryption on plain transports, client
certificates, per-device digest credentials, with the real vendors and templates over the real database."""

from __future__ import annotations

import dataclasses
import re
import ssl
import subprocess
from xml.etree import ElementTree

import pytest
import tornado.httpclient
import tornado.httpserver
from pki import make_ca, make_leaf
from server_process import free_port

from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor
from inventory.lines import Line
from provisioner.app import make_app
from provisioner.provisioning.client_certs import ClientCertificate
from provisioner.provisioning.device_secrets import issue_secrets, secrets_due
from provisioner.provisioning.encryption import cisco_decrypt, yealink_decrypt
from provisioner.provisioning.pipeline import Challenge, DeviceRequest, Provisioner, revision_of
from provisioner.server import _tls_context
from provisioner.vendors import VENDORS
from sip_core import digest

ACTOR = Actor.system("tests")
SOURCE = "203.0.113.7"
YEALINK, CISCO, POLYCOM = "805ec0000001", "0008300000aa", "0004f2000001"
AGENTS = {YEALINK: "Yealink SIP-T46U 108.86.0.75 80:5e:c0:00:00:01",
          CISCO: "Cisco/SPA504G-7.6.2c (0008300000aa)(CBT123)",
          POLYCOM: "FileTransport PolycomVVX-VVX_450-UA/6.4.3.5186"}
FILES = {YEALINK: f"/{YEALINK}.cfg", CISCO: f"/spa{CISCO}.xml", POLYCOM: f"/{POLYCOM}-device.cfg"}
UNKNOWN_AGENT = "Yealink SIP-T46U 108.86.0.75 80:5e:c0:00:00:09"  # a Yealink not in the inventory


def with_settings(services, **changes):
    """`services` with some settings changed: section.key=value."""
    settings = services.settings
    for name, value in changes.items():
        section, key = name.split("__")
        settings = dataclasses.replace(settings, **{section: dataclasses.replace(getattr(settings, section),
                                                                                  **{key: value})})
    return dataclasses.replace(services, settings=settings)


@pytest.fixture
def fleet(mongo_db, services) -> dict[str, Equipment]:
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    site = Site(customer=customer, name="HQ", address="1 rue", postcode="75008", city="Paris",
                allowed_networks=["203.0.113.0/24", "127.0.0.0/8"]).insert(ACTOR)
    devices = {}
    for mac, vendor, model in ((YEALINK, "yealink", "T46U"), (CISCO, "cisco", "SPA504G"),
                               (POLYCOM, "polycom", "VVX450")):
        line = Line(site=site, extension=f"1{len(devices)}1", display_name="Poste")
        line.set_sip_password(services.box)
        line = line.insert(ACTOR)
        item = Equipment(serial=f"SN-{mac}", mac=mac, vendor=vendor, model=model, site=site, lines=[line],
                         state="in_service")
        issue_secrets(item, services.box)
        devices[mac] = item.insert(ACTOR)
    return devices


def ask(provisioner, mac, transport, **extra):
    return provisioner.serve(DeviceRequest(path=FILES[mac], user_agent=AGENTS[mac], source=SOURCE,
                                           transport=transport, **extra))


# --- secrets of a new device --------------------------------------------------------------------


@pytest.mark.parametrize("vendor, key_length", [("yealink", 16), ("cisco", 32), ("polycom", None), ("snom", None)])
def test_new_devices_get_their_own_secrets_and_a_key_of_their_vendors_form(services, vendor, key_length):
    due = secrets_due(vendor, None, services.box)
    assert set(due) >= {"admin_password_enc", "provisioning_password_enc"}
    key = due.get("config_key_enc")
    assert (len(services.box.decrypt(key)) if key else None) == key_length


def test_a_device_recorded_as_another_vendor_gets_a_new_key_and_keeps_its_passwords(services):
    item = Equipment(serial="SN-1", mac=YEALINK, vendor="yealink", model="T46U")
    issue_secrets(item, services.box)
    due = secrets_due("cisco", item, services.box)
    assert set(due) == {"config_key_enc"} and len(services.box.decrypt(due["config_key_enc"])) == 32
    assert secrets_due("polycom", item, services.box) == {"config_key_enc": None}
    assert secrets_due("yealink", item, services.box) == {}


# --- encryption on plain transports ---------------------------------------------------------------


@pytest.mark.parametrize("transport", ["http", "tftp"])
def test_plain_transports_carry_the_file_encrypted_with_the_same_revision(services, fleet, transport):
    provisioner = Provisioner(services, VENDORS.values())
    for mac, decrypt in ((YEALINK, yealink_decrypt), (CISCO, cisco_decrypt)):
        clear, sent = ask(provisioner, mac, "https"), ask(provisioner, mac, transport)
        key = fleet[mac].config_key(services.box)
        assert clear.body.startswith((b"#!version", b"<?xml")) and key.encode() in clear.body
        assert fleet[mac].admin_password(services.box).encode() not in sent.body
        assert decrypt(sent.body, key) == clear.body
        assert sent.revision == clear.revision == revision_of(clear.body)
        assert sent.content_type == "application/octet-stream"


def test_a_vendor_that_cannot_decrypt_gets_nothing_on_plain_transports_unless_clear_is_chosen(services, fleet):
    assert ask(Provisioner(services, VENDORS.values()), POLYCOM, "http") is None
    assert ask(Provisioner(services, VENDORS.values()), POLYCOM, "https") is not None
    clear = Provisioner(with_settings(services, provisioning__plain_device_files="clear"), VENDORS.values())
    sent = ask(clear, POLYCOM, "http")
    assert fleet[POLYCOM].admin_password(services.box).encode() in sent.body


def test_shared_files_hold_no_secret_and_travel_in_clear(services, fleet):
    provisioner = Provisioner(services, VENDORS.values())
    shared = provisioner.serve(DeviceRequest(path="/y000000000108.cfg", user_agent=AGENTS[YEALINK], source=SOURCE,
                                             transport="http"))
    assert shared is not None and shared.body.startswith(b"#!version")
    assert fleet[YEALINK].config_key(services.box).encode() not in shared.body


def test_openssl_decrypts_a_cisco_profile_sent_over_plain_http(services, fleet, tmp_path):
    provisioner = Provisioner(services, VENDORS.values())
    clear, sent = ask(provisioner, CISCO, "https"), ask(provisioner, CISCO, "http")
    rule = ElementTree.fromstring(clear.body).findtext("Profile_Rule")  # what the phone learns over HTTPS
    key = re.fullmatch(r'\[--key "([^"]+)"\]http://\S+', rule).group(1)
    (tmp_path / "profile").write_bytes(sent.body)
    decrypted = subprocess.run(["openssl", "enc", "-d", "-aes-256-cbc", "-md", "md5", "-k", key,
                                "-in", str(tmp_path / "profile")], capture_output=True, check=True, timeout=10)
    assert decrypted.stdout == clear.body


def test_openssl_decrypts_a_yealink_file_sent_over_tftp_with_the_key_it_got_over_https(services, fleet, tmp_path):
    provisioner = Provisioner(services, VENDORS.values())
    clear, sent = ask(provisioner, YEALINK, "https"), ask(provisioner, YEALINK, "tftp")
    key = re.search(rb"^static\.auto_provision\.aes_key\.mac = (\S+)$", clear.body, re.M).group(1)
    (tmp_path / "file").write_bytes(sent.body)
    decrypted = subprocess.run(["openssl", "enc", "-d", "-aes-128-ecb", "-K", key.hex(), "-in",
                                str(tmp_path / "file")], capture_output=True, check=True, timeout=10)
    assert decrypted.stdout == clear.body


# --- client certificates -------------------------------------------------------------------------


@pytest.mark.parametrize("certificate, served", [
    (None, True),
    (ClientCertificate("yealink", YEALINK), True),
    (ClientCertificate(None, YEALINK), True),            # the provider's own CA (https.client_ca)
    (ClientCertificate("yealink", None), False),          # vendor-generic: proves nothing about which phone
    (ClientCertificate("yealink", "805ec0000002"), False),  # another phone's
    (ClientCertificate("polycom", YEALINK), False),       # another vendor's CA
])
def test_a_client_certificate_must_name_this_device_and_come_from_its_vendor(services, fleet, certificate, served):
    provisioner = Provisioner(services, VENDORS.values())
    assert (ask(provisioner, YEALINK, "https", certificate=certificate) is not None) is served


def test_required_certificates_refuse_a_device_file_without_one_but_not_shared_files(services, fleet):
    provisioner = Provisioner(with_settings(services, https__require_client_certificate=True), VENDORS.values())
    assert ask(provisioner, YEALINK, "https") is None
    assert ask(provisioner, YEALINK, "https", certificate=ClientCertificate("yealink", YEALINK)) is not None
    assert provisioner.serve(DeviceRequest(path="/y000000000108.cfg", user_agent=AGENTS[YEALINK], source=SOURCE,
                                           transport="https")) is not None


# --- digest credentials --------------------------------------------------------------------------


def authorization(challenge_value, mac, password, path, method="GET"):
    """What a phone sends back for a challenge."""
    params = dict(re.findall(r'(\w+)="?([^",]+)"?', challenge_value.partition(" ")[2]))
    answer = digest.Answer(username=mac, realm=params["realm"], nonce=params["nonce"], uri=path, response="", algorithm=params["algorithm"], qop="auth", nc="00000001",
                           cnonce="0a4f113b")
    response = digest.expected_response(answer, method, password)
    return (f'Digest username="{mac}", realm="{answer.realm}", nonce="{answer.nonce}", uri="{path}", '
            f'algorithm={answer.algorithm}, qop=auth, nc=00000001, cnonce="0a4f113b", response="{response}"')


def test_required_credentials_challenge_known_and_unknown_devices_alike(services, fleet):
    provisioner = Provisioner(with_settings(services, provisioning__device_credentials="required"), VENDORS.values())
    known = ask(provisioner, YEALINK, "https")
    unknown = provisioner.serve(DeviceRequest(path="/805ec0000009.cfg", user_agent=UNKNOWN_AGENT, source=SOURCE,
                                              transport="https"))
    assert isinstance(known, Challenge) and isinstance(unknown, Challenge)
    shape = [re.sub(r'nonce="[^"]+"', "", value) for value in known.www_authenticate]
    assert shape == [re.sub(r'nonce="[^"]+"', "", value) for value in unknown.www_authenticate]
    assert "algorithm=SHA-256" in known.www_authenticate[0] and "algorithm=MD5" in known.www_authenticate[1]
    # TFTP cannot carry credentials; a certificate naming the MAC is proof enough.
    assert not isinstance(ask(provisioner, YEALINK, "tftp"), Challenge)
    assert ask(provisioner, YEALINK, "https", certificate=ClientCertificate("yealink", YEALINK)).body


@pytest.mark.parametrize("algorithm", [0, 1])
def test_the_devices_own_credentials_open_its_file_and_nothing_else_does(services, fleet, algorithm):
    provisioner = Provisioner(with_settings(services, provisioning__device_credentials="required"), VENDORS.values())
    offered = ask(provisioner, YEALINK, "https").www_authenticate[algorithm]
    password = fleet[YEALINK].provisioning_password(services.box)
    right = authorization(offered, YEALINK, password, FILES[YEALINK])
    served = ask(provisioner, YEALINK, "https", authorization=right)
    assert served is not None and f"server.password = {password}".encode() in served.body
    for wrong in (authorization(offered, YEALINK, password + "x", FILES[YEALINK]),
                  authorization(offered, CISCO, fleet[CISCO].provisioning_password(services.box), FILES[YEALINK]),
                  authorization(offered, YEALINK, password, FILES[CISCO]),
                  right.replace('nonce="', 'nonce="0'), "Digest garbage", "Basic " + "x" * 20):
        assert ask(provisioner, YEALINK, "https", authorization=wrong) is None, wrong


def test_an_expired_nonce_with_the_right_password_is_challenged_again_as_stale(services, fleet):
    provisioner = Provisioner(with_settings(services, provisioning__device_credentials="required"), VENDORS.values())
    old_nonce = digest.make_nonce(provisioner.nonce_key, "provisioning", 1_000_000)
    offered = digest.challenge("provisioning", old_nonce, "MD5")
    password = fleet[YEALINK].provisioning_password(services.box)
    again = ask(provisioner, YEALINK, "https", authorization=authorization(offered, YEALINK, password, FILES[YEALINK]))
    assert isinstance(again, Challenge) and all("stale=true" in value for value in again.www_authenticate)


def test_optional_credentials_serve_without_them_but_refuse_wrong_ones(services, fleet):
    provisioner = Provisioner(services, VENDORS.values())
    assert ask(provisioner, YEALINK, "https") is not None
    offered = digest.challenges(provisioner.nonce_key, "provisioning", 1e9)[1]
    assert ask(provisioner, YEALINK, "https", authorization=authorization(offered, YEALINK, "nope", FILES[YEALINK])) is None


# --- over real HTTP and HTTPS ---------------------------------------------------------------------


@pytest.fixture
def app(services):  # the default application fixture, with credentials required
    return make_app(with_settings(services, provisioning__device_credentials="required"))


@pytest.mark.gen_test
async def test_over_http_a_challenge_is_a_401_and_the_answer_opens_the_file(http_client, base_url, fleet, services):
    url = base_url + FILES[YEALINK]
    first = await http_client.fetch(url, headers={"User-Agent": AGENTS[YEALINK]}, raise_error=False)
    unknown = await http_client.fetch(base_url + "/805ec0000009.cfg", headers={"User-Agent": UNKNOWN_AGENT},
                                      raise_error=False)
    assert first.code == unknown.code == 401 and first.body == unknown.body == b"Unauthorized\n"
    offered = first.headers.get_list("WWW-Authenticate")
    assert len(offered) == 2
    password = fleet[YEALINK].provisioning_password(services.box)
    answered = await http_client.fetch(url, raise_error=False, headers={
        "User-Agent": AGENTS[YEALINK], "Authorization": authorization(offered[0], YEALINK, password, FILES[YEALINK])})
    assert answered.code == 200
    clear = yealink_decrypt(answered.body, fleet[YEALINK].config_key(services.box))  # plain HTTP: encrypted
    assert f"server.password = {password}".encode() in clear


@pytest.mark.gen_test(timeout=20)
async def test_over_https_the_phone_certificate_is_read_from_the_handshake(services, fleet, tmp_path):
    vendor_ca, server_ca = make_ca("Yealink Equipment Issuing CA"), make_ca("Provider server CA")
    vendor_bundle = vendor_ca.write(tmp_path, "yealink-ca")[0]
    server_cert, server_key = make_leaf(server_ca, server_ip="127.0.0.1", cn="provisioner.test").write(tmp_path, "srv")
    https = dataclasses.replace(services.settings.https, certificate=str(server_cert), private_key=str(server_key),
                                vendor_cas=(f"yealink={vendor_bundle}",), require_client_certificate=True)
    secure = dataclasses.replace(services, settings=dataclasses.replace(services.settings, https=https))
    server = tornado.httpserver.HTTPServer(make_app(secure), ssl_options=_tls_context(secure.settings))
    port = free_port()
    server.listen(port, "127.0.0.1")
    client = tornado.httpclient.AsyncHTTPClient(force_instance=True)
    server_ca_file = server_ca.write(tmp_path, "server-ca")[0]
    try:
        async def fetch(**subject):
            options = {}
            if subject:
                cert, key = make_leaf(vendor_ca, **subject).write(tmp_path, "phone")
                options = {"client_cert": str(cert), "client_key": str(key)}
            return await client.fetch(f"https://127.0.0.1:{port}{FILES[YEALINK]}", raise_error=False,
                                      ca_certs=str(server_ca_file), headers={"User-Agent": AGENTS[YEALINK]},
                                      **options)

        served = await fetch(cn=YEALINK, ou="Yealink")
        assert served.code == 200 and served.body.startswith(b"#!version")  # HTTPS: in clear
        missing = await fetch(cn="805ec0000009")
        assert (await fetch(cn="805ec0000002")).code == missing.code == 404   # another phone's certificate
        assert (await fetch(cn="Yealink generic")).body == missing.body       # vendor-generic
        assert (await fetch()).body == missing.body                           # none, and one is required
        health = await client.fetch(f"https://127.0.0.1:{port}/healthz", ca_certs=str(server_ca_file))
        assert health.code == 200  # staff and the API share the port without certificates
    finally:
        client.close()
        server.stop()


def test_an_ssl_context_trusts_the_vendor_bundles_and_asks_for_certificates(services, tmp_path):
    bundle = make_ca("Yealink Equipment Issuing CA").write(tmp_path, "ca")[0]
    cert, key = make_leaf(make_ca("srv"), server_ip="127.0.0.1", cn="x").write(tmp_path, "srv")
    https = dataclasses.replace(services.settings.https, certificate=str(cert), private_key=str(key),
                                vendor_cas=(f"yealink={bundle}",))
    context = _tls_context(dataclasses.replace(services.settings, https=https))
    assert context.verify_mode is ssl.CERT_OPTIONAL and context.cert_store_stats()["x509_ca"] == 1
