"""Which pages each role sees: the navigation table of the staff pages."""

from __future__ import annotations

from dataclasses import dataclass

from provisioner.api.authentication import Caller


@dataclass(frozen=True)
class Entry:
    """One page in the navigation: its path, its name and summary keys, and the roles that may open it."""

    path: str
    name: str
    summary: str
    roles: tuple[str, ...]  # () for every member of staff; admin may open everything


WAREHOUSE_ROLES = ("warehouse",)
ADMIN_ROLES = ("admin",)

PAGES = (
    Entry("/staff/warehouse", "nav.warehouse", "home.warehouse", WAREHOUSE_ROLES),
    Entry("/staff/warehouse/returns", "nav.returns", "home.returns", WAREHOUSE_ROLES),
    Entry("/staff/admin/users", "nav.users", "home.users", ADMIN_ROLES),
    Entry("/staff/preferences", "nav.preferences", "home.preferences", ()),
    Entry("/staff/password", "nav.password", "home.password", ()),
)


def pages_for(caller: Caller) -> list[Entry]:
    """The pages `caller` may open, in navigation order."""
    return [entry for entry in PAGES if not entry.roles or caller.may(entry.roles)]
