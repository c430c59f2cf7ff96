"""A device's download credentials and file key reach it in its own file, in each vendor's parameters, and
never in a shared file, even one rendered from a device's context by mistake."""

from __future__ import annotations

import pytest
from device_context import example_common_context, example_context

from inventory.catalogue import VENDORS as CATALOGUE
from provisioner.provisioning.templates import make_environment, render
from provisioner.vendors import VENDORS

MAC = "805ec0a1b2c3"
CONTEXT = example_context("yealink", "T46U")["device"]  # the secrets' values in the example context
USER, PASSWORD, KEY = CONTEXT["provisioning_username"], CONTEXT["provisioning_password"], CONTEXT["config_key"]


def files(vendor: str, model: str) -> dict[str, str]:
    """Each file of a `model` device rendered with the device's context (shared files too)."""
    rendered = {}
    for name in VENDORS[vendor].device_files(MAC, model):
        match = VENDORS[vendor].match_file(name)
        context = {**example_common_context(vendor, match.model or model), **example_context(vendor, model)}
        rendered[name] = (match.per_device, render(make_environment(), vendor, match.template,
                                                   match.model or model, context))
    return rendered


@pytest.mark.parametrize("vendor, expected", [
    ("yealink", [f"static.auto_provision.server.username = {USER}", f"static.auto_provision.server.password = {PASSWORD}",
                 "static.auto_provision.aes_key_in_file = 0", f"static.auto_provision.aes_key.mac = {KEY}",
                 f"static.auto_provision.aes_key_16.mac = {KEY}"]),
    ("polycom", [f'device.prov.user="{USER}"', f'device.prov.password="{PASSWORD}"', 'device.prov.password.set="1"']),
    ("grandstream", [f"<P1360>{USER}</P1360>", f"<P1361>{PASSWORD}</P1361>"]),
    ("cisco", [f"[--key &#34;{KEY}&#34;]"]),
])
def test_each_device_file_carries_its_own_parameters(vendor, expected):
    for model in CATALOGUE[vendor]:
        own = "\n".join(text for per_device, text in files(vendor, model).values() if per_device)
        for parameter in expected:
            assert parameter in own, (model, parameter)


@pytest.mark.parametrize("vendor", ["yealink", "polycom", "grandstream", "cisco", "snom", "fanvil"])
def test_shared_files_never_carry_them(vendor):
    for model in CATALOGUE[vendor]:
        for name, (per_device, text) in files(vendor, model).items():
            if not per_device:
                assert PASSWORD not in text and KEY not in text, (model, name)
