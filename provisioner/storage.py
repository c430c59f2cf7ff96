"""The database connection: the embedded NX-27017 server or a MongoDB URL, and the indexes every record needs."""

from __future__ import annotations

import logging

import mongoengine as me

from inventory.admin_access import AdminAccessException
from inventory.appointments import Appointment
from inventory.booking_locks import BookingLock
from inventory.call_records import CallRecord
from inventory.charges import ChargeLine
from inventory.contracts import Contract
from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Event
from inventory.firmware import FirmwareImage
from inventory.fraud_signs import FraudSign
from inventory.insurance import InsuranceCertificate
from inventory.lines import Line
from inventory.provisioning_log import FetchBatch, LastFetch, QuarantinedDevice
from inventory.registrations import Registration
from inventory.resync_requests import ResyncRequest
from inventory.seizures import Seizure
from inventory.staff import ApiToken, User
from inventory.technicians import Technician
from inventory.template_overrides import TemplateOverride
from inventory.tickets import FailureTicket, TicketNumber
from provisioner.embedded_db import EmbeddedDatabase
from provisioner.settings import Settings

log = logging.getLogger("provisioner.storage")

DOCUMENTS = (Customer, Site, Contract, Line, Equipment, User, ApiToken, Event, FetchBatch, LastFetch, QuarantinedDevice,
             TemplateOverride, FirmwareImage, ChargeLine, Seizure, AdminAccessException, InsuranceCertificate,
             Registration, FraudSign, ResyncRequest, CallRecord, FailureTicket, TicketNumber,
             Technician, Appointment, BookingLock)


def connect(uri: str, database: str) -> None:
    """Connect mongoengine's default alias; fails fast when the server does not answer."""
    me.disconnect(alias="default")
    me.connect(db=database, host=uri, alias="default", uuidRepresentation="standard", tz_aware=True,
               serverSelectionTimeoutMS=5000, connectTimeoutMS=5000)
    me.get_db().client.admin.command("ping")


def ensure_indexes() -> None:
    """Create every declared index (idempotent; unique ones are what keep MACs and serials unique)."""
    for document in DOCUMENTS:
        document.ensure_indexes()


class Storage:
    """The database a command works on: started here when embedded, or an existing server."""

    def __init__(self, settings: Settings, reuse_running: bool = False):
        self.settings = settings
        self.reuse_running = reuse_running
        self.embedded: EmbeddedDatabase | None = None
        self.uri = ""

    def open(self) -> str:
        """Start or find the database, connect and create indexes; returns a URI safe to log."""
        from provisioner.embedded_db import find_running

        config = self.settings.storage
        if config.url:
            uri, shown = config.url, _without_password(config.url)
        else:
            uri = find_running(self.settings.data_path) if self.reuse_running else None
            if uri is None:
                self.embedded = EmbeddedDatabase(self.settings.data_path, config.embedded_start_timeout)
                uri = self.embedded.start()
            shown = f"{uri} (embedded NX-27017, files in {self.settings.data_path / 'db'})"
        self.uri = uri
        connect(uri, config.database)
        ensure_indexes()
        return shown

    def reconnect(self) -> None:
        """Connect again, in a forked worker: a client must never cross a fork."""
        connect(self.uri, self.settings.storage.database)

    def disconnect(self) -> None:
        """Drop this process's connection, keeping the embedded server running (before forking workers)."""
        me.disconnect(alias="default")

    def close(self) -> None:
        """Disconnect, and stop the embedded server if this process started it."""
        self.disconnect()
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None


def _without_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"
