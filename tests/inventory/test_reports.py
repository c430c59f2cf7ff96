"""The reports' rules over plain records, case by case: overdue returns, replacements within 72 hours,
warranties ending, insurance cover, items by state, histories."""

from __future__ import annotations

import datetime as dt

import pytest

from inventory import reports
from inventory.equipment import EQUIPMENT_STATES

UTC = dt.UTC
NOW = dt.datetime(2026, 5, 14, 10, 0, tzinfo=UTC)  # Thursday 14 May 2026, Ascension Day


def item(n: int, state: str, **fields) -> dict:
    return {"_id": f"{n:024x}", "serial": f"YL-{n:04d}", "mac": f"805ec0{n:06x}", "state": state, **fields}


# -- overdue returns --------------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "due", "today", "late"), [
    ("return_due", dt.date(2026, 5, 13), dt.date(2026, 5, 13), False),  # due today: not late yet
    ("return_due", dt.date(2026, 5, 12), dt.date(2026, 5, 13), True),  # due yesterday
    ("return_due", dt.date(2026, 5, 13), dt.date(2026, 5, 14), True),  # today a holiday: still late
    ("return_due", dt.date(2026, 5, 15), dt.date(2026, 5, 14), False),  # due the day after a holiday
    ("return_due", None, dt.date(2026, 5, 14), False),
    ("overdue", dt.date(2026, 5, 15), dt.date(2026, 5, 14), True),  # marked overdue: listed whatever the date
    ("repossession", None, dt.date(2026, 5, 14), True),
    ("in_service", dt.date(2026, 1, 1), dt.date(2026, 5, 14), False),
])
def test_is_overdue(state: str, due: dt.date | None, today: dt.date, late: bool) -> None:
    assert reports.is_overdue(state, due, today) is late


def test_overdue_returns_rows_and_order() -> None:
    stored_due = dt.datetime(2026, 5, 11)  # a DateField comes back from the database as a midnight datetime
    records = [item(1, "return_due", return_due_on=dt.datetime(2026, 5, 14), customer="c1"),
               item(2, "return_due", return_due_on=stored_due, customer="c1", site="s1"),
               item(3, "overdue", return_due_on=dt.date(2026, 4, 30), customer="c2",
                    overdue_since=dt.datetime(2026, 5, 2, 8, 0))]
    report = reports.overdue_returns(records, dt.date(2026, 5, 14), {"c1": "Acme", "c2": "Bistro"}, {"s1": "HQ"})
    assert [(r["serial"], r["days_late"], r["customer_name"], r["site_name"]) for r in report.rows] == [
        ("YL-0003", 14, "Bistro", ""), ("YL-0002", 3, "Acme", "HQ")]
    assert report.rows[1]["return_due_on"] == dt.date(2026, 5, 11)
    assert report.rows[0]["overdue_since"] == dt.datetime(2026, 5, 2, 8, 0, tzinfo=UTC)
    assert set(report.rows[0]) == set(report.columns)


# -- replacements ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("hours_left", "at_risk_hours", "status"), [
    (30, 12, "on_time"), (12, 12, "on_time"), (11.9, 12, "at_risk"), (0, 12, "at_risk"),
    (-0.01, 12, "breached"), (-48, 12, "breached"), (5, 4, "on_time"), (3, 4, "at_risk"),
])
def test_replacement_status(hours_left: float, at_risk_hours: int, status: str) -> None:
    assert reports.replacement_status(NOW + dt.timedelta(hours=hours_left), NOW, at_risk_hours) == status


def failed(n: int, hours_left: float, replacement: str = "due") -> dict:
    return item(n, "failed", replacement=replacement, replacement_due_at=NOW + dt.timedelta(hours=hours_left),
                failure_noted_at=NOW + dt.timedelta(hours=hours_left - 72))


@pytest.mark.parametrize(("replacing_state", "listed"), [
    (None, True), ("in_stock", True), ("staged", True), ("shipped", False), ("delivered", False),
    ("in_service", False), ("failed", False), ("returned", False), ("lost", True), ("stolen", True),
])
def test_a_shipped_replacement_settles_a_failure(replacing_state: str | None, listed: bool) -> None:
    replacing = [item(9, replacing_state, replaces=f"{1:024x}")] if replacing_state else []
    report = reports.replacements([failed(1, -2)], replacing, NOW)
    assert bool(report.rows) is listed
    if listed and replacing_state in ("in_stock", "staged"):  # under way: shown with the breach
        assert (report.rows[0]["replacement"], report.rows[0]["replacement_state"]) == (f"{9:024x}", replacing_state)


