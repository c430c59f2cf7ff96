"""The benches' fleet: a server's settings with a known secret key, in-service phones inserted in bulk, and
their files rendered beforehand for a reference server (nginx, tftpd-hpa).

Used by bench/boot_storm.py (HTTP) and bench/tftp_bench.py (TFTP).
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import mongoengine  # noqa: E402
import pymongo  # noqa: E402
from bson import ObjectId  # noqa: E402
from server_process import ServerProcess, free_port  # noqa: E402

from inventory.customers import Customer, Site  # noqa: E402
from inventory.equipment import Equipment  # noqa: E402
from inventory.generation import RECORDS, Generation  # noqa: E402
from inventory.lines import Line  # noqa: E402
from inventory.secret_box import SecretBox, random_secret  # noqa: E402
from provisioner.embedded_db import find_running  # noqa: E402
from provisioner.provisioning.encryption import SCHEMES, new_device_key  # noqa: E402
from provisioner.provisioning.pipeline import Provisioner  # noqa: E402
from provisioner.services import Services  # noqa: E402
from provisioner.settings import load_settings  # noqa: E402
from provisioner.storage import connect  # noqa: E402
from provisioner.vendors import VENDORS  # noqa: E402

PHONES_PER_SITE = 100


@dataclass
class Fleet:
    """The bench's records, in memory and in their stored form."""

    customers: list[Customer]
    sites: list[Site]
    lines: list[Line]
    phones: list[Equipment]

    @property
    def macs(self) -> list[str]:
        return [phone.mac for phone in self.phones]


def server_settings(extra: dict[str, str]) -> tuple[dict[str, str], Any, SecretBox]:
    """(environment for `provisioner serve`, the settings it gives, a SecretBox with the server's key).

    The key is chosen here so that the bench encrypts secrets as the server decrypts them; TFTP listens on
    127.0.0.1; `extra` (PROVISIONER_... variables) wins.
    """
    key = SecretBox.generate_key()
    env = {"PROVISIONER_SECRET_KEYS": key, "PROVISIONER_TFTP_PORT": str(free_port()),
           "PROVISIONER_TFTP_ADDRESS": "127.0.0.1", "PROVISIONER_LOGGING_FORMAT": "text", **extra}
    settings = load_settings(None, {k: v for k, v in env.items() if k.startswith("PROVISIONER_")}, {})
    return env, settings, SecretBox([key])


def open_database(server: ServerProcess, settings: Any) -> pymongo.database.Database:
    """The running server's embedded database, made this process's default connection too: rendering reads
    through it (the firmware pinned for a model). close_database() lets go of it."""
    connect(find_running(server.data_dir / "var"), settings.storage.database)
    return mongoengine.get_db()


def close_database() -> None:
    mongoengine.disconnect()


def make_fleet(count: int, box: SecretBox) -> Fleet:
    """`count` in-service T46U phones, one line each, PHONES_PER_SITE per site, a customer per site.

    Each has its own file key, as a recorded device gets, so that its file can go over a plain transport.
    """
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    stamps = {"version": 1, "created_at": now, "updated_at": now}
    fleet = Fleet([], [], [], [])
    site = customer = None
    for index in range(count):
        if index % PHONES_PER_SITE == 0:
            number = index // PHONES_PER_SITE
            customer = Customer(id=ObjectId(), reference=f"STORM-{number:05d}", name=f"Client {number}", **stamps)
            site = Site(id=ObjectId(), customer=customer, name=f"Site {number}", address=f"{number} rue de la Paix",
                        postcode="75002", city="Paris", departement="75", zone="metropolitan",
                        allowed_networks=["127.0.0.0/8"], **stamps)
            fleet.customers.append(customer)
            fleet.sites.append(site)
        line = Line(id=ObjectId(), customer=customer, site=site, extension=f"{1000 + index % PHONES_PER_SITE}",
                    number=f"+331{40000000 + index:08d}", display_name=f"Poste {index}",
                    sip_username=f"u{index:011d}", sip_password_enc=box.encrypt(random_secret(16)), voicemail=True,
                    **stamps)
        phone = Equipment(id=ObjectId(), serial=f"STORM-{index:07d}", mac=f"805ec0{index:06x}", vendor="yealink",
                          model="T46U", kind="phone", ownership="lent", state="in_service", customer=customer,
                          site=site, lines=[line], admin_password_enc=box.encrypt(random_secret(20)),
                          config_key_enc=box.encrypt(new_device_key("yealink")), **stamps)
        fleet.lines.append(line)
        fleet.phones.append(phone)
    return fleet


def insert_fleet(database: pymongo.database.Database, fleet: Fleet) -> None:
    """Insert the fleet in bulk, in the stored form the application writes (text references)."""
    for document_class, records in ((Customer, fleet.customers), (Site, fleet.sites), (Line, fleet.lines),
                                    (Equipment, fleet.phones)):
        collection = database[document_class._get_collection_name()]
        stored = [record.to_mongo().to_dict() for record in records]
        for start in range(0, len(stored), 1000):
            collection.insert_many(stored[start:start + 1000], ordered=False)
    # Written behind the server's back: tell its caches, as every write through the records does.
    database[Generation._get_collection_name()].update_one({"_id": RECORDS}, {"$inc": {"value": 1}}, upsert=True)


def render_files(fleet: Fleet, settings: Any, box: SecretBox, folder: Path) -> int:
    """Each phone's own file as the server sends it over plain HTTP and TFTP, into `folder`; total bytes.

    Rendered by the pipeline from the records in memory, then encrypted with the phone's key unless the
    settings send files in clear (provisioning.plain_device_files).
    """
    provisioner = Provisioner(Services(settings=settings, box=box, cookie_secret="bench"), VENDORS.values())
    encrypted = settings.provisioning.plain_device_files != "clear"
    folder.mkdir(parents=True)
    total = 0
    for phone in fleet.phones:
        body = provisioner.preview(phone, f"{phone.mac}.cfg", masked=False).body
        if encrypted:
            body = SCHEMES[phone.vendor].encrypt(body, box.decrypt(phone.config_key_enc))
        (folder / f"{phone.mac}.cfg").write_bytes(body)
        total += len(body)
    return total
