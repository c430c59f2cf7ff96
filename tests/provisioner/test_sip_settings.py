"""The `sip` settings: environment overrides like every other section, their checks, and the core's configuration."""

from __future__ import annotations

import pytest

from inventory.secret_box import SecretBox
from provisioner.settings import ConfigError, load_settings
from provisioner.sip_settings import core_config, realm


def test_environment_overrides_the_sip_section():
    settings = load_settings(None, {"PROVISIONER_SIP_UDP_PORT": "5070", "PROVISIONER_SIP_ENABLED": "no",
                                    "PROVISIONER_SIP_DIGEST_ALGORITHMS": "md5", "PROVISIONER_SIP_DOMAIN": "sip.acme.test"},
                             {})
    sip = settings.sip
    assert (sip.udp_port, sip.tcp_port, sip.enabled, sip.digest_algorithms) == (5070, 5060, False, ("MD5",))
    assert realm(settings) == "sip.acme.test" and not sip.tls_enabled


@pytest.mark.parametrize("environ, fragment", [
    ({"PROVISIONER_SIP_DIGEST_ALGORITHMS": "SHA-512"}, "sip.digest_algorithms: expected a non-empty list"),
    ({"PROVISIONER_SIP_MIN_EXPIRES": "600", "PROVISIONER_SIP_DEFAULT_EXPIRES": "300"}, "must be in that order"),
    ({"PROVISIONER_SIP_TLS_PORT": "0"}, "sip.tls_port: expected an integer from 1 to 65535"),
    ({"PROVISIONER_SIP_TRUNK": "192.0.2.10"}, "sip.trunk: expected empty, or an IP address and port"),
    ({"PROVISIONER_SIP_TRUNK": "carrier.example.net:5060"}, "sip.trunk: expected"),
    ({"PROVISIONER_SIP_TRUNK": "192.0.2.10:abc"}, "sip.trunk: expected"),
    ({"PROVISIONER_SIP_TRUNK": "192.0.2.10:70000"}, "sip.trunk: expected"),
    ({"PROVISIONER_SIP_TRUNK_SOURCES": "192.0.2.10,carrier.example.net"}, "sip.trunk_sources: expected a list"),
])
def test_wrong_sip_settings_are_refused(environ, fragment):
    with pytest.raises(ConfigError) as error:
        load_settings(None, environ, {})
    assert fragment in str(error.value)


def test_the_core_configuration_follows_the_settings_and_every_process_derives_one_nonce_key():
    key = SecretBox.generate_key()
    settings = load_settings(None, {"PROVISIONER_SIP_MAX_CONTACTS": "5", "PROVISIONER_SIP_BAN_SECONDS": "60"}, {})
    config = core_config(settings, SecretBox([key]))
    assert config.realm == settings.provider.sip_domain and config.digest_algorithms == ("SHA-256", "MD5")
    assert (config.policy.max_contacts, config.policy.min_expires, config.ban_seconds) == (5, 60, 60.0)
    assert config.nonce_key == core_config(settings, SecretBox([key])).nonce_key
    assert config.nonce_key != SecretBox([key]).derive("provisioning digest nonces").encode()


def test_the_trunk_and_where_its_calls_come_from_reach_the_core():
    settings = load_settings(None, {"PROVISIONER_SIP_TRUNK": "[2001:db8::1]:5060",
                                    "PROVISIONER_SIP_TRUNK_SOURCES": "198.51.100.7, 198.51.100.8:5060"}, {})
    config = core_config(settings, SecretBox([SecretBox.generate_key()]))
    assert (config.trunk, config.trunk_sources) == ("[2001:db8::1]:5060", ("198.51.100.7", "198.51.100.8:5060"))
    assert core_config(load_settings(None, {}, {}), SecretBox([SecretBox.generate_key()])).trunk == ""
