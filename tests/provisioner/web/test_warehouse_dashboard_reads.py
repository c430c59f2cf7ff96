"""The warehouse dashboard's figures: its four reports from one catch-up of the report cache, the same as the
reports asked for one by one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from inventory import reports
from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor
from provisioner.provisioning.device_secrets import issue_secrets
from provisioner.provisioning.record_changes import ChangeFeed
from provisioner.report_cache import ReportCache
from provisioner.web.warehouse.warehouse_dashboard import read_dashboard, state_counts

ACTOR = Actor.system("tests")


class CountedFeed(ChangeFeed):
    """A change feed that counts its polls."""

    polls = 0

    def poll(self) -> Any:
        self.polls += 1
        return super().poll()


def test_the_dashboard_polls_the_change_feed_once_per_view(services) -> None:
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    site = Site(customer=customer, name="Metz", address="3 rue des Messageries", postcode="57000",
                city="Metz").insert(ACTOR)
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    for number, changes in enumerate([{}, {"state": "return_due", "site": site, "return_due_on": today - dt.timedelta(3)},
                                      {"state": "failed", "site": site, "failure_noted_at": now, "replacement": "due",
                                       "replacement_due_at": now + dt.timedelta(hours=2)}]):
        item = Equipment(serial=f"WD-{number}", mac=f"805ec3{number:06x}", vendor="yealink", model="T46U")
        issue_secrets(item, services.box)
        item.insert(ACTOR)
        if changes:
            item.update(ACTOR, changes)
    feed = CountedFeed()
    services.reports = ReportCache(feed)
    for view in (1, 2):
        dashboard = read_dashboard(services, now, today)
        assert feed.polls == view
    assert dashboard.by_state == [("in_stock", 1), ("failed", 1), ("return_due", 1)]
    assert [row["serial"] for row in dashboard.overdue.rows] == ["WD-1"]
    assert [row["serial"] for row in dashboard.replacements.rows] == ["WD-2"]
    assert [row["status"] for row in dashboard.insurance.rows] == ["missing"]
    # The same as the reports asked for one by one (each with its own catch-up, as the API's).
    alone = services.reports
    assert dashboard.by_state == state_counts(alone.state_totals())
    assert dashboard.overdue.rows == alone.overdue_returns(today).rows
    assert dashboard.replacements.rows == alone.replacements(now, reports.AT_RISK_HOURS).rows
    assert dashboard.insurance.rows == alone.insurance(today, reports.WITHIN_DAYS).rows
    assert feed.polls == 2 + 4
