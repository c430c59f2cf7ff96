"""Signing in, out and changing a one-time password through the staff pages, in Chromium."""

from __future__ import annotations

import re

from staff_browser import PASSWORD, screenshot, sign_in


def test_a_wrong_password_is_refused_with_a_message_then_the_right_one_signs_in(page, staff) -> None:
    staff.user("wanda", "warehouse")
    answer = sign_in(page, "wanda", "not the password at all")
    assert answer.status == 401
    assert page.get_by_role("alert").inner_text() == "Nom d'utilisateur ou mot de passe incorrect."
    assert page.get_by_label("Nom d'utilisateur").input_value() == "wanda"
    screenshot(page, "login-refused")
    assert sign_in(page, "wanda").status == 200
    assert page.url.endswith("/staff/")
    assert page.get_by_role("heading", level=1).inner_text() == "Accueil"
    session = next(c for c in page.context.cookies() if c["name"] == "session")
    assert session["httpOnly"] is True and session["sameSite"] == "Strict"
    screenshot(page, "home-warehouse")
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(r"/staff/login"))
    assert page.get_by_role("status").inner_text() == "Vous êtes déconnecté."
    assert not any(c["name"] == "session" for c in page.context.cookies())
    page.goto("/staff/warehouse")
    assert page.url.endswith("/staff/login")


def test_the_sign_in_form_works_from_the_keyboard_alone(page, staff) -> None:
    staff.user("kim", "support")
    page.goto("/staff/login")
    assert page.evaluate("document.activeElement.id") == "username"  # the form is ready to type into
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    assert page.locator(".skip").bounding_box()["x"] >= 0  # shown once focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "username"
    page.keyboard.type("kim")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", level=1).inner_text() == "Accueil"


def test_a_one_time_password_leads_to_the_password_page_first(page, staff) -> None:
    staff.user("olga", "warehouse", one_time=True)
    sign_in(page, "olga")
    assert page.url.endswith("/staff/password")
    assert "usage unique" in page.locator(".warning").inner_text()
    screenshot(page, "password-one-time")
    page.goto("/staff/warehouse")
    assert page.url.endswith("/staff/password")  # nothing else opens before the password is changed
    page.get_by_label("Mot de passe actuel").fill(PASSWORD)
    page.get_by_label("Nouveau mot de passe", exact=True).fill("short")
    page.get_by_label("Confirmez le nouveau mot de passe").fill("short")
    page.get_by_role("button", name="Changer le mot de passe").click()
    assert "il est trop court, il faut au moins 12 caractères" in page.locator("#new_password-error").inner_text()
    screenshot(page, "password-refused")
    new = "a much better password 77"
    page.get_by_label("Mot de passe actuel").fill(PASSWORD)
    page.get_by_label("Nouveau mot de passe", exact=True).fill(new)
    page.get_by_label("Confirmez le nouveau mot de passe").fill(new)
    page.get_by_role("button", name="Changer le mot de passe").click()
    page.wait_for_url(re.compile(r"/staff/\?notice=password"))
    assert page.get_by_role("status").inner_text() == "Votre mot de passe a été changé."
    page.goto("/staff/warehouse")
    assert page.url.endswith("/staff/warehouse")
    status, _, me = staff.server.request("GET", "/api/v1/users?username=olga", token=staff.token)
    assert status == 200 and me["items"][0]["must_change_password"] is False
