"""The technicians' and booking pages in Chromium: booking into a taken slot names the conflict and keeps the
form, a free slot booked shows in the technician's week, the checklist completed on a phone records the go-live,
a cancellation shows its charge before it is confirmed, the calendar feed's address is shown once, and a
technician cannot open another's appointment nor the office's pages."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from staff_browser import SHIP, Staff, ago, screenshot, sign_in, staff_server

from inventory.business_calendar import is_holiday

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = {day: "08:00-18:00" for day in ("mon", "tue", "wed", "thu", "fri")}
EVERY_DAY = {day: "00:00-24:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def working_monday() -> dt.date:
    """A Monday at least a week ahead with no public holiday in Moselle that week."""
    day = dt.datetime.now(PARIS).date() + dt.timedelta(days=7)
    while day.weekday() != 0 or any(is_holiday(day + dt.timedelta(days=n), "57") for n in range(5)):
        day += dt.timedelta(days=1)
    return day


def soon() -> dt.date:
    """A day two or three days ahead, not a holiday in Moselle: well under 48 business hours away."""
    day = dt.datetime.now(PARIS).date() + dt.timedelta(days=2)
    while is_holiday(day, "57"):
        day += dt.timedelta(days=1)
    return day


def at(day: dt.date, clock: str) -> str:
    hour, minute = map(int, clock.split(":"))
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS).isoformat()


class World:
    """What the module's server holds beyond the shared fleet: two technicians, a support clerk, a customer in
    Metz with a contact, a contract without go-live date, and two delivered phones for its site."""

    def __init__(self, staff: Staff):
        self.staff = staff
        self.monday = working_monday()
        self.technicians = {name: self.technician(name, hours) for name, hours in (("tina", WEEKDAYS),
                                                                                   ("theo", EVERY_DAY))}
        staff.user("sam", "support")
        customer = staff.api("POST", "/api/v1/customers", {"reference": "KIM-01", "name": "Boulangerie Kim"})["id"]
        self.site = staff.api("POST", "/api/v1/sites", {
            "customer": customer, "name": "Boulangerie Kim Metz", "address": "12 rue Serpenoise", "postcode": "57000",
            "city": "Metz", "contact_name": "Mme Kim", "contact_phone": "03 87 00 00 01"})["id"]
        self.contract = staff.api("POST", "/api/v1/contracts", {"customer": customer, "reference": "KIM-2026-01",
                                                                "order_date": "2026-01-05"})["id"]
        self.items = []
        for number in (1, 2):
            item = staff.api("POST", "/api/v1/equipment", {"serial": f"KIM-{number}", "mac": f"805ec2{number:06x}",
                                                           "vendor": "yealink", "model": "T46U", "ownership": "lent"})
            staff.items[f"KIM-{number}"] = item["id"]
            staff.move(f"KIM-{number}", "stage", {"site": self.site})
            staff.move(f"KIM-{number}", "ship", SHIP)
            staff.move(f"KIM-{number}", "deliver", {"proof": "signed", "delivered_at": ago(hours=2)})
            self.items.append(item["id"])

    def technician(self, username: str, hours: dict[str, str]) -> str:
        user = self.staff.api("POST", "/api/v1/users", {"username": username, "roles": ["technician"],
                                                       "password": "correct horse battery 42",
                                                       "display_name": username.title()})["id"]
        return self.staff.api("POST", "/api/v1/technicians", {"user": user, "working_hours": hours, "zones": ["57"],
                                                             "travel_minutes": {"57": 30}})["id"]

    def book(self, technician: str, start: str, minutes: int = 60, **more) -> str:
        return self.staff.api("POST", "/api/v1/appointments", {
            "site": self.site, "technician": self.technicians[technician], "contract": self.contract, "start": start,
            "duration_minutes": minutes, **more})["id"]


@pytest.fixture(scope="module")
def staff(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Staff]:
    """A server of its own: the bookings here would change the other modules' figures."""
    with staff_server(tmp_path_factory.mktemp("appointment-pages")) as staff:
        staff.world = World(staff)  # type: ignore[attr-defined]
        yield staff


@pytest.fixture
def world(staff: Staff) -> World:
    return staff.world  # type: ignore[attr-defined]


