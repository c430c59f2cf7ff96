"""The warehouse dashboard: items by state (a bar chart and its table), overdue returns, replacements at
risk of their 72-hour deadline, and sites without valid insurance, from the same reports as the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from inventory import reports
from inventory.equipment import EQUIPMENT_STATES
from provisioner.services import Services
from provisioner.ticket_calendar import calendar_today
from provisioner.web.navigation import WAREHOUSE_ROLES
from provisioner.web.page_handler import PageHandler
from provisioner.web.warehouse.bar_chart import bar_chart

#: Rows shown of each list; the heading gives how many there are in all.
LIST_LIMIT = 50


@dataclass
class Dashboard:
    """What the dashboard shows: the count of items in each state (states with none left out) and the reports."""

    by_state: list[tuple[str, int]]
    overdue: reports.Report
    replacements: reports.Report
    insurance: reports.Report

    @property
    def total(self) -> int:
        return sum(count for _, count in self.by_state)


def state_counts(totals: dict[str, int]) -> list[tuple[str, int]]:
    """The count of items in each state, in the lifecycle's order of states, without empty states."""
    return [(state, totals[state]) for state in EQUIPMENT_STATES if totals.get(state)]


def read_dashboard(services: Services, now: dt.datetime, today: dt.date) -> Dashboard:
    """Build every figure of the dashboard from one catch-up of the report cache (reads for a while among many
    items: run it off the event loop)."""
    with services.reports.caught_up() as kept:
        return Dashboard(
            by_state=state_counts(kept.state_totals()),
            overdue=kept.overdue_returns(today),
            replacements=kept.replacements(now, reports.AT_RISK_HOURS),
            insurance=kept.insurance(today, reports.WITHIN_DAYS),
        )


class WarehouseDashboardPage(PageHandler):
    """GET: the warehouse dashboard (roles warehouse and admin)."""

    roles = WAREHOUSE_ROLES
    route = "/staff/warehouse"

    async def get(self) -> None:
        now = dt.datetime.now(dt.UTC)
        today = calendar_today(self.services.settings, now)
        dashboard = await self.off_loop(read_dashboard, self.services, now, today)
        chart = bar_chart([(self.t(f"state.{state}"), count) for state, count in dashboard.by_state])
        self.render_page("warehouse.html", dashboard=dashboard, chart=chart, limit=LIST_LIMIT,
                         state_name=self.state_name)
