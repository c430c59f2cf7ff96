"""Where a template override breaks: the reason, the line, and whether that line is the override's own, as the
staff page shows it (the API's message stays the same text)."""

from __future__ import annotations

import pytest

from inventory.errors import InvalidRecord
from inventory.template_overrides import TemplateOverride
from provisioner.provisioning.template_check import OverrideRefused, check_override_renders, override_error
from provisioner.settings import load_settings

SETTINGS = load_settings(environ={})


def override(source: str, template: str = "device.cfg.j2") -> TemplateOverride:
    return TemplateOverride(vendor="yealink", template=template, source=source)


@pytest.mark.parametrize("source, line, reason", [
    ("{{ device.nope }}\n", 1, "'dict object' has no attribute 'nope'"),
    ("a\nb\n{{ nope }}\n", 3, "'nope' is undefined"),
    ("ok\n{% for line in lines %}\n{{ line.index + }}\n{% endfor %}\n", 3, "unexpected 'end of print statement'"),
    ("a\n{% if device %}\nb\n", 3, "Unexpected end of template"),
])
def test_an_error_in_the_override_is_at_its_own_line(source: str, line: int, reason: str) -> None:
    error = override_error(override(source), SETTINGS)
    assert (error.line, error.in_override) == (line, True)
    assert error.reason.startswith(reason)
    assert error.message.endswith(f"(rendering {error.file} for a {error.model})")
    assert f"line {line}" in error.message


def test_an_error_outside_the_override_has_no_line_of_it() -> None:
    error = override_error(override("{% extends 'base:yealink/missing.j2' %}"), SETTINGS)
    assert error.in_override is False
    assert error.message.startswith("no template base:yealink/missing.j2")


def test_a_good_override_has_no_error_and_a_bad_one_is_refused_as_an_invalid_source() -> None:
    assert override_error(override("{% extends 'base:yealink/device.cfg.j2' %}\n"), SETTINGS) is None
    with pytest.raises(InvalidRecord) as refused:
        check_override_renders(override("{{ nope }}"), SETTINGS)
    assert isinstance(refused.value, OverrideRefused)
    assert refused.value.fields == {"source": refused.value.error.message}
