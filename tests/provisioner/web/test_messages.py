"""The staff pages' catalogue: every text in both languages, every placeholder in both, no key defined twice."""

from __future__ import annotations

import string
import types

import pytest

from inventory import appointments, resync_requests, template_overrides, ticket_rules
from inventory.catalogue import KINDS
from inventory.equipment import EQUIPMENT_STATES, OWNERSHIPS
from inventory.lifecycle_inputs import CONDITIONS
from inventory.staff import LANGUAGES, ROLES
from provisioner.web import messages
from provisioner.web.messages import CATALOGUE, Translator
from provisioner.web.navigation import GROUPS


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


#: The texts templates look up by a record's value ("state." ~ item.state): every value the records may hold has
#: its text, or the page of a record holding it fails.
VALUE_TEXTS = [
    ("state.", EQUIPMENT_STATES), ("ownership.", OWNERSHIPS), ("item.kind.", KINDS), ("condition.", CONDITIONS),
    ("role.", ROLES), ("language.", LANGUAGES), ("group.", GROUPS),
    ("appt.state.", appointments.STATES), ("appt.by.", appointments.CANCELLED_BY), ("appt.item.", appointments.CHECKLIST),
    ("appt.weekday.", tuple(str(day) for day in range(7))),
    ("support.state.", ticket_rules.STATES), ("support.service.", ticket_rules.SERVICES),
    ("support.channel.", ticket_rules.CHANNELS), ("support.excuse.", ticket_rules.EXCUSES),
    ("support.move.", tuple(ticket_rules.MOVES)),
    ("support.resync.state.", resync_requests.STATES), ("support.resync.kind.", resync_requests.TARGET_KINDS),
    ("support.resync.outcome.", resync_requests.OUTCOMES), ("templates.scope.", template_overrides.SCOPES),
]


@pytest.mark.parametrize("language", sorted(CATALOGUE))
@pytest.mark.parametrize("prefix, values", VALUE_TEXTS, ids=[prefix for prefix, _ in VALUE_TEXTS])
def test_every_value_a_record_may_hold_has_its_text(language: str, prefix: str, values: tuple[str, ...]) -> None:
    assert [f"{prefix}{value}" for value in values if f"{prefix}{value}" not in CATALOGUE[language]] == []
