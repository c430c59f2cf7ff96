"""The warehouse dashboard in Chromium: the figures of the items inserted for the test, the chart, Paris times."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from staff_browser import screenshot, sign_in


def test_the_dashboard_shows_the_fleet_by_state_and_what_needs_attention(page, staff) -> None:
    staff.user("walter", "warehouse")
    sign_in(page, "walter")
    page.goto("/staff/warehouse")
    rows = page.locator("#states-table tbody tr")
    counts = {row.get_attribute("data-state"): int(row.locator("td").inner_text()) for row in rows.all()}
    assert counts == {"in_stock": 2, "staged": 1, "failed": 1, "return_due": 1}
    assert page.locator("#states-total").inner_text() == "5"
    chart = page.locator("svg.chart")
    assert chart.get_attribute("role") == "img"
    assert chart.locator("title").text_content() == "Équipements par état"
    assert chart.locator("rect").count() == 4
    assert chart.locator("text").all_text_contents()[:2] == ["en stock", "2"]
    overdue = page.locator("#overdue-table tbody tr")
    assert overdue.count() == 1
    assert overdue.locator("th").inner_text() == "WH-4"
    assert overdue.locator("td").nth(3).inner_text() == "02/02/2026"  # the Monday after Friday 30 January
    replacements = page.locator("#replacements-table tbody tr")
    assert replacements.count() == 1 and replacements.locator("th").inner_text() == "WH-5"
    assert replacements.locator("td").first.inner_text() == "dépassé"
    _, _, item = staff.server.request("GET", f"/api/v1/equipment/{staff.items['WH-5']}", token=staff.token)
    due = dt.datetime.fromisoformat(item["replacement_due_at"]).astimezone(ZoneInfo("Europe/Paris"))
    assert replacements.locator("td").nth(3).inner_text() == due.strftime("%d/%m/%Y %H:%M")
    insurance = page.locator("#insurance-table tbody tr")
    assert insurance.count() == 1
    assert insurance.locator("th").inner_text() == "Acme"
    assert insurance.locator("td").nth(1).inner_text() == "manquante"
    assert int(insurance.locator("td").nth(2).inner_text()) == 2
    screenshot(page, "warehouse-dashboard")


def test_the_dashboard_fits_a_phone_screen(page, staff) -> None:
    staff.user("phoebe", "warehouse")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "phoebe")
    page.goto("/staff/warehouse")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "warehouse-phone")