@pytest.fixture
def phone(chromium, staff: Staff) -> Iterator:
    """A phone-sized browser context (390x844, touch)."""
    context = chromium.new_context(base_url=staff.server.base, viewport={"width": 390, "height": 844},
                                   has_touch=True, is_mobile=True)
    yield context.new_page()
    context.close()


def follow(page, link) -> None:
    """Click a link and wait for the page it opens."""
    with page.expect_navigation():
        link.click()


def nav_link(page, name: str):
    return page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name=name, exact=True)


def submit(page, name: str):
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=name).click()
    return navigation.value


def test_booking_a_taken_slot_names_the_conflict_and_a_free_one_shows_in_the_week(page, staff, world) -> None:
    monday = world.monday
    taken = world.book("tina", at(monday, "10:00"), notes="first visit")
    sign_in(page, "sam")
    follow(page, nav_link(page, "Prendre un rendez-vous"))
    page.get_by_label("Rechercher un site (nom ou ville)").fill("boulangerie")
    submit(page, "Rechercher")
    follow(page, page.get_by_role("link", name=re.compile("Boulangerie Kim Metz")))
    page.get_by_label("Durée sur place (minutes, 15 à 720)").fill("60")
    page.locator("#technician").select_option(label="Tina")
    page.get_by_label("À partir du").fill(monday.isoformat())
    page.get_by_label("Sur combien de jours (1 à 31)").fill("1")
    submit(page, "Voir les créneaux libres")
    slots = page.locator("input[name=slot]")
    labels = [label.inner_text().strip() for label in page.locator("label.slot").all()]
    # 10:00 with 30 minutes of travel each side: nothing from 08:30 (it would end at 10:00 with travel) to 12:00.
    assert labels[0] == "12:00–13:00 · Tina"
    assert slots.count() == len(labels) > 5
    screenshot(page, "appointments-booking-slots")

    # A time of one's own that meets the 10:00 visit: the message names it, the form is kept.
    page.get_by_label("Remarques").fill("porte de derrière")
    page.locator("#manual-technician").select_option(label="Tina")
    page.get_by_label("Date", exact=True).fill(monday.isoformat())
    page.get_by_label("Heure (Paris)").fill("10:30")
    answer = submit(page, "Réserver à cette heure")
    assert answer.status == 409
    day = monday.strftime("%d/%m/%Y")
    assert page.get_by_role("alert").inner_text() == (
        f"Conflit : Tina est déjà pris par le rendez-vous à Boulangerie Kim Metz (Metz, client Boulangerie Kim) du "
        f"{day} de 10:00 à 11:00 ; avec les trajets, ce technicien est occupé de 09:30 à 11:30. "
        "Choisissez un autre créneau.")
    assert page.get_by_label("Heure (Paris)").input_value() == "10:30"
    assert page.get_by_label("Remarques").input_value() == "porte de derrière"
    screenshot(page, "appointments-booking-conflict")
    with page.expect_navigation() as navigation:
        page.get_by_label("Heure (Paris)").press("Enter")  # Enter in the time field books that time, too
    assert navigation.value.status == 409 and page.get_by_role("alert").inner_text().startswith("Conflit : Tina")

    # A slot offered, then taken by someone else before it is booked here.
    page.locator("label.slot", has_text="12:00–13:00").locator("input").check()
    meanwhile = world.book("tina", at(monday, "12:00"))
    assert submit(page, "Réserver le créneau choisi").status == 409
    assert "du " + day + " de 12:00 à 13:00" in page.get_by_role("alert").inner_text()
    labels = [label.inner_text().strip() for label in page.locator("label.slot").all()]
    assert labels[0] == "14:00–15:00 · Tina"  # the slots are read again

    page.locator("label.slot", has_text="15:00–16:00").locator("input").check()
    page.get_by_label("KIM-1").check()
    submit(page, "Réserver le créneau choisi")
    assert page.get_by_role("status").inner_text() == "Rendez-vous réservé."
    assert page.locator("#appt-when").inner_text().startswith(f"lundi {day}, 15:00–16:00")
    assert "KIM-1" in page.locator("#appt-equipment").inner_text()
    booked = page.url.rsplit("/", 1)[1].split("?")[0]
    screenshot(page, "appointments-booked")

    # The technician's week.
    page.context.clear_cookies()
    sign_in(page, "tina")
    follow(page, nav_link(page, "Rendez-vous"))
    assert page.get_by_role("heading", level=1).inner_text() == "Rendez-vous"
    page.goto(f"/staff/appointments?view=week&date={(monday + dt.timedelta(days=2)).isoformat()}")
    summary = page.locator("#period-summary").inner_text()
    assert summary.startswith(f"Semaine du {day} au ") and summary.endswith("3 rendez-vous")
    cards = page.locator(f"section[aria-labelledby='day-{monday.isoformat()}'] .appt-cards li")
    assert [card.get_attribute("data-appointment") for card in cards.all()] == [taken, meanwhile, booked]
    assert [line for line in cards.nth(2).inner_text().splitlines() if line] == [
        "15:00–16:00 Boulangerie Kim Metz", "Client : Boulangerie Kim · Metz", "Statut : réservé · recette 0/4"]
    assert page.locator(".appt-day").count() == 7
    screenshot(page, "appointments-week")
    follow(page, page.get_by_role("link", name="Voir par jour"))
    assert page.locator(".appt-cards li").count() == 0  # Wednesday: nothing
    follow(page, page.get_by_role("link", name="Jour précédent"))
    follow(page, page.get_by_role("link", name="Jour précédent"))
    assert page.locator(".appt-cards li").count() == 3
    screenshot(page, "appointments-day")