def test_replacements_lists_at_risk_and_breached_only() -> None:
    records = [failed(1, 30), failed(2, 5), failed(3, -1), failed(4, -10, replacement="quote"),
               item(5, "returned", replacement="due", replacement_due_at=NOW - dt.timedelta(hours=5))]
    report = reports.replacements(records, [], NOW)
    assert [(r["serial"], r["status"], r["hours_left"]) for r in report.rows] == [
        ("YL-0003", "breached", -1.0), ("YL-0002", "at_risk", 5.0)]
    assert [r["serial"] for r in reports.replacements(records, [], NOW, at_risk_hours=48).rows] == [
        "YL-0003", "YL-0002", "YL-0001"]


# -- warranties --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ends_in", "ownership", "state", "listed"), [
    (dt.timedelta(days=10), "sold", "in_service", True),
    (dt.timedelta(days=30), "sold", "in_service", True),  # the 30th day included
    (dt.timedelta(days=30, seconds=1), "sold", "in_service", False),
    (dt.timedelta(seconds=1), "sold", "failed", True),
    (dt.timedelta(0), "sold", "in_service", False),  # ends now: ended (covers failures noted before it)
    (-dt.timedelta(days=1), "sold", "in_service", False),
    (dt.timedelta(days=10), "lent", "in_service", False),
    (dt.timedelta(days=10), "sold", "scrapped", False),
])
def test_warranties_ending(ends_in: dt.timedelta, ownership: str, state: str, listed: bool) -> None:
    record = item(1, state, ownership=ownership, warranty_end=NOW + ends_in)
    assert bool(reports.warranties_ending([record], NOW).rows) is listed


def test_warranty_rows_say_the_days_left() -> None:
    records = [item(1, "in_service", ownership="sold", warranty_end=(NOW + dt.timedelta(days=20)).replace(tzinfo=None)),
               item(2, "installed", ownership="sold", warranty_end=NOW + dt.timedelta(days=2, hours=3))]
    report = reports.warranties_ending(records, NOW, within_days=60)
    assert [(r["serial"], r["days_left"]) for r in report.rows] == [("YL-0002", 2), ("YL-0001", 20)]


# -- insurance ------------------------------------------------------------------------------------------------

TODAY = dt.date(2026, 6, 10)


def cert(starts: str, expires: str, customer: str = "c1", policy: str = "P-1") -> dict:
    return {"_id": policy, "customer": customer, "insurer": "AXA", "policy_number": policy,
            "starts_on": dt.date.fromisoformat(starts), "expires_on": dt.date.fromisoformat(expires)}


@pytest.mark.parametrize(("certificates", "status", "policy"), [
    ([], "missing", None),
    ([cert("2026-01-01", "2026-12-31")], "valid", "P-1"),
    ([cert("2026-06-10", "2026-12-31")], "valid", "P-1"),  # starts today
    ([cert("2025-06-10", "2026-06-10")], "expiring", "P-1"),  # its last day
    ([cert("2025-01-01", "2026-06-09")], "expired", "P-1"),  # ended yesterday
    ([cert("2025-01-01", "2025-12-31", policy="P-1"), cert("2026-01-01", "2026-06-01", policy="P-2")], "expired", "P-2"),
    ([cert("2026-06-11", "2027-06-10")], "not_started", "P-1"),
    ([cert("2025-01-01", "2026-05-31", policy="P-1"), cert("2026-07-01", "2027-06-30", policy="P-2")],
     "not_started", "P-2"),
    ([cert("2026-01-01", "2026-07-09")], "expiring", "P-1"),  # 29 days left
    ([cert("2026-01-01", "2026-07-10")], "valid", "P-1"),  # 30 days left
    # Two certificates following each other: the cover runs on, nothing to say.
    ([cert("2025-07-01", "2026-06-30", policy="P-1"), cert("2026-07-01", "2027-06-30", policy="P-2")], "valid", "P-1"),
])
def test_insurance_status(certificates: list[dict], status: str, policy: str | None) -> None:
    found, shown = reports.insurance_status(certificates, TODAY)
    assert (found, shown["policy_number"] if shown else None) == (status, policy)


