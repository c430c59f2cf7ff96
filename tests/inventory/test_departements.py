"""Postcodes lead to the right département, département codes are checked, and each one lies in its zone."""

import pytest

from inventory.departements import (
    ALSACE_MOSELLE,
    DEPARTEMENTS,
    departement_for_postcode,
    validate_departement,
    zone_for_departement,
)


def test_every_departement_is_listed_once():
    metropolitan = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"]
    overseas = [str(n) for n in range(971, 977)]
    assert sorted(DEPARTEMENTS) == sorted(metropolitan + overseas)
    assert all(name.strip() == name and name for name in DEPARTEMENTS.values())


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("01", "Ain"),
        ("2A", "Corse-du-Sud"),
        ("2B", "Haute-Corse"),
        ("57", "Moselle"),
        ("67", "Bas-Rhin"),
        ("68", "Haut-Rhin"),
        ("75", "Paris"),
        ("90", "Territoire de Belfort"),
        ("95", "Val-d'Oise"),
        ("971", "Guadeloupe"),
        ("974", "La Réunion"),
        ("976", "Mayotte"),
    ],
)
def test_departement_names(code, name):
    assert DEPARTEMENTS[code] == name


POSTCODES = [
    ("20000", "2A"),  # Ajaccio
    ("20090", "2A"),  # Ajaccio
    ("20190", "2A"),  # last Corse-du-Sud code
    ("20200", "2B"),  # Bastia
    ("20600", "2B"),  # Bastia / Furiani
    ("20620", "2B"),  # Biguglia, last Haute-Corse code
    ("57000", "57"),  # Metz
    ("67000", "67"),  # Strasbourg
    ("68100", "68"),  # Mulhouse
    ("75001", "75"),  # Paris 1er
    ("01000", "01"),  # Bourg-en-Bresse
    ("06000", "06"),  # Nice
    ("13001", "13"),  # Marseille
    ("95000", "95"),  # Cergy
    ("97100", "971"),  # Basse-Terre
    ("97133", "971"),  # Saint-Barthélemy uses Guadeloupe's postcodes
    ("97200", "972"),  # Fort-de-France
    ("97300", "973"),  # Cayenne
    ("97400", "974"),  # Saint-Denis de La Réunion
    ("97500", "975"),  # Saint-Pierre-et-Miquelon
    ("97600", "976"),  # Mamoudzou
    (" 75001 ", "75"),
]


@pytest.mark.parametrize(("postcode", "code"), POSTCODES)
def test_departement_for_postcode(postcode, code):
    assert departement_for_postcode(postcode) == code


@pytest.mark.parametrize(
    ("postcode", "fragment"),
    [
        ("98000", "Monaco"),  # Monaco
        ("98800", "overseas collectivity"),  # Nouméa
        ("00100", "does not belong to any French département"),
        ("96000", "does not belong to any French département"),
        ("99999", "does not belong to any French département"),
        ("97700", "does not belong to any French département"),
        ("20191", "does not belong to any French département"),
        ("20700", "does not belong to any French département"),
        ("7500", "expected 5 digits"),
        ("750011", "expected 5 digits"),
        ("75 001", "expected 5 digits"),
        ("2A000", "expected 5 digits"),
        ("", "expected 5 digits"),
        ("７５００１", "expected 5 digits"),  # full-width digits
        (75001, "must be text"),
        (None, "must be text"),
    ],
)
def test_departement_for_postcode_rejects(postcode, fragment):
    with pytest.raises(ValueError, match=fragment):
        departement_for_postcode(postcode)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("01", "01"),
        ("2a", "2A"),
        ("2B", "2B"),
        (" 75 ", "75"),
        ("974", "974"),
    ],
)
def test_validate_departement(code, expected):
    assert validate_departement(code) == expected


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("1", "'1' is not valid: expected a département code such as 01, 2A, 75 or 974"),
        ("20", "expected 2A \\(Corse-du-Sud\\) or 2B \\(Haute-Corse\\)"),
        ("00", "is not valid"),
        ("96", "is not valid"),
        ("977", "is not valid"),
        ("2C", "is not valid"),
        ("", "is not valid"),
        ("75001", "is not valid"),
        (75, "must be text"),
    ],
)
def test_validate_departement_rejects(code, fragment):
    with pytest.raises(ValueError, match=fragment):
        validate_departement(code)


@pytest.mark.parametrize(
    ("code", "zone"),
    [
        ("2A", "corsica"),
        ("2b", "corsica"),
        ("971", "overseas"),
        ("974", "overseas"),
        ("976", "overseas"),
        ("75", "metropolitan"),
        ("57", "metropolitan"),
        ("01", "metropolitan"),
        ("95", "metropolitan"),
    ],
)
def test_zone_for_departement(code, zone):
    assert zone_for_departement(code) == zone


@pytest.mark.parametrize(
    ("code", "fragment"), [("20", "no longer used"), ("99", "is not valid"), ("1", "is not valid")]
)
def test_zone_for_departement_rejects_unknown_code(code, fragment):
    with pytest.raises(ValueError, match=fragment):
        zone_for_departement(code)


@pytest.mark.parametrize(("postcode", "inside"), [("57000", True), ("67000", True), ("68100", True), ("54000", False)])
def test_alsace_moselle(postcode, inside):
    assert (departement_for_postcode(postcode) in ALSACE_MOSELLE) is inside
