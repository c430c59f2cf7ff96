"""The warehouse's scan-to-return page in Chromium: scans posted with Enter, the batch looked up on every post,
the charges shown before submitting, the check-ins made once however often the batch is submitted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from staff_browser import Staff, screenshot, sign_in, staff_server


@pytest.fixture(scope="module")
def staff(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Staff]:
    """A server of its own: the check-ins here would change the other modules' dashboard figures."""
    with staff_server(tmp_path_factory.mktemp("return-scans")) as staff:
        yield staff


def scan(page, code: str) -> None:
    """What a scanner in keyboard-wedge mode does: type the code into the focused field, then Enter."""
    assert page.evaluate("document.activeElement.id") == "scan"
    page.keyboard.type(code)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def row(page, scanned: str):
    return page.locator(f"#batch-table tbody tr[data-scan='{scanned}']")


def test_a_batch_of_returns_is_scanned_checked_and_submitted_once(page, staff) -> None:
    staff.user("wanda", "warehouse")
    sign_in(page, "wanda")
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Retours : scanner").click()
    page.wait_for_url("**/staff/warehouse/returns")
    scan(page, "NO-SUCH-1")
    assert page.get_by_role("alert").inner_text() == (
        "Aucun équipement n'a ce n° de série, cette adresse MAC ou cette étiquette : NO-SUCH-1.")
    scan(page, "80:5E:C1:00:00:04")  # WH-4 by its MAC: due back, shipped with a cable
    scan(page, "EQ:WH-5")  # WH-5 by its label: failed, shipped with a cable
    scan(page, "WH-5")  # the same item again
    assert page.get_by_role("alert").inner_text() == "WH-5 est déjà dans le lot."
    assert page.locator("#batch-table tbody tr").count() == 3
    unknown = row(page, "NO-SUCH-1")
    assert unknown.get_attribute("class") == "result-bad"
    assert "Inconnu" in unknown.inner_text()
    assert row(page, "EQ:WH-5").get_attribute("data-status") == "ready"
    assert row(page, "EQ:WH-5").locator(".row-charges").inner_text() == "Aucun frais."
    short = row(page, "80:5E:C1:00:00:04")
    assert short.locator("th").inner_text().startswith("WH-4")
    short.get_by_label("cable").uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Recalculer les frais").click()
    short = row(page, "80:5E:C1:00:00:04")
    assert not short.get_by_label("cable").is_checked()
    assert short.locator(".row-charges").inner_text() == "accessoire manquant : cable — 15,00 €"
    assert page.locator("#charges-total").inner_text() == "15,00 €"
    assert page.evaluate("document.activeElement.id") == "scan"
    screenshot(page, "returns-batch")
    with page.expect_navigation():
        page.get_by_role("button", name="Valider le lot").click()
    results = {r.get_attribute("data-scan"): r.get_attribute("data-status")
               for r in page.locator("#results-table tbody tr").all()}
    assert results == {"NO-SUCH-1": "unknown", "80:5E:C1:00:00:04": "done", "EQ:WH-5": "done"}
    assert page.get_by_role("status").inner_text() == "2 réceptionné(s) sur 3."
    assert page.locator("#charges-total").inner_text() == "15,00 €"
    screenshot(page, "returns-submitted")
    batch_key = page.locator("input[name=batch_key]").get_attribute("value")

    with page.expect_navigation():  # the same batch, shown and submitted again
        page.get_by_role("button", name="Revoir ce lot").click()
    assert row(page, "EQ:WH-5").get_attribute("data-status") == "already"
    with page.expect_navigation():
        page.get_by_role("button", name="Valider le lot").click()
    statuses = [r.get_attribute("data-status") for r in page.locator("#results-table tbody tr").all()]
    assert statuses == ["unknown", "repeated", "repeated"]
    screenshot(page, "returns-submitted-again")
    page.get_by_role("link", name="Commencer un nouveau lot").click()
    scan(page, "WH-1")  # in stock: not something that comes back
    assert page.get_by_role("alert").inner_text() == (
        "Retour impossible : cet équipement est en stock. Un retour n'est possible que s'il est : "
        "en panne, retour attendu, en retard, en reprise.")

    for serial, back in (("WH-4", []), ("WH-5", ["cable"])):
        item = staff.api("GET", f"/api/v1/equipment/{staff.items[serial]}")
        assert (item["state"], item["returned_accessories"]) == ("returned", back)
        events = staff.api("GET", f"/api/v1/events?object_id={staff.items[serial]}&actor=wanda")["items"]
        assert [event["action"] for event in events] == ["transition:check_in"]
    # The API answers a batch sent again under the same key with the charges its first run wrote.
    again = staff.api("POST", "/api/v1/scans/check_in", {"scans": ["80:5E:C1:00:00:04", "EQ:WH-5"],
                                                         "batch_key": batch_key, "inputs": {"condition": "working"}})
    assert [result["repeated"] for result in again["results"]] == [True, True]
    charges = [charge for result in again["results"] for charge in result["charges"]]
    assert [(c["reason"], c["amount_cents"]) for c in charges] == [("missing accessory: cable", 1500)]


def test_a_technician_gets_the_403_page(page, staff) -> None:
    staff.user("tess", "technician")
    sign_in(page, "tess")
    assert page.goto("/staff/warehouse/returns").status == 403
    assert page.get_by_role("alert").inner_text() == (
        "Vous n'avez pas accès à cette page. Elle est réservée aux rôles : entrepôt, administration.")
    screenshot(page, "returns-forbidden")