def test_insurance_alerts_name_each_site_with_lent_equipment_at_the_customers() -> None:
    items = [item(1, "in_service", ownership="lent", customer="c1", site="s1"),
             item(2, "delivered", ownership="lent", customer="c1", site="s1"),
             item(3, "overdue", ownership="lent", customer="c1", site="s2"),
             item(4, "in_service", ownership="sold", customer="c2", site="s3"),  # sold: the customer's own
             item(5, "staged", ownership="lent", customer="c3", site="s4"),  # not delivered: our risk still
             item(6, "in_service", ownership="lent", customer="c4", site="s5"),
             item(7, "installed", ownership="lent", customer="c5", site="s6")]
    certificates = [cert("2025-01-01", "2026-01-01", "c1"), cert("2026-01-01", "2026-12-31", "c4", "P-4"),
                    cert("2026-01-01", "2026-06-20", "c5", "P-5")]
    report = reports.insurance_alerts(items, certificates, TODAY, customers={"c1": "Acme", "c5": "Zinc"},
                                      sites={"s1": "HQ", "s2": "Annex", "s6": "Shop"})
    assert [(r["status"], r["customer_name"], r["site_name"], r["lent_items"], r["expires_on"]) for r in report.rows] == [
        ("expired", "Acme", "Annex", 1, dt.date(2026, 1, 1)), ("expired", "Acme", "HQ", 2, dt.date(2026, 1, 1)),
        ("expiring", "Zinc", "Shop", 1, dt.date(2026, 6, 20))]
    assert report.rows[2]["covered_until"] == dt.date(2026, 6, 20)


def test_covered_until_follows_certificates_that_chain() -> None:
    chain = [cert("2026-01-01", "2026-06-30"), cert("2026-07-01", "2026-09-30"), cert("2026-10-02", "2026-12-31")]
    assert reports.covered_until(chain, TODAY) == dt.date(2026, 9, 30)  # a day's gap on 1 October
    assert reports.covered_until(chain, dt.date(2026, 10, 1)) is None


# -- items by state ---------------------------------------------------------------------------------------------


def test_items_by_state_per_site_and_per_customer() -> None:
    items = [{"state": "in_stock"}, {"state": "in_stock"},
             {"state": "in_service", "site": "s1", "customer": "c1"},
             {"state": "in_service", "site": "s1", "customer": "c1"},
             {"state": "failed", "site": "s1", "customer": "c1"},
             {"state": "overdue", "site": "s2", "customer": "c1"},
             {"state": "in_service", "site": "s3", "customer": "c2"}]
    names = {"customers": {"c1": "Acme", "c2": "Bistro"}, "sites": {"s1": "HQ", "s2": "Annex", "s3": "Café"}}
    per_site = reports.items_by_state(items, "site", **names)
    assert per_site.columns[:4] == ("customer", "customer_name", "site", "site_name")
    assert per_site.columns[4:] == (*EQUIPMENT_STATES, "total")
    assert [(r["site_name"], r["in_service"], r["failed"], r["overdue"], r["in_stock"], r["total"])
            for r in per_site.rows] == [("Annex", 0, 0, 1, 0, 1), ("HQ", 2, 1, 0, 0, 3), ("Café", 1, 0, 0, 0, 1),
                                        ("", 0, 0, 0, 2, 2)]
    per_customer = reports.items_by_state(items, "customer", **names)
    assert [(r["customer_name"], r["in_service"], r["total"]) for r in per_customer.rows] == [
        ("Acme", 2, 4), ("Bistro", 1, 1), ("", 0, 2)]
    assert "site" not in per_customer.columns
    with pytest.raises(ValueError, match="expected one of site, customer"):
        reports.items_by_state(items, "model")


# -- history ------------------------------------------------------------------------------------------------------


def test_history_pages_events_oldest_first_and_names_the_changed_fields() -> None:
    events = [{"_id": f"e{n}", "at": NOW + dt.timedelta(minutes=10 - n), "actor": "wendy", "action": "update",
               "collection": "equipment", "object_id": "x", "before": {"state": "a", "version": n, "notes": "k"},
               "after": {"state": "b", "version": n + 1, "notes": "k", "site": "s1"}} for n in range(5)]
    first = reports.history(events, "equipment x", page=1, per_page=2)
    assert [r["event"] for r in first.rows] == ["e4", "e3"] and first.total == 5
    assert first.rows[0]["changed"] == "site state"
    assert [r["event"] for r in reports.history(events, "equipment x", page=3, per_page=2).rows] == ["e0"]
