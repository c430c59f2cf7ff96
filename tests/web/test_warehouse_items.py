"""The warehouse's CSV import, the equipment list, an item's page with its timeline, and labels, in Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from staff_browser import Staff, screenshot, sign_in, staff_server

HEADER = "serial,mac,vendor,model,ownership,notes\n"
GOOD = "IMP-1,00:15:65:00:0a:01,yealink,T46U,lent,from the test\n"


@pytest.fixture(scope="module")
def staff(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Staff]:
    """A server of its own: the import here adds items the other modules do not expect."""
    with staff_server(tmp_path_factory.mktemp("warehouse-items")) as staff:
        staff.user("ines", "warehouse")
        staff.user("sonia", "support")
        staff.user("theo", "technician")
        yield staff


def upload(page, name: str, content: bytes) -> None:
    page.get_by_label("Fichier CSV").set_input_files({"name": name, "mimeType": "text/csv", "buffer": content})
    with page.expect_navigation():
        page.get_by_role("button", name="Vérifier le fichier").click()


def verdicts(page) -> dict[str, str]:
    return {row.get_attribute("data-line"): row.locator("td").nth(2).inner_text()
            for row in page.locator("#report-table tbody tr").all()}


def search(page, text: str, **filters: str) -> None:
    page.goto("/staff/items")
    page.get_by_label("N° de série, adresse MAC ou étiquette").fill(text)
    for label, value in filters.items():
        page.get_by_label(label).select_option(value)
    with page.expect_navigation():
        page.get_by_role("button", name="Filtrer").click()


def test_a_csv_file_is_checked_row_by_row_then_imported_once_every_row_is_good(page, staff) -> None:
    sign_in(page, "ines")
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Import de stock (CSV)").click()
    page.wait_for_url("**/staff/warehouse/import")
    screenshot(page, "warehouse-import-form")
    upload(page, "delivery.csv", (HEADER + GOOD + "IMP-2,not-a-mac,yealink,T46U,lent,\n"
                                  "IMP-3,00:15:65:00:0a:03,yealink,T46U,rented,\n").encode())
    assert verdicts(page) == {
        "2": "Bonne",
        "3": "En erreur\nadresse MAC : MAC address 'not-a-mac' is not valid: expected 12 hexadecimal digits such as "
             "00:15:65:aa:bb:cc, 0015.65AA.BBCC or 001565AABBCC",  # the record's own check, as it words it
        "4": "En erreur\npropriété : « lent » (prêté) ou « sold » (vendu) attendu, reçu 'rented'",
    }
    assert page.locator("#report-summary").inner_text() == "3 ligne(s) : 1 bonne(s), 2 en erreur, dont 0 déjà importée(s)."
    assert page.get_by_role("alert").inner_text() == (
        "Rien n'a été importé : corrigez les lignes en erreur puis vérifiez le fichier à nouveau.")
    assert page.get_by_role("button", name="Importer").count() == 0
    screenshot(page, "warehouse-import-report")
    search(page, "IMP-")
    assert page.locator("#items-none").inner_text() == "Aucun équipement ne correspond à cette recherche."
    screenshot(page, "warehouse-items-none")

    page.goto("/staff/warehouse/import")
    upload(page, "delivery-fixed.csv", (HEADER + GOOD).encode())
    assert verdicts(page) == {"2": "Bonne"}
    assert page.get_by_role("status").inner_text() == "Toutes les lignes sont bonnes : 1 équipement(s) à importer."
    with page.expect_navigation():
        page.get_by_role("button", name="Importer 1 équipement(s)").click()
    assert page.get_by_role("status").inner_text() == "1 équipement(s) importé(s), 0 déjà présent(s)."
    screenshot(page, "warehouse-import-done")

    search(page, "imp-1")  # typed in lower case: the serial is found all the same
    rows = page.locator("#items-table tbody tr")
    assert [row.get_attribute("data-serial") for row in rows.all()] == ["IMP-1"]
    assert "en stock" in rows.first.inner_text()
    with page.expect_navigation():
        rows.first.get_by_role("link", name="IMP-1").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Équipement IMP-1"
    moments = page.locator("#timeline li")
    assert moments.count() == 1
    assert "Création" in moments.first.inner_text()
    assert "Origine : import delivery-fixed.csv" in moments.first.inner_text()


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.csv", b"", "Ce fichier est vide : il faut une ligne d'en-tête (serial, mac, vendor, model, ownership) "
                       "puis une ligne par équipement."),
    ("header.csv", b"serial;mac;brand\nX-1;001565000001;yealink\n",
     "Ce fichier ne peut pas être importé, rien n'a été enregistré : la ligne d'en-tête ne convient pas (unknown "
     "column(s) 'brand'; missing column(s) vendor, model, ownership) ; colonnes attendues : serial, mac, vendor, "
     "model, ownership, et éventuellement notes."),
    ("latin1.csv", (HEADER + "CAFÉ-1,001565000001,yealink,T46U,lent,\n").encode("latin-1"),
     "Ce fichier ne peut pas être importé, rien n'a été enregistré : ce n'est pas du texte UTF-8 (un export "
     "Latin-1 ou Windows ? un fichier Excel ?) : enregistrez-le au format « CSV UTF-8 »."),
    ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(200), None),
    ("huge.csv", (HEADER + "X" * (1024 * 1024 + 10)).encode(),
     "Ce fichier est trop gros : 1 Mio au plus. Découpez-le en plusieurs fichiers."),
])
def test_a_file_that_cannot_be_read_says_why_and_writes_nothing(page, staff, name, content, message) -> None:
    sign_in(page, "ines")
    page.goto("/staff/warehouse/import")
    upload(page, name, content)
    alert = page.get_by_role("alert").inner_text()
    assert alert == message if message else alert.startswith("Ce fichier ne peut pas être importé")
    assert page.locator("#report-table").count() == 0
    if name == "huge.csv":
        screenshot(page, "warehouse-import-too-big")


def test_an_item_staged_and_shipped_shows_its_timeline_newest_first(page, staff) -> None:
    sign_in(page, "sonia")
    search(page, "EQ:WH-4")  # the label's code
    with page.expect_navigation():
        page.get_by_role("link", name="WH-4").click()
    assert page.locator("#item-state").inner_text() == "retour attendu"
    moments = page.locator("#timeline li")
    assert [m.get_attribute("data-action") for m in moments.all()] == [
        "transition:end_contract", "transition:deliver", "transition:ship", "transition:stage", "create"]
    assert [m.locator(".what").inner_text() for m in moments.all()] == [
        "Fin de contrat livré → retour attendu", "Livraison expédié → livré", "Expédition préparé → expédié",
        "Préparation en stock → préparé", "Création en stock"]
    shipped = moments.nth(2).inner_text()
    assert "Transporteur\nColissimo" in shipped and "N° de suivi\n6A0001" in shipped
    assert "Accessoires expédiés\ncable" in shipped
    assert "Site\nEntrepôt de Metz" in moments.nth(3).inner_text()
    assert "_enc" not in page.locator("main").inner_html()  # no stored secret, not even its name
    assert page.locator("#label-link").count() == 0  # support may read, not print
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "warehouse-item-phone")
    page.set_viewport_size({"width": 1024, "height": 768})
    screenshot(page, "warehouse-item")


def test_labels_are_printed_one_and_by_sheet_through_the_page_links(page, staff) -> None:
    sign_in(page, "ines")
    search(page, "", **{"État": "in_stock", "Marque": "yealink"})
    serials = [row.get_attribute("data-serial") for row in page.locator("#items-table tbody tr").all()]
    assert {"WH-1", "WH-2"} <= set(serials)
    screenshot(page, "warehouse-items")
    page.get_by_label("Choisir WH-1 pour la planche d'étiquettes").check()
    page.get_by_label("Choisir WH-2 pour la planche d'étiquettes").check()
    with page.expect_download() as sheet:
        page.get_by_role("button", name="Imprimer les équipements cochés").click()
    with open(sheet.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    with page.expect_download() as whole:
        page.get_by_role("button", name=f"Imprimer les {len(serials)} équipements du filtre").click()
    with open(whole.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    page.get_by_label("Choisir WH-1 pour la planche d'étiquettes").uncheck()
    page.get_by_label("Choisir WH-2 pour la planche d'étiquettes").uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Imprimer les équipements cochés").click()  # nothing ticked
    assert page.get_by_role("alert").inner_text() == "Cochez au moins un équipement, ou imprimez tout le filtre."

    with page.expect_navigation():
        page.get_by_role("link", name="WH-1", exact=True).click()
    href = page.get_by_role("link", name="Étiquette (PNG)").get_attribute("href")
    answer = page.goto(href)
    assert answer.status == 200 and answer.headers["content-type"] == "image/png"
    assert answer.body()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_pages_refuse_other_roles_unknown_items_and_forms_without_their_token(page, staff) -> None:
    sign_in(page, "theo")
    for path in ("/staff/items", "/staff/warehouse/import", f"/staff/items/{staff.items['WH-1']}"):
        answer = page.goto(path)
        assert answer.status == 403
        assert page.get_by_role("alert").inner_text() == (
            "Vous n'avez pas accès à cette page. Elle est réservée aux rôles : "
            + ("entrepôt, support, administration." if "import" not in path else "entrepôt, administration."))
    screenshot(page, "warehouse-items-403")
    page.context.clear_cookies()
    sign_in(page, "sonia")
    assert page.goto(f"/staff/items/{staff.items['WH-1']}/label.png").status == 403
    for path in ("/staff/items/not-an-id", "/staff/items/0123456789abcdef01234567"):
        assert page.goto(path).status == 404
        assert page.get_by_role("alert").inner_text() == "Cette page n'existe pas."
    page.context.clear_cookies()
    sign_in(page, "ines")
    page.goto("/staff/warehouse/import")
    page.locator("form.form input[name=_xsrf]").evaluate("field => field.remove()")
    page.get_by_label("Fichier CSV").set_input_files({"name": "x.csv", "mimeType": "text/csv",
                                                      "buffer": (HEADER + "XS-1,00:15:65:00:0b:01,yealink,T46U,lent,\n").encode()})
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Vérifier le fichier").click()
    assert navigation.value.status == 403
    assert "jeton de sécurité" in page.get_by_role("alert").inner_text()
