"""The URL table of the support pages (failure tickets, credits, devices behind, quarantine, previews)."""

from __future__ import annotations

from provisioner.provisioning.pipeline import Provisioner
from provisioner.services import Services
from provisioner.web.support.configuration_page import ConfigurationPage
from provisioner.web.support.credits_page import CreditsCsvPage, CreditsPage
from provisioner.web.support.outdated_page import OutdatedPage
from provisioner.web.support.quarantine_page import QuarantinePage
from provisioner.web.support.ticket_list_page import TicketListPage
from provisioner.web.support.ticket_opening_page import TicketOpeningPage
from provisioner.web.support.ticket_page import TicketPage

_ID = r"([0-9a-f]{24})"


def support_routes(services: Services, provisioner: Provisioner | None) -> list[tuple]:
    """The support pages' paths and handlers; each is given the services and the server's provisioner."""
    given = {"services": services, "provisioner": provisioner}
    return [
        (r"/staff/support/tickets", TicketListPage, given),
        (r"/staff/support/tickets/new", TicketOpeningPage, given),
        (rf"/staff/support/tickets/{_ID}", TicketPage, given),
        (rf"/staff/support/tickets/{_ID}/transitions/([a-z_]{{1,40}})", TicketPage, given),
        (r"/staff/support/credits", CreditsPage, given),
        (r"/staff/support/credits\.csv", CreditsCsvPage, given),
        (r"/staff/support/devices/outdated", OutdatedPage, given),
        (r"/staff/support/quarantine", QuarantinePage, given),
        (rf"/staff/support/quarantine/{_ID}/claim", QuarantinePage, given),
        (rf"/staff/support/devices/{_ID}/configuration", ConfigurationPage, given),
    ]