def test_the_checklist_completed_on_a_phone_records_the_go_live(phone, staff, world) -> None:
    appointment = world.book("tina", at(world.monday + dt.timedelta(days=1), "09:00"), 120, equipment=world.items)
    sign_in(phone, "tina")
    phone.goto(f"/staff/appointments/{appointment}")
    assert phone.locator("#appt-address").inner_text().splitlines() == [
        "Boulangerie Kim Metz", "12 rue Serpenoise", "57000 Metz"]
    assert "Mme Kim" in phone.locator("#appt-contact").inner_text()
    assert phone.locator("a.appt-phone").get_attribute("href") == "tel:+33387000001"
    assert [row.locator("th").inner_text() for row in phone.locator("#appt-equipment tbody tr").all()] == ["KIM-1", "KIM-2"]
    assert phone.get_by_role("button", name="Déplacer le rendez-vous").count() == 0  # the office's
    box = phone.locator(".checklist-item").first.bounding_box()
    assert box["height"] >= 48 and box["width"] <= 390
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "appointments-checklist-phone")
    assert submit(phone, "Enregistrer la recette").status == 422
    assert phone.get_by_role("alert").inner_text() == "Cochez au moins une étape à enregistrer."
    phone.get_by_label("Configuration").tap()
    phone.get_by_label("Raccordement").tap()
    submit(phone, "Enregistrer la recette")
    assert phone.get_by_role("status").inner_text() == "Recette enregistrée."
    assert phone.get_by_label("Configuration").is_disabled() and phone.get_by_label("Configuration").is_checked()
    assert "fait par tina le" in phone.locator(".checklist-item").first.inner_text()
    phone.get_by_label("Tests").tap()
    phone.get_by_label("Réception par le client").tap()
    submit(phone, "Enregistrer la recette")
    today = dt.datetime.now(PARIS).date()
    assert phone.get_by_role("status").inner_text() == "Installation terminée : les équipements sont en service."
    assert phone.locator("#appt-status").inner_text() == "terminé"
    assert phone.locator("#appt-golive").inner_text() == (
        f"Date de mise en service enregistrée sur le contrat : {today:%d/%m/%Y}.")
    screenshot(phone, "appointments-completed-phone")
    assert staff.api("GET", f"/api/v1/contracts/{world.contract}")["go_live_date"] == today.isoformat()
    assert [staff.api("GET", f"/api/v1/equipment/{item}")["state"] for item in world.items] == ["in_service"] * 2


