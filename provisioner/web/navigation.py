"""Which pages each role sees: the navigation table of the staff pages."""

from __future__ import annotations

from dataclasses import dataclass

from provisioner.api.authentication import Caller


@dataclass(frozen=True)
class Entry:
    """One page in the navigation: its group, path, name and summary keys, and the roles that may open it."""

    group: str
    path: str
    name: str
    summary: str
    roles: tuple[str, ...]  # () for every member of staff; admin may open everything


WAREHOUSE_ROLES = ("warehouse",)
ADMIN_ROLES = ("admin",)
#: The equipment list and item pages (warehouse items: CSV import, labels, item page).
ITEM_ROLES = ("warehouse", "support")

#: The groups of the navigation, in order; each is named by the text "group.<name>".
GROUPS = ("warehouse", "installations", "support", "admin", "account")

PAGES = (
    Entry("warehouse", "/staff/warehouse", "nav.warehouse", "home.warehouse", WAREHOUSE_ROLES),
    Entry("warehouse", "/staff/warehouse/receiving", "nav.receiving", "home.receiving", WAREHOUSE_ROLES),
    Entry("warehouse", "/staff/warehouse/shipping", "nav.shipping", "home.shipping", WAREHOUSE_ROLES),
    Entry("warehouse", "/staff/warehouse/delivery", "nav.delivery", "home.delivery", WAREHOUSE_ROLES),
    Entry("warehouse", "/staff/warehouse/returns", "nav.returns", "home.returns", WAREHOUSE_ROLES),
    Entry("warehouse", "/staff/warehouse/import", "nav.import", "home.import", WAREHOUSE_ROLES),
    Entry("warehouse", "/staff/items", "nav.items", "home.items", ITEM_ROLES),
    Entry("installations", "/staff/appointments", "nav.appointments", "home.appointments", ("technician", "support")),
    Entry("installations", "/staff/appointments/new", "nav.booking", "home.booking", ("support",)),
    Entry("installations", "/staff/appointments/calendar", "nav.calendar_feed", "home.calendar_feed", ("technician",)),
    Entry("support", "/staff/support/tickets", "nav.support_tickets", "home.support_tickets", ("support", "technician")),
    Entry("support", "/staff/support/credits", "nav.support_credits", "home.support_credits", ("support",)),
    Entry("support", "/staff/support/devices/outdated", "nav.support_outdated", "home.support_outdated", ("support",)),
    Entry("support", "/staff/support/quarantine", "nav.support_quarantine", "home.support_quarantine",
          ("support", "warehouse")),
    Entry("admin", "/staff/admin/users", "nav.users", "home.users", ADMIN_ROLES),
    Entry("admin", "/staff/admin/templates", "nav.templates", "home.templates", ADMIN_ROLES),
    Entry("account", "/staff/tokens", "nav.tokens", "home.tokens", ()),
    Entry("account", "/staff/preferences", "nav.preferences", "home.preferences", ()),
    Entry("account", "/staff/password", "nav.password", "home.password", ()),
)


def pages_for(caller: Caller) -> list[Entry]:
    """The pages `caller` may open, in navigation order."""
    return [entry for entry in PAGES if not entry.roles or caller.may(entry.roles)]


def groups_for(caller: Caller) -> list[tuple[str, list[Entry]]]:
    """The pages `caller` may open, by group in navigation order (groups without such a page left out)."""
    pages = pages_for(caller)
    return [(group, entries) for group in GROUPS if (entries := [e for e in pages if e.group == group])]
