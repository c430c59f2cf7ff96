"""The Tornado application: every route of the HTTP front end and the settings it runs with."""

from __future__ import annotations

import tornado.web

from provisioner.api.appointment_changes import CancelHandler, ChecklistHandler, RescheduleHandler
from provisioner.api.appointment_reports import AppointmentsReportHandler, LateCancellationsHandler
from provisioner.api.appointments import AppointmentHandler, AppointmentsHandler, FreeSlotsHandler
from provisioner.api.base import NotFoundHandler
from provisioner.api.call_records import CallRecordsHandler, FairUseHandler
from provisioner.api.contract_terms import ContractTermsHandler
from provisioner.api.firmware import FIRMWARE, FirmwareItemHandler, FirmwareListHandler, FirmwareUploadHandler
from provisioner.api.labels import LabelHandler, LabelSheetHandler
from provisioner.api.lifecycle import LifecycleHandler, MovesHandler, ScanBatchHandler, TransitionHandler
from provisioner.api.openapi import OpenApiHandler, build_openapi
from provisioner.api.operations import EventsHandler, HealthHandler, MetricsHandler
from provisioner.api.provisioning import ClaimHandler, OutdatedHandler, PreviewHandler, QuarantineHandler
from provisioner.api.records import CollectionHandler, ItemHandler
from provisioner.api.reports import (
    CustomerHistoryHandler,
    EquipmentHistoryHandler,
    InsuranceHandler,
    OverdueReturnsHandler,
    ReplacementsHandler,
    StatesHandler,
    UserHistoryHandler,
    WarrantiesHandler,
)
from provisioner.api.resources import RESOURCES
from provisioner.api.resync import ResyncHandler, ResyncItemHandler
from provisioner.api.sessions import MeHandler, PasswordHandler, SessionHandler, TokenHandler, TokensHandler
from provisioner.api.stock_imports import StockImportHandler
from provisioner.api.technicians import (
    CalendarFeedHandler,
    FeedTokenHandler,
    TechnicianHandler,
    TechniciansHandler,
)
from provisioner.api.tickets import (
    CreditsDueHandler,
    TicketHandler,
    TicketsAtRiskHandler,
    TicketsHandler,
    TicketTransitionHandler,
)
from provisioner.logs import log_request
from provisioner.metrics import observe_request
from provisioner.provisioning.firmware_files import FirmwareFileHandler
from provisioner.provisioning.http_files import DeviceFilesApplication
from provisioner.provisioning.pipeline import Provisioner
from provisioner.services import Services
from provisioner.vendors import VENDORS
from provisioner.web.routes import staff_routes

#: Bodies larger than this are refused before they are read; records are small.
MAX_BODY_BYTES = 1024 * 1024


