"""French départements: their codes and names, the département of a postcode, and the zone each one is in.

Zones matter for pricing, travel and local law (Alsace-Moselle keeps its own rules on public holidays).
"""

from __future__ import annotations

import re

DEPARTEMENTS: dict[str, str] = {
    "01": "Ain",
    "02": "Aisne",
    "03": "Allier",
    "04": "Alpes-de-Haute-Provence",
    "05": "Hautes-Alpes",
    "06": "Alpes-Maritimes",
    "07": "Ardèche",
    "08": "Ardennes",
    "09": "Ariège",
    "10": "Aube",
    "11": "Aude",
    "12": "Aveyron",
    "13": "Bouches-du-Rhône",
    "14": "Calvados",
    "15": "Cantal",
    "16": "Charente",
    "17": "Charente-Maritime",
    "18": "Cher",
    "19": "Corrèze",
    "2A": "Corse-du-Sud",
    "2B": "Haute-Corse",
    "21": "Côte-d'Or",
    "22": "Côtes-d'Armor",
    "23": "Creuse",
    "24": "Dordogne",
    "25": "Doubs",
    "26": "Drôme",
    "27": "Eure",
    "28": "Eure-et-Loir",
    "29": "Finistère",
    "30": "Gard",
    "31": "Haute-Garonne",
    "32": "Gers",
    "33": "Gironde",
    "34": "Hérault",
    "35": "Ille-et-Vilaine",
    "36": "Indre",
    "37": "Indre-et-Loire",
    "38": "Isère",
    "39": "Jura",
    "40": "Landes",
    "41": "Loir-et-Cher",
    "42": "Loire",
    "43": "Haute-Loire",
    "44": "Loire-Atlantique",
    "45": "Loiret",
    "46": "Lot",
    "47": "Lot-et-Garonne",
    "48": "Lozère",
    "49": "Maine-et-Loire",
    "50": "Manche",
    "51": "Marne",
    "52": "Haute-Marne",
    "53": "Mayenne",
    "54": "Meurthe-et-Moselle",
    "55": "Meuse",
    "56": "Morbihan",
    "57": "Moselle",
    "58": "Nièvre",
    "59": "Nord",
    "60": "Oise",
    "61": "Orne",
    "62": "Pas-de-Calais",
    "63": "Puy-de-Dôme",
    "64": "Pyrénées-Atlantiques",
    "65": "Hautes-Pyrénées",
    "66": "Pyrénées-Orientales",
    "67": "Bas-Rhin",
    "68": "Haut-Rhin",
    "69": "Rhône",
    "70": "Haute-Saône",
    "71": "Saône-et-Loire",
    "72": "Sarthe",
    "73": "Savoie",
    "74": "Haute-Savoie",
    "75": "Paris",
    "76": "Seine-Maritime",
    "77": "Seine-et-Marne",
    "78": "Yvelines",
    "79": "Deux-Sèvres",
    "80": "Somme",
    "81": "Tarn",
    "82": "Tarn-et-Garonne",
    "83": "Var",
    "84": "Vaucluse",
    "85": "Vendée",
    "86": "Vienne",
    "87": "Haute-Vienne",
    "88": "Vosges",
    "89": "Yonne",
    "90": "Territoire de Belfort",
    "91": "Essonne",
    "92": "Hauts-de-Seine",
    "93": "Seine-Saint-Denis",
    "94": "Val-de-Marne",
    "95": "Val-d'Oise",
    "971": "Guadeloupe",
    "972": "Martinique",
    "973": "Guyane",
    "974": "La Réunion",
    # Not a département since 1985 but keeps INSEE code 975 and postcode 97500.
    "975": "Saint-Pierre-et-Miquelon",
    "976": "Mayotte",
}

# Moselle, Bas-Rhin and Haut-Rhin keep local law (e.g. two extra public holidays).
ALSACE_MOSELLE = frozenset({"57", "67", "68"})

_POSTCODE = re.compile(r"[0-9]{5}")
_EXPECTED_CODE = "expected a département code such as 01, 2A, 75 or 974"


def validate_departement(code: str) -> str:
    """Return the département code in canonical form ("2a" -> "2A"); raise ValueError if there is no such one."""
    if not isinstance(code, str):
        raise ValueError(f"Département code must be text, not {type(code).__name__}: {_EXPECTED_CODE}")
    canonical = code.strip().upper()
    if canonical in DEPARTEMENTS:
        return canonical
    if canonical == "20":
        raise ValueError("Département code '20' is no longer used: expected 2A (Corse-du-Sud) or 2B (Haute-Corse)")
    shown = repr(code if len(code) <= 20 else code[:20] + "...")
    raise ValueError(f"Département code {shown} is not valid: {_EXPECTED_CODE}")


def departement_for_postcode(postcode: str) -> str:
    """Return the département code for a 5-digit French postcode, e.g. "75001" -> "75", "20000" -> "2A"."""
    if not isinstance(postcode, str):
        raise ValueError(f"Postcode must be text, not {type(postcode).__name__}: expected 5 digits such as 75001")
    text = postcode.strip()
    shown = repr(text if len(text) <= 20 else text[:20] + "...")
    if not _POSTCODE.fullmatch(text):
        raise ValueError(f"Postcode {shown} is not valid: expected 5 digits such as 75001")
    if text.startswith("98"):
        raise ValueError(
            f"Postcode {shown} is in Monaco or an overseas collectivity (98xxx), which is not a French département"
        )
    if text.startswith("20"):
        number = int(text)
        if 20000 <= number <= 20190:
            return "2A"
        if 20200 <= number <= 20620:
            return "2B"
    elif text.startswith("97"):
        if text[:3] in DEPARTEMENTS:
            return text[:3]
    elif text[:2] in DEPARTEMENTS:
        return text[:2]
    raise ValueError(
        f"Postcode {shown} does not belong to any French département: expected e.g. 75001, 20000 or 97400"
    )


def zone_for_departement(code: str) -> str:
    """Return "corsica", "overseas" or "metropolitan" for a département code."""
    canonical = validate_departement(code)
    if canonical in ("2A", "2B"):
        return "corsica"
    if canonical.startswith("97"):
        return "overseas"
    return "metropolitan"
