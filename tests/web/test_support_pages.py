"""The support pages in Chromium: failure tickets with their 4-hour and 72-hour deadlines, opening one and running
its transitions, credits due, devices behind on their configuration, the quarantine and its claim, and the preview
of a device's configuration (masked for support, clear for admin)."""

from __future__ import annotations

import datetime as dt
import html
import re
import urllib.request
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from staff_browser import SHIP, Staff, ago, screenshot, sign_in, staff_server

PARIS = ZoneInfo("Europe/Paris")
BAD, OK = "rgb(180, 35, 24)", "rgb(26, 127, 55)"  # staff.css --bad and --ok
UNKNOWN_MAC = "805ec0abcdef"
#: Words of the rules' English that no French page says.
ENGLISH = re.compile(r"\b(the|cannot|is|not|allowed|expected|required|needs|no|of|at|was|now|changed|meanwhile|"
                     r"version \d+, not|inputs?|later|than|future)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def staff(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Staff]:
    """A server of its own: tickets, claims and re-syncs here would change the other modules' figures."""
    with staff_server(tmp_path_factory.mktemp("support-pages")) as staff:
        staff.user("sophie", "support")
        staff.user("adele", "admin")
        staff.user("walter", "warehouse")
        staff.user("tom", "technician")
        acme = staff.api("GET", "/api/v1/customers?reference=ACME-01")["items"][0]["id"]
        site = staff.api("GET", f"/api/v1/sites?customer={acme}")["items"][0]["id"]
        staff.items["acme"], staff.items["site"] = acme, site
        for number in (6, 7):  # delivered at Acme's: a failure can be noted on them
            item = staff.api("POST", "/api/v1/equipment", {"serial": f"WH-{number}", "mac": f"805ec1{number:06x}",
                                                          "vendor": "yealink", "model": "T46U", "ownership": "lent"})
            staff.items[f"WH-{number}"] = item["id"]
            staff.move(f"WH-{number}", "stage", {"site": site})
            staff.move(f"WH-{number}", "ship", SHIP)
            staff.move(f"WH-{number}", "deliver", {"proof": "signed", "delivered_at": ago(days=2)})
        yield staff


def shown(moment: str) -> str:
    """An API time as the French pages show it, in Paris."""
    return dt.datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def tickets(staff: Staff) -> int:
    return staff.api("GET", "/api/v1/tickets")["total"]


def submit(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def test_a_ticket_opened_on_the_page_shows_the_deadlines_the_api_gives(page, staff) -> None:
    sign_in(page, "sophie")
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Tickets de panne").click()
    page.get_by_role("link", name="Ouvrir un ticket").click()
    page.wait_for_url("**/staff/support/tickets/new")
    before = tickets(staff)
    # Bad input first: nothing is written, each mistake is said.
    page.get_by_label("Équipement").fill("NO-SUCH-9")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Ouvrir le ticket").click()
    assert navigation.value.status == 422  # fields refused, as the API answers them
    assert page.get_by_role("alert").inner_text().startswith("Le ticket n'a pas été ouvert")
    assert page.locator("#code-error").inner_text() == (
        "Aucun équipement n'a ce n° de série, cette adresse MAC ou cette étiquette : NO-SUCH-9.")
    assert page.locator("#description-error").inner_text() == "Description : obligatoire"
    page.get_by_label("Équipement").fill("WH-1")  # in stock
    page.get_by_label("Description").fill("Plus de tonalité")
    submit(page, "Ouvrir le ticket")
    assert page.locator("#code-error").inner_text().startswith("Impossible de noter une panne sur WH-1 : il est en stock.")
    screenshot(page, "support-ticket-new-refused")
    assert tickets(staff) == before
    assert staff.api("GET", f"/api/v1/equipment/{staff.items['WH-1']}")["state"] == "in_stock"

    page.get_by_label("Équipement").fill("EQ:WH-6")  # by its label
    page.get_by_label("Service en panne").select_option("equipment")
    page.get_by_label("Canal").select_option("phone")
    sent = {name: page.locator(f"#main form [name={name}]").input_value()
            for name in ("_xsrf", "form_key", "code", "service", "channel", "notified_at", "description")}
    submit(page, "Ouvrir le ticket")
    assert re.search(r"/staff/support/tickets/[0-9a-f]{24}\?done=opened$", page.url)
    # The same form sent again (a double click, a reload): the same ticket, not a second one.
    again = page.request.post("/staff/support/tickets/new", form=sent, max_redirects=0)
    assert again.status == 302 and again.headers["location"] == "/staff" + page.url.split("/staff", 1)[1]
    assert tickets(staff) == before + 1
    number = re.fullmatch(r"Ticket (INC-\d{4}-\d{6}) ouvert\.", page.get_by_role("status").inner_text()).group(1)
    assert page.get_by_role("heading", level=1).inner_text() == f"Ticket {number}"
    ticket = staff.api("GET", f"/api/v1/tickets/{page.url.split('/')[-1].split('?')[0]}")
    assert ticket["number"] == number and ticket["equipment_replacement"]["replacement"] == "due"
    assert page.locator("#restoration-deadline .due").inner_text() == shown(ticket["restoration_due_at"])
    assert page.locator("#replacement-deadline .due").inner_text() == shown(
        ticket["equipment_replacement"]["replacement_due_at"])
    assert page.locator("#restoration-deadline .urgency").get_attribute("data-level") == "fine"
    assert page.locator("#replacement-deadline .left").inner_text().startswith(("reste 2 j 23 h", "reste 3 j 0 h"))
    assert staff.api("GET", f"/api/v1/equipment/{staff.items['WH-6']}")["state"] == "failed"
    screenshot(page, "support-ticket-opened")


def test_the_list_colours_and_says_a_breached_and_a_fresh_ticket(page, staff) -> None:
    staff.api("POST", "/api/v1/tickets", {"customer": staff.items["acme"], "site": staff.items["site"],
                                          "equipment": staff.items["WH-5"], "service": "equipment", "channel": "email",
                                          "notified_at": ago(hours=80), "description": "no tone"})
    fresh = staff.api("POST", "/api/v1/tickets", {"customer": staff.items["acme"], "site": staff.items["site"],
                                                  "equipment": staff.items["WH-7"], "service": "equipment",
                                                  "channel": "web", "notified_at": ago(minutes=1),
                                                  "description": "screen dark"})
    sign_in(page, "sophie")
    page.goto("/staff/support/tickets")
    rows = page.locator("#tickets-table tbody tr")
    breached = rows.first  # the nearest target first: the one 80 hours late
    assert "WH-5" in breached.inner_text()
    for cell in ("restoration", "replacement"):
        urgency = breached.locator(f".{cell} .urgency")
        assert urgency.get_attribute("data-level") == "breached"
        assert urgency.locator("strong").inner_text() == "Dépassé"
        assert "en retard de" in urgency.inner_text()
        assert urgency.evaluate("e => getComputedStyle(e).borderLeftColor") == BAD
    young = page.locator(f"#tickets-table tbody tr[data-number='{fresh['number']}']")
    for cell in ("restoration", "replacement"):
        urgency = young.locator(f".{cell} .urgency")
        assert urgency.get_attribute("data-level") == "fine"
        assert urgency.locator("strong").inner_text() == "Dans les temps"
        assert "reste " in urgency.inner_text()
        assert urgency.evaluate("e => getComputedStyle(e).borderLeftColor") == OK
    screenshot(page, "support-tickets")
    page.get_by_label("En risque ou dépassés seulement").check()
    submit(page, "Filtrer")
    numbers = page.locator("#tickets-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.number)")
    assert fresh["number"] not in numbers and len(numbers) >= 1
    assert all(level in ("breached", "under_hour") for level in page.locator(
        "#tickets-table tbody .restoration .urgency").evaluate_all("cells => cells.map(c => c.dataset.level)"))
    page.goto("/staff/support/tickets?customer=NOPE-1")
    assert page.get_by_role("alert").inner_text().startswith("Aucun client n'a la référence NOPE-1")
    page.goto("/staff/support/tickets?customer=ACME-01&state=open")
    assert page.locator("#tickets-table tbody tr").count() >= 2


def test_a_transition_runs_and_a_stale_one_is_refused_readably(page, staff) -> None:
    ticket = staff.api("POST", "/api/v1/tickets", {"customer": staff.items["acme"], "site": staff.items["site"],
                                                   "service": "internet", "channel": "phone",
                                                   "notified_at": ago(minutes=5), "description": "no internet"})
    sign_in(page, "sophie")
    page.goto(f"/staff/support/tickets/{ticket['id']}")
    submit(page, "Prendre en charge")
    assert page.get_by_role("status").inner_text() == "Fait : Prendre en charge."
    assert page.locator("#ticket-state").inner_text() == "en cours"
    assert staff.api("GET", f"/api/v1/tickets/{ticket['id']}")["state"] == "in_progress"
    page.get_by_label("Question posée au client").fill("Le modem est-il allumé ?")
    # Meanwhile the ticket is restored through the API: the page's form is now stale.
    staff.api("POST", f"/api/v1/tickets/{ticket['id']}/transitions/restore", {"confirmation": "customer called"})
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Questionner le client").click()
    assert navigation.value.status == 409
    refusal = page.get_by_role("alert").inner_text()
    # The rules' reason said in French, not their English sentence (which the API still answers).
    assert refusal == (
        f"Refusé : le ticket n'est plus dans l'état attendu (le ticket {ticket['number']} n'a pas été modifié : "
        "il a changé entre-temps, version 3 au lieu de 2 ; il est maintenant rétabli). "
        "Actions possibles maintenant : Rouvrir, Clore, Noter un événement excusable.")
    assert ENGLISH.findall(refusal) == []
    assert staff.api("GET", f"/api/v1/tickets/{ticket['id']}")["state"] == "restored"
    screenshot(page, "support-ticket-refused")
    assert [cell for cell in page.locator("#history-table tbody td:nth-child(2)").all_inner_texts()][-2:] == [
        "transition:take_charge → en cours", "transition:restore → rétabli"]

    # A form without its XSRF token is refused, and nothing moves.
    page.locator("form[action$='/transitions/close'] input[name=_xsrf]").evaluate("field => field.remove()")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Clore").click()
    assert navigation.value.status == 403
    assert "jeton de sécurité (XSRF)" in page.get_by_role("alert").inner_text()
    assert staff.api("GET", f"/api/v1/tickets/{ticket['id']}")["state"] == "restored"


def test_a_technician_may_restore_only(page, staff) -> None:
    ticket = staff.api("POST", "/api/v1/tickets", {"customer": staff.items["acme"], "site": staff.items["site"],
                                                   "service": "telephony", "channel": "phone",
                                                   "notified_at": ago(minutes=5), "description": "no calls"})
    sign_in(page, "tom")
    page.goto(f"/staff/support/tickets/{ticket['id']}")
    assert page.locator("form.move-form button").all_inner_texts() == ["Confirmer le rétablissement"]
    # A restoration in the future: refused by the table (422, as the API answers it), nothing written.
    page.get_by_label("Qui a confirmé le rétablissement, et comment").fill("the customer, by phone")
    tomorrow = dt.datetime.now(PARIS) + dt.timedelta(days=1)
    page.get_by_label("Rétabli le (par défaut : maintenant)").fill(tomorrow.strftime("%Y-%m-%dT%H:%M"))
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Confirmer le rétablissement").click()
    assert navigation.value.status == 422
    assert page.locator("#ticket-refusal p").inner_text() == (
        "Refusé : des champs ne conviennent pas (« Rétabli le » ne peut pas être dans le futur).")
    assert page.locator("#ticket-refusal li").inner_text() == (
        "Rétabli le (par défaut : maintenant) : ne peut pas être dans le futur")
    assert ENGLISH.findall(page.get_by_role("alert").inner_text()) == []
    assert page.locator("#restore-restored_at-error").inner_text() == "ne peut pas être dans le futur"
    assert staff.api("GET", f"/api/v1/tickets/{ticket['id']}")["state"] == "open"
    assert page.goto("/staff/support/tickets/new").status == 403
    assert page.goto("/staff/support/credits").status == 403


def test_credits_due_for_a_month_with_a_known_credit(page, staff) -> None:
    staff.api("POST", "/api/v1/contracts", {"customer": staff.items["acme"], "reference": "CT-ACME-1",
                                            "state": "active", "order_date": "2025-01-02", "go_live_date": "2025-02-01",
                                            "monthly_service_fee_cents": 10000})
    # Tuesday 6 October 2026, 10:00 to 16:00 in Paris: 6 business hours, the 5 % band of a 100 € rent.
    ticket = staff.api("POST", "/api/v1/tickets", {"customer": staff.items["acme"], "site": staff.items["site"],
                                                   "service": "telephony", "channel": "phone",
                                                   "notified_at": "2026-10-06T08:00:00Z", "description": "no calls"})
    staff.api("POST", f"/api/v1/tickets/{ticket['id']}/transitions/restore",
              {"confirmation": "calls work", "restored_at": "2026-10-06T14:00:00Z"})
    api = staff.api("GET", "/api/v1/reports/credits-due?month=2026-10")["items"]
    assert [(row["customer_name"], row["due_cents"]) for row in api] == [("Acme", 500)]
    sign_in(page, "sophie")
    page.goto("/staff/support/credits?month=2026-10")
    assert page.get_by_label("Mois").input_value() == "2026-10"
    acme = page.locator("#credits-table tbody[data-customer='Acme']")
    assert acme.locator(".customer-total .due").inner_text() == "5,00 €"
    assert page.get_by_text("Total dû pour 2026-10 : 5,00 €.").is_visible()
    assert acme.locator(".credit-ticket").count() == 0  # the detail is one customer's at a time
    acme.get_by_role("link", name="Acme : voir le détail des tickets").click()
    page.wait_for_url("**customer=*")
    acme = page.locator("#credits-table tbody[data-customer='Acme']")
    detail = acme.locator(f".credit-ticket[data-number='{ticket['number']}']")
    assert "6.0 h de rétablissement, taux 5 %, loyer 100,00 €" in detail.inner_text()
    screenshot(page, "support-credits")
    csv = page.request.get("/staff/support/credits.csv?month=2026-10")
    assert csv.status == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text().splitlines()
    assert lines[0] == "customer,customer_name,month,tickets,credit_cents,capped_off_cents,due_cents"
    assert lines[1].endswith(",Acme,2026-10,1,500,0,500")
    assert page.goto("/staff/support/credits?month=2026-13").status == 400
    assert page.get_by_role("alert").inner_text().startswith("Ce mois n'est pas valide")


def test_an_outdated_device_is_re_synced_from_the_page(page, staff) -> None:
    sign_in(page, "sophie")
    page.get_by_role("link", name="Configurations en retard").first.click()
    page.wait_for_url("**/staff/support/devices/outdated")
    listed = staff.api("GET", "/api/v1/provisioning/outdated")["items"]
    macs = page.locator("#outdated-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.mac)")
    assert sorted(macs) == sorted(entry["mac"] for entry in listed) and "805ec1000003" in macs
    screenshot(page, "support-outdated")
    with page.expect_navigation():
        page.get_by_role("button", name="Resynchroniser 805ec1000003").click()
    assert page.get_by_role("status").inner_text() == "1 demande(s) de resynchronisation en file."
    recent = page.locator("#requests-table tbody tr[data-target='805ec1000003']")
    assert recent.count() == 1 and "sophie" in recent.inner_text()
    screenshot(page, "support-outdated-queued")
    # A device no longer in the inventory, and a value that is no MAC address: each refusal said in French.
    token = page.locator("#main form input[name=_xsrf]").first.input_value()
    for mac, said in (("805ec0ffffff", "aucun équipement n'a l'adresse MAC 805ec0ffffff"),
                      ("not-a-mac", "not-a-mac n'est pas une adresse MAC valide")):
        answer = page.request.post("/staff/support/devices/outdated", form={"_xsrf": token, "mac": mac})
        assert answer.status == 409 and f"<li>{said}</li>" in html.unescape(answer.text())


def test_a_quarantined_device_is_claimed_into_stock(page, staff) -> None:
    request = urllib.request.Request(f"{staff.server.base}/{UNKNOWN_MAC}.cfg",
                                     headers={"User-Agent": "Yealink SIP-T46U 108.86.0.75 80:5e:c0:ab:cd:ef"})
    try:
        urllib.request.urlopen(request, timeout=5)
    except urllib.error.HTTPError as refused:
        assert refused.code == 404  # an unknown device gets nothing, and is noted in quarantine
    sign_in(page, "sophie")  # support reads the quarantine, may not claim
    page.goto("/staff/support/quarantine")
    row = page.locator(f"#quarantine-table tbody tr[data-mac='{UNKNOWN_MAC}']")
    assert "yealink" in row.inner_text() and "T46U" in row.inner_text() and "127.0.0.1" in row.inner_text()
    assert row.locator("form").count() == 0
    page.context.clear_cookies()
    sign_in(page, "walter")
    page.goto("/staff/support/quarantine")
    row = page.locator(f"#quarantine-table tbody tr[data-mac='{UNKNOWN_MAC}']")
    row.get_by_label("N° de série").fill("WH-1")  # already held
    with page.expect_navigation() as navigation:
        row.get_by_role("button", name="Prendre en stock").click()
    assert navigation.value.status == 422
    assert page.get_by_role("alert").inner_text() == (
        "Prise en stock refusée : un autre équipement a déjà cette valeur de N° de série (WH-1).")
    assert staff.api("GET", "/api/v1/quarantine")["total"] == 1
    screenshot(page, "support-quarantine-refused")
    # A model the catalogue does not know: the record's own refusal, said in French.
    row = page.locator(f"#quarantine-table tbody tr[data-mac='{UNKNOWN_MAC}']")
    row.get_by_label("N° de série").fill("Q-1")
    row.get_by_label("Modèle").fill("T99")
    with page.expect_navigation() as navigation:
        row.get_by_role("button", name="Prendre en stock").click()
    assert navigation.value.status == 422
    assert page.get_by_role("alert").inner_text() == (
        "Prise en stock refusée : Modèle : modèle inconnu chez yealink ; modèles possibles : T43U, T46U, T48U, "
        "T53W, T54W, T57W.")
    assert staff.api("GET", "/api/v1/quarantine")["total"] == 1
    row = page.locator(f"#quarantine-table tbody tr[data-mac='{UNKNOWN_MAC}']")
    row.get_by_label("Modèle").fill("T46U")
    row.get_by_label("N° de série").fill("Q-1")
    with page.expect_navigation():
        row.get_by_role("button", name="Prendre en stock").click()
    assert page.get_by_role("status").inner_text() == "Q-1 est pris en stock."
    assert staff.api("GET", "/api/v1/quarantine")["total"] == 0
    claimed = staff.api("GET", f"/api/v1/equipment?mac={UNKNOWN_MAC}")["items"]
    assert [(item["serial"], item["state"], item["model"]) for item in claimed] == [("Q-1", "in_stock", "T46U")]
    screenshot(page, "support-quarantine-claimed")


def test_the_preview_masks_secrets_for_support_and_shows_them_to_admin(page, staff) -> None:
    item = staff.items["WH-3"]
    clear = staff.api("GET", f"/api/v1/equipment/{item}/configuration")
    assert clear["masked"] is False
    sign_in(page, "sophie")
    page.goto(f"/staff/support/devices/{item}/configuration")
    masked = page.locator("#config-content").text_content()
    assert "********" in masked and masked != clear["content"]
    assert page.locator("#preview-secrets").inner_text().startswith("Les secrets (mots de passe, clés) sont masqués")
    screenshot(page, "support-preview-masked")
    page.context.clear_cookies()
    sign_in(page, "adele")
    page.goto(f"/staff/support/devices/{item}/configuration")
    assert page.locator("#config-content").text_content() == clear["content"]
    assert "********" not in page.locator("#config-content").inner_text()
    screenshot(page, "support-preview-admin")


def test_a_warehouse_user_gets_the_403_page_on_tickets(page, staff) -> None:
    sign_in(page, "walter")
    assert page.goto("/staff/support/tickets").status == 403
    assert page.get_by_role("alert").inner_text() == (
        "Vous n'avez pas accès à cette page. Elle est réservée aux rôles : support, technicien, administration.")
    screenshot(page, "support-tickets-forbidden")
    assert page.goto("/staff/support/devices/outdated").status == 403


def test_the_pages_fit_a_phone(page, staff) -> None:
    sign_in(page, "sophie")
    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in (("/staff/support/tickets", "support-tickets-phone"),
                       ("/staff/support/credits?month=2026-10", "support-credits-phone")):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, name)