def routes(services: Services, provisioner: Provisioner | None = None) -> list[tuple]:
    """The URL table: paths, handlers and what each handler is given (devices' files are answered before it:
    provisioning/http_files.py)."""
    shared = {"services": services}
    provisioner = provisioner or Provisioner(services, VENDORS.values())
    table: list[tuple] = [
        (r"/healthz", HealthHandler, shared),
        (r"/metrics", MetricsHandler, shared),
        (r"/api/v1/openapi\.json", OpenApiHandler, shared),
        (r"/api/v1/session", SessionHandler, shared),
        (r"/api/v1/me", MeHandler, shared),
        (r"/api/v1/me/password", PasswordHandler, shared),
        (r"/api/v1/tokens", TokensHandler, shared),
        (r"/api/v1/tokens/([^/]+)", TokenHandler, shared),
        (r"/api/v1/events", EventsHandler, shared),
    ]
    for resource in RESOURCES.values():
        given = {"services": services, "resource": resource}
        table.append((rf"/api/v1/{resource.name}", CollectionHandler, given))
        table.append((rf"/api/v1/{resource.name}/([^/]+)", ItemHandler, given))
    firmware = {"services": services, "resource": FIRMWARE}
    table += [
        (r"/api/v1/firmware", FirmwareListHandler, firmware),
        (r"/api/v1/firmware/([^/]+)", FirmwareItemHandler, firmware),
        (r"/api/v1/firmware-uploads", FirmwareUploadHandler, shared),
    ]
    with_provisioner = {"services": services, "provisioner": provisioner}
    table += [
        (r"/api/v1/equipment/([^/]+)/configuration", PreviewHandler, with_provisioner),
        (r"/api/v1/provisioning/outdated", OutdatedHandler, with_provisioner),
        (r"/api/v1/resync", ResyncHandler, shared),
        (r"/api/v1/resync/([^/]+)", ResyncItemHandler, shared),
        (r"/api/v1/quarantine", QuarantineHandler, shared),
        (r"/api/v1/quarantine/([^/]+)/claim", ClaimHandler, shared),
        (r"/api/v1/equipment/([^/]+)/label\.png", LabelHandler, shared),
        (r"/api/v1/labels\.pdf", LabelSheetHandler, shared),
        (r"/api/v1/lifecycle", LifecycleHandler, shared),
        (r"/api/v1/equipment/([^/]+)/moves", MovesHandler, shared),
        (r"/api/v1/equipment/([^/]+)/transitions/([^/]+)", TransitionHandler, shared),
        (r"/api/v1/scans/([^/]+)", ScanBatchHandler, shared),
        (r"/api/v1/stock-imports", StockImportHandler, shared),
        (r"/api/v1/reports/overdue-returns", OverdueReturnsHandler, shared),
        (r"/api/v1/reports/replacements", ReplacementsHandler, shared),
        (r"/api/v1/reports/warranties", WarrantiesHandler, shared),
        (r"/api/v1/reports/states", StatesHandler, shared),
        (r"/api/v1/reports/insurance", InsuranceHandler, shared),
        (r"/api/v1/reports/fair-use", FairUseHandler, shared),
        (r"/api/v1/reports/tickets-at-risk", TicketsAtRiskHandler, shared),
        (r"/api/v1/reports/credits-due", CreditsDueHandler, shared),
        (r"/api/v1/contracts/([^/]+)/terms", ContractTermsHandler, shared),
        (r"/api/v1/tickets", TicketsHandler, shared),
        (r"/api/v1/tickets/([^/]+)", TicketHandler, shared),
        (r"/api/v1/tickets/([^/]+)/transitions/([^/]+)", TicketTransitionHandler, shared),
        (r"/api/v1/call-records", CallRecordsHandler, shared),
        (r"/api/v1/history/equipment/([^/]+)", EquipmentHistoryHandler, shared),
        (r"/api/v1/history/customers/([^/]+)", CustomerHistoryHandler, shared),
        (r"/api/v1/history/users/([^/]+)", UserHistoryHandler, shared),
        (r"/api/v1/technicians", TechniciansHandler, shared),
        (r"/api/v1/technicians/([^/]+)", TechnicianHandler, shared),
        (r"/api/v1/technicians/([^/]+)/feed-token", FeedTokenHandler, shared),
        (r"/api/v1/technicians/([^/]+)/calendar\.ics", CalendarFeedHandler, shared),
        (r"/api/v1/appointments", AppointmentsHandler, shared),
        (r"/api/v1/appointments/free-slots", FreeSlotsHandler, shared),
        (r"/api/v1/appointments/([^/]+)", AppointmentHandler, shared),
        (r"/api/v1/appointments/([^/]+)/reschedule", RescheduleHandler, shared),
        (r"/api/v1/appointments/([^/]+)/cancel", CancelHandler, shared),
        (r"/api/v1/appointments/([^/]+)/checklist", ChecklistHandler, shared),
        (r"/api/v1/reports/appointments", AppointmentsReportHandler, shared),
        (r"/api/v1/reports/late-cancellations", LateCancellationsHandler, shared),
        (r"/api/.*", NotFoundHandler, shared),
        (r"/firmware/([^/]+)", FirmwareFileHandler, shared),
        *staff_routes(services, provisioner),
    ]
    return table


def _log_and_measure(handler: tornado.web.RequestHandler) -> None:
    route = getattr(handler, "route", "other")
    observe_request(route, handler.request.method or "", handler.get_status(), handler.request.request_time())
    log_request(handler)


def make_app(services: Services) -> tornado.web.Application:
    """The application for these services; `app.settings["provisioner"]` is the one the TFTP front end shares."""
    provisioner = Provisioner(services, VENDORS.values())
    return DeviceFilesApplication(
        routes(services, provisioner),
        provisioner=provisioner,
        cookie_secret=services.cookie_secret,
        xsrf_cookies=True,
        xsrf_cookie_kwargs={"samesite": "Strict", "path": "/"},
        log_function=_log_and_measure,
        openapi=build_openapi(),
        compress_response=True,
        serve_traceback=False,
        default_handler_class=NotFoundHandler,
        default_handler_args={"services": services},
    )
