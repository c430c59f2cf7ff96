"""What each role may open, the 403 page, XSRF refusals and the language of the pages, in Chromium."""

from __future__ import annotations

import re

from staff_browser import screenshot, sign_in


def test_a_technician_sees_only_their_pages_and_gets_the_403_page_on_admin_ones(page, staff) -> None:
    staff.user("theo", "technician")
    sign_in(page, "theo")
    navigation = page.get_by_role("navigation", name="Navigation principale")
    assert navigation.get_by_role("link").all_inner_texts() == [
        "Accueil", "Rendez-vous", "Agenda (iCalendar)", "Tickets de panne", "Jetons d'API", "Langue", "Mot de passe"]
    assert navigation.locator(".group-name").all_text_contents() == ["Interventions", "Support", "Mon compte"]
    assert page.get_by_role("heading", level=2).all_inner_texts() == ["Interventions", "Support", "Mon compte"]
    answer = page.goto("/staff/admin/users")
    assert answer.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "Erreur 403"
    assert page.get_by_role("alert").inner_text() == (
        "Vous n'avez pas accès à cette page. Elle est réservée aux rôles : administration.")
    screenshot(page, "forbidden-admin-users")
    assert page.goto("/staff/warehouse").status == 403
    assert page.goto("/staff/no-such-page").status == 404  # a page of ours, not the device-file 404
    assert page.get_by_role("heading", level=1).inner_text() == "Erreur 404"


def test_admin_sees_the_staff_users_list(page, staff) -> None:
    staff.user("ada", "admin")
    sign_in(page, "ada")
    page.get_by_role("link", name="Utilisateurs").first.click()
    page.wait_for_url(re.compile(r"/staff/admin/users$"))
    names = page.locator("#users-table tbody th").all_inner_texts()
    assert "admin" in names and "ada" in names and names == sorted(names)
    row = page.locator("#users-table tbody tr", has_text="ada").first
    assert row.locator("td").nth(1).inner_text() == "administration"
    screenshot(page, "admin-users")
    assert page.goto("/staff/admin/users?page=0").status == 400


def test_a_form_posted_without_its_xsrf_token_is_refused(page, staff) -> None:
    staff.user("xavier", "support")
    sign_in(page, "xavier")
    page.goto("/staff/preferences")
    page.locator("form.form input[name=_xsrf]").evaluate("field => field.remove()")
    page.get_by_label("Langue").select_option("en")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Enregistrer").click()
    assert navigation.value.status == 403
    assert "jeton de sécurité (XSRF)" in page.get_by_role("alert").inner_text()
    screenshot(page, "xsrf-refused")
    page.goto("/staff/")
    assert page.locator("html").get_attribute("lang") == "fr"  # nothing was saved


def test_pages_are_in_french_by_default_and_in_english_once_chosen(page, staff) -> None:
    staff.user("erin", "warehouse")
    sign_in(page, "erin")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_role("link", name="Langue").first.click()
    screenshot(page, "preferences-fr")
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile(r"notice=language"))
    assert page.get_by_role("status").inner_text() == "Language saved."
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto("/staff/warehouse")
    assert page.get_by_role("heading", level=1).inner_text() == "Warehouse dashboard"
    assert page.locator("#states-table tr[data-state=in_stock] th").inner_text() == "in stock"
    screenshot(page, "warehouse-en")
    status, _, users = staff.server.request("GET", "/api/v1/users?username=erin", token=staff.token)
    assert users["items"][0]["language"] == "en"
