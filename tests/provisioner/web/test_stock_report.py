"""The stock import's report as the import page shows it: every line with its problems, the importer's fixed
wordings said in the user's language, the others as written; and the name an uploaded file is logged under."""

from __future__ import annotations

import pytest

from inventory.stock_csv import Row
from inventory.stock_import import Problem
from provisioner.web.messages import Translator
from provisioner.web.warehouse.stock_import_page import file_name_of
from provisioner.web.warehouse.stock_report import ReportRow, file_problem, report_rows, row_problem

FR, EN = Translator("fr"), Translator("en")


def test_every_line_is_reported_with_its_own_problems() -> None:
    rows = [Row(2, {"serial": "A-1", "mac": "001565000001"}), Row(3, {"serial": "A-2", "mac": "x"}),
            Row(5, {"serial": "A-3"}, wrong_count=2)]
    problems = [Problem(3, "mac", "bad"), Problem(3, "ownership", "worse"), Problem(5, "columns", "2 values")]
    assert report_rows(rows, problems) == [
        ReportRow(2, "A-1", "001565000001"), ReportRow(3, "A-2", "x", [("mac", "bad"), ("ownership", "worse")]),
        ReportRow(5, "A-3", "", [("columns", "2 values")])]
    assert [row.good for row in report_rows(rows, problems)] == [True, False, False]


@pytest.mark.parametrize(("field", "text", "french", "english"), [
    ("vendor", "empty: a value is required", "marque : vide : une valeur est obligatoire",
     "vendor: empty: a value is required"),
    ("ownership", "expected lent or sold, got 'rented'",
     "propriété : « lent » (prêté) ou « sold » (vendu) attendu, reçu 'rented'", "ownership: expected lent or sold, got 'rented'"),
    ("columns", "4 values, expected one per column of the header line",
     "colonnes : 4 valeur(s), il en faut une par colonne de l'en-tête",
     "columns: 4 value(s), expected one per column of the header line"),
    ("serial", "'A-1' is also on line 2", "n° de série : 'A-1' figure aussi à la ligne 2",
     "serial: 'A-1' is also on line 2"),
    ("mac", "already stored for another item (serial 'B-1')",
     "adresse MAC : déjà enregistré pour un autre équipement (serial 'B-1')",
     "MAC address: already stored for another item (serial 'B-1')"),
    ("model", "this item is already stored as yealink T46U",
     "modèle : cet équipement est déjà enregistré comme yealink T46U", "model: this item is already stored as yealink T46U"),
    ("model", "unknown model 'T99' for yealink", "modèle : unknown model 'T99' for yealink",
     "model: unknown model 'T99' for yealink"),  # not a fixed wording: the importer's own text
    ("lines", "something else", "lines : something else", "lines: something else"),
])
def test_a_row_problem_in_each_language(field, text, french, english) -> None:
    assert row_problem(FR, field, text) == french
    assert row_problem(EN, field, text) == english


@pytest.mark.parametrize(("text", "french"), [
    ("the file is empty: expected a header line with serial, mac", "Ce fichier est vide : il faut une ligne d'en-tête "
     "(serial, mac) puis une ligne par équipement."),
    ("the file is UTF-16: save it as CSV UTF-8", "Ce fichier ne peut pas être importé, rien n'a été enregistré : il est "
     "en UTF-16 : enregistrez-le au format « CSV UTF-8 »."),
    ("line 3: the file holds a NUL character: expected CSV text", "Ce fichier ne peut pas être importé, rien n'a été "
     "enregistré : ce n'est pas du texte UTF-8 (un export Latin-1 ou Windows ? un fichier Excel ?) : enregistrez-le "
     "au format « CSV UTF-8 »."),
    ("line 1: missing column(s) mac: expected a header line with serial, mac", "Ce fichier ne peut pas être importé, "
     "rien n'a été enregistré : la ligne d'en-tête ne convient pas (missing column(s) mac) ; colonnes attendues : "
     "serial, mac, et éventuellement notes."),
    ("line 4: the file is not valid CSV: unexpected end of data", "Ce fichier ne peut pas être importé, rien n'a été "
     "enregistré : line 4: the file is not valid CSV: unexpected end of data"),
])
def test_a_file_problem_in_french(text, french) -> None:
    assert file_problem(FR, text, "serial, mac", "notes") == french


@pytest.mark.parametrize(("given", "logged"), [
    ("stock.csv", "stock.csv"),
    ("C:\\Users\\ines\\Livraison été.csv", "Livraison été.csv"),
    ("../../etc/passwd", "passwd"),
    ("a;b|c.csv", "a_b_c.csv"),
    ("", "upload.csv"),
    ("x" * 150 + ".csv", "x" * 96 + ".csv"),
])
def test_the_name_an_uploaded_file_is_logged_under(given, logged) -> None:
    assert file_name_of(given) == logged
