"""The admin pages and the API tokens page in Chromium: accounts created with a one-time password shown once,
roles that change what a user sees, tokens shown once and revoked, template overrides refused at the line of
their error before anything is saved, and the refusals (wrong role, missing XSRF token)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from staff_browser import Staff, screenshot, sign_in, staff_server

from provisioner.api.authentication import TTL_SECONDS

NAV = "Navigation principale"


@pytest.fixture(scope="module")
def staff(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Staff]:
    """A server of its own: accounts, tokens and overrides are created and changed here."""
    with staff_server(tmp_path_factory.mktemp("admin-pages")) as staff:
        yield staff


@pytest.fixture
def second(chromium, staff: Staff) -> Iterator:
    """Another browser (its own cookies): another member of staff signed in at the same time."""
    context = chromium.new_context(base_url=staff.server.base, viewport={"width": 1024, "height": 768})
    yield context.new_page()
    context.close()


def nav_links(page) -> list[str]:
    return page.get_by_role("navigation", name=NAV).get_by_role("link").all_inner_texts()


def submit(page, button: str):
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=button).click()
    return navigation.value


def within_cache_life(check) -> bool:  # type: ignore[no-untyped-def]
    """Whether `check()` holds within the life of another worker's credential cache (5 s; the one that wrote
    dropped its cache at once)."""
    deadline = time.monotonic() + TTL_SECONDS + 2
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def user_id(staff: Staff, username: str) -> str:
    return staff.api("GET", f"/api/v1/users?username={username}")["items"][0]["id"]


def test_a_new_account_gets_a_one_time_password_shown_once_and_changed_at_first_sign_in(page, second, staff) -> None:
    staff.user("adele", "admin")
    sign_in(page, "adele")
    page.get_by_role("navigation", name=NAV).get_by_role("link", name="Utilisateurs").click()
    page.get_by_role("link", name="Nouvel utilisateur").click()
    page.wait_for_url("**/staff/admin/users/new")
    page.get_by_label("Identifiant").fill("nina")
    page.get_by_label("Nom affiché").fill("Nina Support")
    page.get_by_role("checkbox", name="support").check()
    page.get_by_label("Le saisir moi-même").check()
    page.get_by_label("Mot de passe saisi").fill("short")
    assert submit(page, "Créer l'utilisateur").status == 422
    assert page.locator("#password-error").inner_text() == (
        "Mot de passe saisi : il est trop court, il faut au moins 12 caractères")
    assert page.get_by_label("Identifiant").input_value() == "nina"  # the entries are kept, the password is not
    assert page.get_by_label("Mot de passe saisi").input_value() == ""
    screenshot(page, "admin-user-new-refused")
    assert staff.api("GET", "/api/v1/users?username=nina")["total"] == 0

    page.get_by_label("En générer un (affiché une seule fois)").check()
    assert submit(page, "Créer l'utilisateur").status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "Compte nina créé."
    password = page.get_by_label("Mot de passe à usage unique de nina").input_value()
    assert len(password) == 20
    screenshot(page, "admin-user-created")
    page.get_by_role("link", name="Ouvrir le compte de nina").click()
    assert password not in page.content()
    assert page.locator("#stored [data-field=roles]").inner_text() == "support"
    page.goto("/staff/admin/users")
    assert password not in page.content()
    assert page.locator("#users-table tbody tr", has_text="nina").locator("td").nth(4).inner_text() == "oui"

    assert sign_in(second, "nina", password).url.endswith("/staff/password")
    assert "usage unique" in second.locator(".warning").inner_text()
    assert second.goto("/staff/tokens").url.endswith("/staff/password")  # sent back until it is changed

    page.goto("/staff/admin/users/new")
    page.get_by_label("Identifiant").fill("nina")
    page.get_by_role("checkbox", name="technicien").check()
    assert submit(page, "Créer l'utilisateur").status == 422
    assert page.locator("#username-error").inner_text() == "Cet identifiant est déjà pris."


def test_changed_roles_change_that_users_navigation_and_a_concurrent_edit_is_not_lost(page, second, chromium, staff):
    staff.user("anne", "admin")
    staff.user("sam", "support")
    sign_in(second, "sam")
    assert "Tableau de bord de l'entrepôt" not in nav_links(second)
    assert "Jetons d'API" in nav_links(second)
    sign_in(page, "anne")
    page.goto(f"/staff/admin/users/{user_id(staff, 'sam')}")
    screenshot(page, "admin-user-edit")
    other = chromium.new_context(base_url=staff.server.base, viewport={"width": 390, "height": 844}).new_page()
    sign_in(other, "anne")
    other.goto(page.url)  # a second admin window on the same version

    page.get_by_role("checkbox", name="entrepôt").check()
    page.get_by_label("Nom affiché").fill("Sam Warehouse")
    submit(page, "Enregistrer")
    assert page.get_by_role("status").inner_text() == "Modifications enregistrées."
    assert page.locator("#stored [data-field=roles]").inner_text() == "support, entrepôt"
    assert within_cache_life(lambda: "Tableau de bord de l'entrepôt" in nav_links(second.reload() and second))
    assert second.goto("/staff/warehouse").status == 200

    other.get_by_label("Langue", exact=True).select_option("en")
    assert submit(other, "Enregistrer").status == 409
    assert other.get_by_role("alert").inner_text().startswith("Quelqu'un d'autre a modifié ce compte")
    assert other.locator("#stored [data-field=display_name]").inner_text() == "Sam Warehouse"  # what is stored now
    assert other.get_by_label("Langue", exact=True).input_value() == "en"  # what the second admin chose, kept
    assert not other.get_by_role("checkbox", name="entrepôt").is_checked()
    screenshot(other, "admin-user-conflict-phone")
    other.get_by_role("checkbox", name="entrepôt").check()
    other.get_by_label("Nom affiché").fill("Sam Warehouse")
    submit(other, "Enregistrer")
    assert other.locator("#stored [data-field=language]").inner_text() == "English"
    other.context.close()

    submit(page, "Désactiver le compte")  # a stale version: the other admin saved meanwhile
    assert page.get_by_role("alert").inner_text().startswith("Quelqu'un d'autre a modifié ce compte entre-temps")
    submit(page, "Désactiver le compte")
    assert page.get_by_role("status").inner_text() == "Compte désactivé."
    assert within_cache_life(lambda: second.goto("/staff/").url.endswith("/staff/login"))  # their session ended
    submit(page, "Réactiver le compte")
    assert page.locator("#stored [data-field=active]").inner_text() == "oui"

    second.context.clear_cookies()  # (reactivating revives the old session cookie too: the epoch is unchanged)
    sign_in(second, "sam")
    assert second.url.endswith("/staff/")
    submit(page, "Réinitialiser le mot de passe")
    password = page.get_by_label("Mot de passe à usage unique de sam").input_value()
    assert page.get_by_role("heading", level=1).inner_text() == "Mot de passe de sam réinitialisé."
    assert within_cache_life(lambda: second.goto("/staff/").url.endswith("/staff/login"))  # their sessions ended
    assert sign_in(second, "sam", password).url.endswith("/staff/password")


def test_a_token_is_shown_once_listed_without_its_secret_and_revoked(page, staff) -> None:
    staff.user("tess", "technician")
    sign_in(page, "tess")
    page.get_by_role("navigation", name=NAV).get_by_role("link", name="Jetons d'API").click()
    page.wait_for_url("**/staff/tokens")
    page.get_by_label("Nom", exact=True).fill("   ")
    assert submit(page, "Créer le jeton").status == 422
    assert page.locator("#name-error").inner_text() == "Donnez un nom au jeton, de 1 à 80 caractères."
    page.get_by_label("Nom", exact=True).fill("supervision")
    page.get_by_label("Expire dans (jours)").evaluate("field => field.removeAttribute('max')")
    page.get_by_label("Expire dans (jours)").fill("5000")
    assert submit(page, "Créer le jeton").status == 422
    assert page.locator("#days-error").inner_text() == (
        "L'expiration doit être un nombre entier de jours, de 1 à 3650.")
    page.get_by_label("Expire dans (jours)").fill("30")
    submit(page, "Créer le jeton")
    secret = page.get_by_label("Jeton (à copier maintenant)").input_value()
    assert secret.startswith("pvt_")
    screenshot(page, "tokens-created")
    assert staff.server.request("GET", "/api/v1/me", token=secret)[0] == 200

    page.goto("/staff/tokens")
    assert secret not in page.content()
    row = page.locator("#tokens-table tbody tr", has_text="supervision")
    assert row.get_attribute("data-state") == "active"
    assert row.locator("td").nth(2).inner_text() != "jamais"  # its last use: the call above
    screenshot(page, "tokens")
    submit(page, "Révoquer le jeton supervision")
    assert page.get_by_role("status").inner_text() == "Jeton révoqué : il ne fonctionne plus."
    assert page.locator("#tokens-table tbody tr", has_text="supervision").get_attribute("data-state") == "revoked"
    assert secret not in page.content()
    assert within_cache_life(lambda: staff.server.request("GET", "/api/v1/me", token=secret)[0] == 401)


def test_admin_sees_everyones_tokens(page, staff) -> None:
    staff.user("alix", "admin")
    sign_in(page, "alix")
    page.goto("/staff/tokens")
    owners = page.locator("#tokens-table tbody tr td:nth-child(2)").all_inner_texts()
    assert "admin" in owners  # the test server's own token, issued to admin


UNDEFINED = "#!version:1.0.0.1\naccount.1.enable = 1\n{{ no_such_setting }}\naccount.1.label = x\n"
SYNTAX = "#!version:1.0.0.1\naccount.1.enable = 1\n{{ device.mac + }}\naccount.1.label = x\n"
FIXED = "#!version:1.0.0.1\naccount.1.enable = 1\nstatic.network.mac = {{ device.mac }}\naccount.1.label = x\n"


def test_an_override_is_refused_at_the_line_of_its_error_then_saved_once_fixed(page, staff) -> None:
    staff.user("oscar", "admin")
    sign_in(page, "oscar")
    page.get_by_role("navigation", name=NAV).get_by_role("link", name="Modèles de configuration").click()
    page.wait_for_url(re.compile(r"/staff/admin/templates$"))
    assert page.locator("#overrides-summary").inner_text() == "Page 1 sur 1 (0 remplacements)"
    page.get_by_role("link", name="Nouveau remplacement").click()
    page.get_by_label("Référence du client").fill("acme-01")
    page.get_by_label("Modèle", exact=True).fill("device.cfg.j2")
    for source, reason in ((UNDEFINED, "'no_such_setting' is undefined"), (SYNTAX, "unexpected")):
        page.get_by_label("Source du modèle (Jinja2)").fill(source)
        assert submit(page, "Vérifier et enregistrer").status == 422
        alert = page.locator("#source-error").inner_text()
        assert alert.startswith(
            f"Refusé, rien n'a été enregistré : ce modèle ne se génère pas. Ligne 3 : {reason}")
        error_line = page.locator("#error-line")
        assert error_line.get_attribute("value") == "3"
        assert error_line.inner_text().startswith(source.splitlines()[2])
        assert "ligne en erreur" in error_line.inner_text()
        assert page.locator(".excerpt li").count() == 4  # lines 1 to 4: three around, within the text
        assert page.get_by_label("Source du modèle (Jinja2)").input_value() == source  # the text is kept
        assert staff.api("GET", "/api/v1/template-overrides")["total"] == 0
    screenshot(page, "admin-template-error")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "admin-template-error-phone")
    page.set_viewport_size({"width": 1024, "height": 768})

    page.get_by_label("Source du modèle (Jinja2)").fill(FIXED)
    page.get_by_label("Commentaire").fill("MAC shown on the phone")
    submit(page, "Vérifier et enregistrer")
    assert page.get_by_role("status").inner_text() == "Remplacement enregistré : yealink/device.cfg.j2."
    row = page.locator("#overrides-table tbody tr[data-template='yealink/device.cfg.j2']")
    assert row.locator("td").nth(1).inner_text() == "Acme (ACME-01)"
    assert row.locator("td").nth(2).inner_text() == "MAC shown on the phone"
    screenshot(page, "admin-templates")
    stored = staff.api("GET", "/api/v1/template-overrides")["items"]
    assert [item["source"] for item in stored] == [FIXED]

    row.get_by_role("link").click()
    page.get_by_label("Source du modèle (Jinja2)").fill(UNDEFINED)
    assert submit(page, "Vérifier et enregistrer").status == 422
    assert page.locator("#error-line").get_attribute("value") == "3"
    assert staff.api("GET", "/api/v1/template-overrides")["items"][0]["source"] == FIXED
    screenshot(page, "admin-template-edit-error")
    page.get_by_role("link", name="Supprimer").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Supprimer le remplacement de yealink/device.cfg.j2 ?"
    screenshot(page, "admin-template-delete")
    submit(page, "Oui, supprimer")
    assert page.get_by_role("status").inner_text() == "Remplacement supprimé : yealink/device.cfg.j2."
    assert staff.api("GET", "/api/v1/template-overrides")["total"] == 0


def test_a_site_override_needs_a_site_of_that_customer(page, staff) -> None:
    staff.user("olga", "admin")
    sign_in(page, "olga")
    page.goto("/staff/admin/templates/new")
    page.get_by_label("site", exact=True).check()
    page.get_by_label("Référence du client").fill("ACME-01")
    page.get_by_label("Nom du site (portée site)").fill("Nowhere")
    page.get_by_label("Source du modèle (Jinja2)").fill(FIXED)
    assert submit(page, "Vérifier et enregistrer").status == 422
    assert page.locator("#site-error").inner_text() == "Le client ACME-01 n'a aucun site nommé « Nowhere »."
    page.get_by_label("Nom du site (portée site)").fill("Entrepôt de Metz")
    submit(page, "Vérifier et enregistrer")
    row = page.locator("#overrides-table tbody tr[data-template='yealink/device.cfg.j2']")
    assert row.locator("td").nth(1).inner_text() == "Entrepôt de Metz, Acme (ACME-01)"


def test_a_support_user_gets_the_403_page_on_the_admin_pages(page, staff) -> None:
    staff.user("suzy", "support")
    sign_in(page, "suzy")
    assert "Utilisateurs" not in nav_links(page) and "Modèles de configuration" not in nav_links(page)
    someone = user_id(staff, "admin")
    for path in ("/staff/admin/users/new", f"/staff/admin/users/{someone}", "/staff/admin/templates",
                 "/staff/admin/templates/new", f"/staff/admin/templates/{someone}",
                 f"/staff/admin/templates/{someone}/delete"):
        answer = page.goto(path)
        assert answer.status == 403, path
        assert page.get_by_role("alert").inner_text() == (
            "Vous n'avez pas accès à cette page. Elle est réservée aux rôles : administration.")
    screenshot(page, "admin-forbidden-support")
    assert page.goto("/staff/tokens").status == 200


def test_admin_forms_posted_without_their_xsrf_token_are_refused(page, staff) -> None:
    staff.user("xena", "admin")
    sign_in(page, "xena")
    page.goto("/staff/admin/users/new")
    page.locator("form.form input[name=_xsrf]").evaluate("field => field.remove()")
    page.get_by_label("Identifiant").fill("forged")
    page.get_by_role("checkbox", name="support").check()
    assert submit(page, "Créer l'utilisateur").status == 403
    assert "jeton de sécurité (XSRF)" in page.get_by_role("alert").inner_text()
    assert staff.api("GET", "/api/v1/users?username=forged")["total"] == 0
    page.goto("/staff/tokens")
    page.locator("form.form input[name=_xsrf]").evaluate("field => field.remove()")
    page.get_by_label("Nom", exact=True).fill("forged")
    assert submit(page, "Créer le jeton").status == 403
    screenshot(page, "admin-xsrf-refused")
    page.goto("/staff/tokens")
    assert "forged" not in page.locator("main").inner_text()
