"""The warehouse's receiving, shipping and delivery scan pages in Chromium: the batch's choices entered once, a
scan + Enter per item, each row explained, and the batch submitted once however often it is sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from staff_browser import Staff, screenshot, sign_in, staff_server

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(scope="module")
def staff(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Staff]:
    """A server of its own: the items received and shipped here would change the other modules' figures."""
    with staff_server(tmp_path_factory.mktemp("warehouse-scans")) as staff:
        staff.user("wendy", "warehouse")
        staff.user("theo", "technician")
        yield staff


def enter(page, field_id: str, code: str) -> None:
    """What a scanner in keyboard-wedge mode does: type the code into the focused field, then Enter."""
    # Chromium applies autofocus at its next rendering update, which may come after the load event.
    page.wait_for_function(f"document.activeElement && document.activeElement.id === '{field_id}'", timeout=5000)
    page.keyboard.type(code)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def rows(page, table: str = "#batch-table") -> dict[str, str]:
    return {r.get_attribute("data-scan"): r.get_attribute("data-status")
            for r in page.locator(f"{table} tbody tr").all()}


def row(page, scanned: str, table: str = "#batch-table"):
    return page.locator(f"{table} tbody tr[data-scan='{scanned}']")


def events(staff: Staff, item_id: str, actor: str) -> list[str]:
    return [event["action"] for event in staff.api("GET", f"/api/v1/events?object_id={item_id}&actor={actor}")["items"]]


def test_receiving_creates_the_good_items_once_and_explains_the_others(page, staff) -> None:
    sign_in(page, "wendy")
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Réception : scanner").click()
    page.wait_for_url("**/staff/warehouse/receiving")
    enter(page, "serial", "RX-1")  # a scan before the batch's model is chosen
    assert page.get_by_role("alert").inner_text() == "Choisissez d'abord le modèle et la propriété du lot, puis scannez."
    page.get_by_label("Modèle").select_option("yealink:T46U")
    page.get_by_label("prêté au client").check()
    page.get_by_label("N° de série (code SN de la boîte)").focus()
    enter(page, "serial", "RX-1")  # the box's serial barcode: the page asks for its MAC
    assert page.locator("#pending-note").inner_text() == "N° de série RX-1 lu : scannez maintenant son adresse MAC."
    enter(page, "mac", "80:5E:C1:AA:00:01")
    assert page.locator("#scan-note").inner_text() == "RX-1 ajouté au lot."
    enter(page, "serial", "RX-2 ZZ-NOT-A-MAC")  # both barcodes in one scan
    assert page.get_by_role("alert").inner_text() == (
        "Adresse MAC : 'ZZ-NOT-A-MAC' n'est pas une adresse MAC valide : 12 chiffres hexadécimaux attendus, "
        "comme 00:15:65:aa:bb:cc.")
    enter(page, "serial", "WH-1")  # a serial already in stock, with another MAC
    enter(page, "mac", "805ec1aa0003")
    assert page.get_by_role("alert").inner_text().startswith(
        "N° de série : déjà en stock pour un autre équipement (MAC 80:5e:c1:00:00:01")
    assert rows(page) == {"RX-1 80:5E:C1:AA:00:01": "ready", "RX-2 ZZ-NOT-A-MAC": "refused",
                          "WH-1 805ec1aa0003": "refused"}
    assert row(page, "RX-1 80:5E:C1:AA:00:01").get_attribute("class") == "result-ok"
    assert row(page, "WH-1 805ec1aa0003").get_attribute("class") == "result-bad"
    assert "Refusé" in row(page, "WH-1 805ec1aa0003").inner_text()
    assert page.get_by_role("heading", level=2).last.inner_text() == "Lot en cours : 3 sur 500 au plus, 1 à créer"
    screenshot(page, "warehouse-receiving-batch")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "warehouse-receiving-phone")
    page.set_viewport_size({"width": 1024, "height": 768})

    with page.expect_navigation():
        page.get_by_role("button", name="Valider le lot").click()
    assert rows(page, "#results-table") == {"RX-1 80:5E:C1:AA:00:01": "done", "RX-2 ZZ-NOT-A-MAC": "refused",
                                            "WH-1 805ec1aa0003": "refused"}
    assert page.get_by_role("status").inner_text() == "1 créé(s) sur 3 ; 0 déjà créé(s) par ce lot auparavant."
    assert "Non créé." in row(page, "RX-2 ZZ-NOT-A-MAC", "#results-table").inner_text()
    screenshot(page, "warehouse-receiving-submitted")
    with page.expect_navigation():  # the same batch, shown and submitted again
        page.get_by_role("button", name="Revoir ce lot").click()
    assert row(page, "RX-1 80:5E:C1:AA:00:01").get_attribute("data-status") == "already"
    with page.expect_navigation():
        page.get_by_role("button", name="Valider le lot").click()
    assert page.get_by_role("status").inner_text() == "0 créé(s) sur 3 ; 1 déjà créé(s) par ce lot auparavant."
    assert row(page, "RX-1 80:5E:C1:AA:00:01", "#results-table").get_attribute("data-status") == "repeated"

    found = staff.api("GET", "/api/v1/equipment?serial=RX-1")["items"]
    assert [(item["serial"], item["mac"], item["model"], item["ownership"]) for item in found] == [
        ("RX-1", "805ec1aa0001", "T46U", "lent")]
    assert events(staff, found[0]["id"], "wendy") == ["create"]
    assert staff.api("GET", "/api/v1/equipment?serial=RX-2")["items"] == []

    page.get_by_role("link", name="Commencer un nouveau lot").click()  # a duplicate in stock: the same item again
    page.get_by_label("Modèle").select_option("yealink:T46U")
    page.get_by_label("prêté au client").check()
    page.get_by_label("N° de série (code SN de la boîte)").focus()
    enter(page, "serial", "RX-1 805ec1aa0001")
    assert page.get_by_role("alert").inner_text() == (
        "Déjà en stock : cet équipement existe déjà (même n° de série et même MAC), il n'est pas recréé.")
    enter(page, "serial", "RX-9 805ec1aa0009")
    enter(page, "serial", "RX-9 805ec1aa0010")  # the same serial twice in the batch
    assert page.get_by_role("alert").inner_text() == (
        "N° de série : scanné deux fois dans ce lot (déjà à la ligne 2).")