def test_cancelling_shows_the_late_charge_before_confirming(page, staff, world) -> None:
    appointment = world.book("theo", at(soon(), "10:00"))
    sign_in(page, "sam")
    page.goto(f"/staff/appointments/{appointment}")
    page.get_by_label("du client").check()
    page.get_by_label("Motif (facultatif)").fill("fermeture exceptionnelle")
    submit(page, "Voir les frais avant d'annuler")
    assert page.get_by_role("heading", level=1).inner_text() == "Confirmer l'annulation"
    preview = page.locator("#cancel-preview").inner_text()
    assert preview.startswith("Annulation tardive : le client sera facturé 150,00 €.")
    assert re.search(r"\n-?\d+(,\d+)? heures ouvrées avant le rendez-vous \(moins de 48", preview), preview
    assert staff.api("GET", f"/api/v1/appointments/{appointment}")["state"] == "booked"  # nothing done yet
    screenshot(page, "appointments-cancel-preview")
    submit(page, "Confirmer l'annulation")
    assert page.get_by_role("status").inner_text() == "Rendez-vous annulé."
    assert "Frais d'annulation tardive facturés : 150,00 €." in page.locator("#appt-cancellation").inner_text()
    record = staff.api("GET", f"/api/v1/appointments/{appointment}")
    assert (record["state"], record["cancellation"]["amount_cents"], record["cancellation"]["reason"]) == (
        "cancelled", 15000, "fermeture exceptionnelle")
    screenshot(page, "appointments-cancelled")


def test_rescheduling_into_a_taken_time_names_the_conflict(page, staff, world) -> None:
    wednesday = world.monday + dt.timedelta(days=2)
    first = world.book("theo", at(wednesday, "09:00"))
    second = world.book("theo", at(wednesday, "13:00"))
    sign_in(page, "sam")
    page.goto(f"/staff/appointments/{second}")
    page.get_by_label("Heure (Paris)").fill("09:30")
    assert submit(page, "Déplacer le rendez-vous").status == 409
    assert "Theo est déjà pris par le rendez-vous à Boulangerie Kim Metz" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Heure (Paris)").input_value() == "09:30"
    screenshot(page, "appointments-reschedule-conflict")
    page.get_by_label("Heure (Paris)").fill("15:00")
    submit(page, "Déplacer le rendez-vous")
    assert page.get_by_role("status").inner_text() == "Rendez-vous déplacé."
    assert staff.api("GET", f"/api/v1/appointments/{second}")["start_local"][11:16] == "15:00"
    assert staff.api("GET", f"/api/v1/appointments/{first}")["state"] == "booked"


#: Words of the rules' English that no French refusal of these pages holds.
ENGLISH = re.compile(r"\b(the|cannot|is|not|book|then|does|work|on|with|travel|outside|working|hours|technician|"
                     r"from|to)\b", re.IGNORECASE)


def test_a_refused_booking_and_change_are_said_in_french_only(page, staff, world) -> None:
    saturday, friday = world.monday + dt.timedelta(days=5), world.monday + dt.timedelta(days=4)
    sign_in(page, "sam")
    page.goto(f"/staff/appointments/new?site={world.site}&duration=60")
    page.locator("#manual-technician").select_option(label="Tina")
    page.get_by_label("Date", exact=True).fill(saturday.isoformat())
    page.get_by_label("Heure (Paris)").fill("10:00")
    assert submit(page, "Réserver à cette heure").status == 422
    said = page.get_by_role("alert").inner_text()
    assert said == (f"Refusé : impossible de réserver Tina à ce moment : le technicien ne travaille pas le samedi "
                    f"{saturday:%d/%m/%Y}")
    assert ENGLISH.findall(said) == []
    screenshot(page, "appointments-booking-refused")

    booked = world.book("tina", at(friday, "10:00"))
    page.goto(f"/staff/appointments/{booked}")
    page.get_by_label("Heure (Paris)").fill("17:30")  # 17:00 to 19:00 with travel, past Tina's 18:00
    assert submit(page, "Déplacer le rendez-vous").status == 422
    said = page.get_by_role("alert").inner_text()
    assert said == ("Refusé : impossible de réserver Tina à ce moment : de 17:00 à 19:00 avec les trajets, hors des "
                    f"horaires du technicien (08:00-18:00) le {friday:%d/%m/%Y}")
    assert ENGLISH.findall(said) == []
    assert staff.api("GET", f"/api/v1/appointments/{booked}")["start_local"][11:16] == "10:00"

    # A site overseas: no free slot to list, and why, in French.
    customer = staff.api("POST", "/api/v1/customers", {"reference": "KIM-974", "name": "Kim Réunion"})["id"]
    reunion = staff.api("POST", "/api/v1/sites", {"customer": customer, "name": "Kim Saint-Denis",
                                                  "address": "1 rue de Paris", "postcode": "97400",
                                                  "city": "Saint-Denis"})["id"]
    page.goto(f"/staff/appointments/new?site={reunion}&duration=60")
    said = page.get_by_role("alert").inner_text()
    assert said == ("Ce site ne peut pas recevoir d'installation : site Kim Saint-Denis : « 974 » n'est pas un "
                    "département desservi ; les installations couvrent la France métropolitaine et la Corse (2A, 2B "
                    "et les départements du continent)")
    assert ENGLISH.findall(said) == []


