"""The URL table of the admin pages (staff accounts, template overrides) and of every member of staff's API tokens."""

from __future__ import annotations

from provisioner.services import Services
from provisioner.web.admin.override_list import OverrideDeletePage, OverrideListPage
from provisioner.web.admin.override_pages import OverrideNewPage, OverridePage
from provisioner.web.admin.token_pages import TokensPage
from provisioner.web.admin.user_pages import UserNewPage, UserPage

RECORD_ID = r"([0-9a-f]{24})"


def admin_routes(services: Services) -> list[tuple]:
    """Paths and handlers of the admin pages and the tokens page (the users list stays in routes.py)."""
    shared = {"services": services}
    return [
        (r"/staff/admin/users/new", UserNewPage, shared),
        (rf"/staff/admin/users/{RECORD_ID}", UserPage, shared),
        (r"/staff/tokens", TokensPage, shared),
        (r"/staff/admin/templates", OverrideListPage, shared),
        (r"/staff/admin/templates/new", OverrideNewPage, shared),
        (rf"/staff/admin/templates/{RECORD_ID}", OverridePage, shared),
        (rf"/staff/admin/templates/{RECORD_ID}/delete", OverrideDeletePage, shared),
    ]
