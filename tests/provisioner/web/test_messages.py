"""The staff pages' catalogue: every text in both languages, every placeholder in both, no key defined twice."""

from __future__ import annotations

import string
import types

import pytest

from provisioner.web import messages
from provisioner.web.messages import CATALOGUE, Translator


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_french_and_english_have_the_same_keys() -> None:
    assert set(CATALOGUE["fr"]) - set(CATALOGUE["en"]) == set()
    assert set(CATALOGUE["en"]) - set(CATALOGUE["fr"]) == set()


@pytest.mark.parametrize("key", sorted(CATALOGUE["fr"]))
def test_both_languages_fill_the_same_placeholders(key: str) -> None:
    assert placeholders(CATALOGUE["fr"][key]) == placeholders(CATALOGUE["en"][key])


def test_a_key_defined_by_two_areas_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    area = types.SimpleNamespace(__name__="an area", FR={"returns.title": "Retours"})
    monkeypatch.setattr(messages, "AREAS", (area,))
    with pytest.raises(ValueError, match=r"defined twice in an area: \['returns.title'\]"):
        messages.joined("fr", messages.FR)


def test_a_missing_key_raises() -> None:
    with pytest.raises(KeyError):
        Translator("en")("no.such.key")