def test_shipping_moves_the_staged_items_once_and_refuses_the_others(page, staff) -> None:
    site = staff.api("GET", f"/api/v1/equipment/{staff.items['WH-3']}")["site"]
    staff.move("WH-2", "stage", {"site": site})
    sign_in(page, "wendy")
    with page.expect_navigation():
        page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Expéditions : scanner").click()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "input-carrier"
    page.get_by_label("Code scanné").focus()
    enter(page, "scan", "WH-2")
    enter(page, "scan", "EQ:WH-3")
    enter(page, "scan", "WH-1")  # in stock: not staged
    assert page.get_by_role("alert").inner_text() == (
        "Expédition impossible : cet équipement est en stock. Une expédition n'est possible que s'il est : préparé.")
    assert rows(page) == {"WH-2": "ready", "EQ:WH-3": "ready", "WH-1": "refused"}
    assert "Non expédiable" in row(page, "WH-1").inner_text()
    with page.expect_navigation():  # no carrier yet: nothing is shipped
        page.get_by_role("button", name="Valider le lot").click()
    assert page.locator("#scan-note").inner_text().startswith("Le lot n'est pas validé")
    assert page.locator("#input-carrier-error").inner_text() == "Obligatoire : saisissez-le pour valider le lot."
    assert staff.api("GET", f"/api/v1/equipment/{staff.items['WH-2']}")["state"] == "staged"
    page.get_by_label("Transporteur").fill("Colissimo")
    page.get_by_label("N° de suivi").fill("8R0001")
    page.get_by_label("Accessoires expédiés avec chaque équipement").fill("cable\nalimentation")
    with page.expect_navigation():
        page.get_by_role("button", name="Revérifier le lot").click()
    assert page.locator("[aria-invalid=true]").count() == 0  # the shipment's fields are good now
    assert rows(page) == {"WH-2": "ready", "EQ:WH-3": "ready", "WH-1": "refused"}
    screenshot(page, "warehouse-shipping-batch")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "warehouse-shipping-phone")
    page.set_viewport_size({"width": 1024, "height": 768})
    with page.expect_navigation():
        page.get_by_role("button", name="Valider le lot").click()
    assert rows(page, "#results-table") == {"WH-2": "done", "EQ:WH-3": "done", "WH-1": "refused"}
    assert page.get_by_role("status").inner_text() == "2 expédié(s) sur 3."
    assert "préparé" in row(page, "WH-1", "#results-table").inner_text()
    screenshot(page, "warehouse-shipping-submitted")
    with page.expect_navigation():  # the same batch, shown and submitted again: nothing moves twice
        page.get_by_role("button", name="Revoir ce lot").click()
    assert rows(page) == {"WH-2": "already", "EQ:WH-3": "already", "WH-1": "refused"}
    with page.expect_navigation():
        page.get_by_role("button", name="Valider le lot").click()
    assert rows(page, "#results-table") == {"WH-2": "repeated", "EQ:WH-3": "repeated", "WH-1": "refused"}

    for serial in ("WH-2", "WH-3"):
        item = staff.api("GET", f"/api/v1/equipment/{staff.items[serial]}")
        assert (item["state"], item["carrier"], item["tracking_number"], item["shipped_accessories"]) == (
            "shipped", "Colissimo", "8R0001", ["alimentation", "cable"])
        assert events(staff, staff.items[serial], "wendy") == ["transition:ship"]
    assert staff.api("GET", f"/api/v1/equipment/{staff.items['WH-1']}")["state"] == "in_stock"


