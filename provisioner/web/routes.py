"""The URL table of the staff pages and their assets, all under /staff/."""

from __future__ import annotations

import tornado.web

from provisioner.provisioning.pipeline import Provisioner
from provisioner.services import Services
from provisioner.web.account_pages import HomePage, PasswordPage, PreferencesPage
from provisioner.web.admin.admin_routes import admin_routes
from provisioner.web.admin.user_list import UserListPage
from provisioner.web.installations.appointment_routes import appointment_routes
from provisioner.web.page_handler import NotFoundPage
from provisioner.web.rendering import STATIC
from provisioner.web.sign_in_pages import LoginPage, LogoutPage
from provisioner.web.support.support_routes import support_routes
from provisioner.web.warehouse.item_routes import item_routes
from provisioner.web.warehouse.receiving_page import ReceivingPage
from provisioner.web.warehouse.return_scans_page import ReturnScansPage
from provisioner.web.warehouse.shipping_scans_page import DeliveryScansPage, ShippingScansPage
from provisioner.web.warehouse.warehouse_dashboard import WarehouseDashboardPage


def staff_routes(services: Services, provisioner: Provisioner | None = None) -> list[tuple]:
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
        (r"/staff/warehouse/receiving", ReceivingPage, shared),
        (r"/staff/warehouse/shipping", ShippingScansPage, shared),
        (r"/staff/warehouse/delivery", DeliveryScansPage, shared),
        (r"/staff/admin/users", UserListPage, shared),
        *item_routes(services),
        *admin_routes(services),
        *support_routes(services, provisioner),
        *appointment_routes(services),
        (r"/staff/.*", NotFoundPage, shared),
    ]
