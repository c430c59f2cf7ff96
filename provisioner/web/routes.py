"""The URL table of the staff pages and their assets, all under /staff/."""

from __future__ import annotations

import tornado.web

from provisioner.services import Services
from provisioner.web.account_pages import HomePage, PasswordPage, PreferencesPage
from provisioner.web.page_handler import NotFoundPage
from provisioner.web.rendering import STATIC
from provisioner.web.return_scans_page import ReturnScansPage
from provisioner.web.sign_in_pages import LoginPage, LogoutPage
from provisioner.web.user_list import UserListPage
from provisioner.web.warehouse_dashboard import WarehouseDashboardPage


def staff_routes(services: Services) -> list[tuple]:
    """Paths, handlers and what each is given; the last one answers a 404 page for any other /staff/ path."""
    shared = {"services": services}
    return [
        (r"/staff", tornado.web.RedirectHandler, {"url": "/staff/"}),
        (r"/staff/static/(.*)", tornado.web.StaticFileHandler, {"path": str(STATIC)}),
        (r"/staff/", HomePage, shared),
        (r"/staff/login", LoginPage, shared),
        (r"/staff/logout", LogoutPage, shared),
        (r"/staff/password", PasswordPage, shared),
        (r"/staff/preferences", PreferencesPage, shared),
        (r"/staff/warehouse", WarehouseDashboardPage, shared),
        (r"/staff/warehouse/returns", ReturnScansPage, shared),
        (r"/staff/admin/users", UserListPage, shared),
        (r"/staff/.*", NotFoundPage, shared),
    ]