def test_delivery_records_the_proof_on_the_shipped_items(page, staff) -> None:
    sign_in(page, "wendy")
    page.goto("/staff/warehouse/delivery")
    page.get_by_label("Preuve de livraison").fill("signé M. Martin")
    page.get_by_label("Code scanné").focus()
    enter(page, "scan", "WH-2")
    enter(page, "scan", "WH-1")
    assert page.get_by_role("alert").inner_text() == (
        "Livraison impossible : cet équipement est en stock. Une livraison n'est possible que s'il est : expédié.")
    # A delivery in the future: the lifecycle's refusal said at its field, in French; nothing is delivered.
    tomorrow = dt.datetime.now(PARIS) + dt.timedelta(days=1)
    page.get_by_label("Livré le").fill(tomorrow.strftime("%Y-%m-%dT%H:%M"))
    with page.expect_navigation():
        page.get_by_role("button", name="Valider le lot").click()
    assert page.locator("#scan-note").inner_text().startswith("Le lot n'est pas validé")
    assert page.locator("#input-delivered_at-error").inner_text() == "ne peut pas être dans le futur"
    assert staff.api("GET", f"/api/v1/equipment/{staff.items['WH-2']}")["state"] == "shipped"
    # A date and time that does not read (typed where the browser offers no picker): said in French too.
    page.get_by_label("Livré le").evaluate("field => field.type = 'text'")
    page.get_by_label("Livré le").fill("demain matin")
    with page.expect_navigation():
        page.get_by_role("button", name="Valider le lot").click()
    assert page.locator("#input-delivered_at-error").inner_text() == (
        "une date et une heure avec leur fuseau horaire sont attendues")
    assert staff.api("GET", f"/api/v1/equipment/{staff.items['WH-2']}")["state"] == "shipped"
    page.get_by_label("Livré le").fill("")
    with page.expect_navigation():
        page.get_by_role("button", name="Valider le lot").click()
    assert rows(page, "#results-table") == {"WH-2": "done", "WH-1": "refused"}
    screenshot(page, "warehouse-delivery-submitted")
    item = staff.api("GET", f"/api/v1/equipment/{staff.items['WH-2']}")
    assert (item["state"], item["delivery_proof"]) == ("delivered", "signé M. Martin")


def test_a_technician_gets_the_403_page_and_a_form_without_its_token_is_refused(page, staff) -> None:
    sign_in(page, "theo")
    for path in ("/staff/warehouse/receiving", "/staff/warehouse/shipping", "/staff/warehouse/delivery"):
        assert page.goto(path).status == 403
        assert page.get_by_role("alert").inner_text() == (
            "Vous n'avez pas accès à cette page. Elle est réservée aux rôles : entrepôt, administration.")
    screenshot(page, "warehouse-scans-forbidden")
    page.context.clear_cookies()
    sign_in(page, "wendy")
    answer = page.request.post("/staff/warehouse/receiving", form={
        "action": "submit", "model": "yealink:T46U", "ownership": "lent", "serials": "RX-50", "macs": "805ec1aa0050"})
    assert answer.status == 403
    assert "jeton de sécurité (XSRF)" in answer.text()
    assert staff.api("GET", "/api/v1/equipment?serial=RX-50")["items"] == []