def test_the_calendar_feed_address_is_shown_once_and_can_be_revoked(page, staff, world) -> None:
    sign_in(page, "tina")
    follow(page, nav_link(page, "Agenda (iCalendar)"))
    assert page.locator("#feed-state").inner_text() == "Vous n'avez pas de flux d'agenda."
    submit(page, "Créer l'adresse du flux")
    https = page.get_by_label("Adresse https:// (à coller dans Google Agenda ou Outlook)").input_value()
    webcal = page.locator("#feed-webcal").get_attribute("href")
    assert https.startswith(f"{staff.server.base}/api/v1/technicians/{world.technicians['tina']}/calendar.ics?token=ics_")
    assert webcal == "webcal://" + https.split("://", 1)[1]
    feed = page.request.get(https)
    assert feed.status == 200 and "BEGIN:VCALENDAR" in feed.text() and "Boulangerie Kim Metz" in feed.text()
    screenshot(page, "appointments-calendar-feed")
    page.goto("/staff/appointments/calendar")
    assert "ics_" in page.locator("#feed-state").inner_text() and page.locator("#feed-https").count() == 0
    submit(page, "Révoquer le flux")
    assert page.get_by_role("status").inner_text() == "Le flux est révoqué : son adresse ne fonctionne plus."
    assert page.request.get(https).status == 404


def test_a_technician_cannot_open_anothers_appointment_nor_office_pages(page, staff, world) -> None:
    theirs = world.book("theo", at(world.monday + dt.timedelta(days=3), "09:00"))
    sign_in(page, "tina")
    assert page.goto(f"/staff/appointments/{theirs}").status == 404
    assert page.get_by_role("alert").inner_text() == "Cette page n'existe pas."
    screenshot(page, "appointments-not-yours")
    for path in ("/staff/appointments/new", "/staff/admin/users", f"/staff/appointments/{theirs}/cancel"):
        assert page.goto(path).status == 403, path
    assert page.get_by_role("alert").inner_text() == (
        "Vous n'avez pas accès à cette page. Elle est réservée aux rôles : support, administration.")
    screenshot(page, "appointments-forbidden")
    nav = page.get_by_role("navigation", name="Navigation principale").inner_text()
    assert "Rendez-vous" in nav and "Prendre un rendez-vous" not in nav
    # A form posted without its XSRF token (the checklist of one's own appointment) is refused.
    mine = world.book("tina", at(world.monday + dt.timedelta(days=3), "14:00"))
    refused = page.request.post(f"/staff/appointments/{mine}", form={"items": "configuration"})
    assert refused.status == 403 and "jeton de sécurité" in refused.text()
    assert staff.api("GET", f"/api/v1/appointments/{mine}")["checklist"]["configuration"]["done"] is False


def test_a_bad_period_and_a_bad_booking_search_get_readable_messages(page, staff, world) -> None:
    sign_in(page, "sam")
    assert page.goto("/staff/appointments?view=month").status == 400
    assert "view doit être day ou week" in page.get_by_role("alert").inner_text()
    page.goto(f"/staff/appointments/new?site={world.site}&duration=5")
    assert page.locator("#duration-error").inner_text() == "La durée doit être un nombre de minutes de 15 à 720."
    page.goto("/staff/appointments")
    assert page.locator("#period-summary").inner_text().startswith("Semaine du")
    assert page.get_by_text("Choisissez un technicien pour voir ses rendez-vous.").count() == 1
