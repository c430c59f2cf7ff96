"""What a failure ticket looks like to staff: its stored fields, where it stands against its restoration target
now, whether it may give a credit, and its device's replacement as the device records it; and the report of
tickets at risk of or past their target. Shared by the API, the CLI and the report.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from inventory import ticket_rules
from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.references import records_by_id
from inventory.reports import Report
from inventory.stored_times import as_utc
from inventory.ticket_deadlines import AT_RISK, Calendar, target_status
from inventory.tickets import FailureTicket

#: Stored fields shown as they are.
SHOWN = ("number", "version", "state", "service", "channel", "notified_at", "description", "opened_by",
         "restoration_due_at", "taken_at", "waiting_since", "waiting_for", "auto_close_at", "restored_at",
         "restoration_confirmation", "reopen_reason", "closed_at", "closing_reason", "excuse", "excuse_note",
         "created_at", "updated_at")
REFERENCES = ("customer", "site", "equipment")
REPORT_COLUMNS = ("number", "target", "minutes_left", "state", "customer", "customer_name", "site", "site_name",
                  "service", "channel", "notified_at", "restoration_due_at", "excuse", "equipment_serial",
                  "replacement_due_at")


def views(tickets: list[dict[str, Any]], now: dt.datetime, calendar: Calendar,
          at_risk: dt.timedelta = AT_RISK) -> list[dict[str, Any]]:
    """Each ticket (stored form) as staff see it at `now`, with the sites and devices read once for all."""
    sites = records_by_id(Site, (t.get("site") for t in tickets), ("name", "departement", "customer"))
    devices = records_by_id(Equipment, (t.get("equipment") for t in tickets),
                     ("serial", "state", "ownership", "replacement", "replacement_due_at"))
    return [_view(raw, now, calendar, at_risk, sites.get(raw.get("site") or ""), devices.get(raw.get("equipment") or ""))
            for raw in tickets]


def _view(raw: dict[str, Any], now: dt.datetime, calendar: Calendar, at_risk: dt.timedelta,
          site: dict[str, Any] | None, device: dict[str, Any] | None) -> dict[str, Any]:
    view: dict[str, Any] = {"id": str(raw["_id"]), **{name: raw.get(name) for name in REFERENCES}}
    view.update({name: as_utc(raw.get(name)) if isinstance(raw.get(name), dt.datetime) else raw.get(name)
                 for name in SHOWN})
    deadline, restored_at = view["restoration_due_at"], view["restored_at"]
    active = raw["state"] in ticket_rules.ACTIVE
    left = None
    if active and restored_at is None:
        departement = (site or {}).get("departement")
        # A site that lost its département still shows a status, counted in calendar time.
        left = calendar.time_left(deadline, now, departement) if departement else deadline - now
    view["minutes_left"] = None if left is None else int(left.total_seconds() // 60)
    view["target"] = target_status(active, deadline, restored_at, left or dt.timedelta(0), at_risk)
    view["gives_credit"] = ticket_rules.gives_credit(view["excuse"], view["closing_reason"])
    view["equipment_replacement"] = None if device is None else {
        "serial": device.get("serial"), "state": device.get("state"), "ownership": device.get("ownership"),
        "replacement": device.get("replacement"), "replacement_due_at": as_utc(device.get("replacement_due_at"))}
    return view


def active_tickets(query: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The stored tickets not restored yet (matching `query`), newest notification first.

    One equality per state: NX-27017 answers `$in` on a field other than `_id` by scanning the collection.
    """
    found = [raw for state in sorted(ticket_rules.ACTIVE)
             for raw in FailureTicket._get_collection().find({**(query or {}), "state": state})]
    return sorted(found, key=lambda raw: (as_utc(raw["notified_at"]), raw["_id"]), reverse=True)


def view_of(ticket: FailureTicket, now: dt.datetime, calendar: Calendar) -> dict[str, Any]:
    """One ticket as staff see it at `now`."""
    return views([ticket.to_mongo().to_dict()], now, calendar)[0]


def at_risk_report(now: dt.datetime, calendar: Calendar, at_risk: dt.timedelta = AT_RISK) -> Report:
    """Tickets not restored that are at risk (less than `at_risk` left) or past their target, the most late first."""
    active = active_tickets()
    late = [view for view in views(active, now, calendar, at_risk) if view["target"] in ("at_risk", "breached")]
    late.sort(key=lambda view: (view["minutes_left"], view["number"]))
    customers = records_by_id(Customer, (v["customer"] for v in late), ("name",))
    sites = records_by_id(Site, (v["site"] for v in late), ("name",))
    rows = [{**{name: view.get(name) for name in REPORT_COLUMNS},
             "customer_name": customers.get(view["customer"] or "", {}).get("name", ""),
             "site_name": sites.get(view["site"] or "", {}).get("name", ""),
             "equipment_serial": (view["equipment_replacement"] or {}).get("serial"),
             "replacement_due_at": (view["equipment_replacement"] or {}).get("replacement_due_at")} for view in late]
    return Report("tickets-at-risk", REPORT_COLUMNS, rows,
                  {"now": now, "at_risk_minutes": int(at_risk.total_seconds() // 60)})
