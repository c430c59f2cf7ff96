"""A demo fleet for trying the server: three customers (one in Corsica, one in Alsace-Moselle), ~50 lines, every vendor."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from inventory.admin_access import AdminAccessException
from inventory.catalogue import VENDORS
from inventory.contracts import Contract
from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor
from inventory.insurance import InsuranceCertificate
from inventory.lines import Line
from inventory.secret_box import SecretBox
from inventory.seizures import Seizure
from inventory.template_overrides import TemplateOverride
from provisioner.provisioning.device_secrets import issue_secrets

ACTOR = Actor.system("demo")
#: Organisationally unique identifiers of each vendor, so demo MACs look like the real thing.
OUIS = {"yealink": "805ec0", "polycom": "0004f2", "cisco": "00070e", "grandstream": "000b82",
        "snom": "000413", "fanvil": "0c383e", "openwrt": "9483c4", "mikrotik": "488f5a"}
PHONES = [(vendor, model) for vendor, models in VENDORS.items() for model, entry in models.items() if entry.kind == "phone"]


@dataclass(frozen=True)
class DemoSite:
    name: str
    address: str
    postcode: str
    city: str
    number_prefix: str  # the site's lines get numbers prefix + 2 digits
    lines: int
    router: tuple[str, str]
    network: str  # comma-separated address ranges


@dataclass(frozen=True)
class DemoCustomer:
    reference: str
    name: str
    siren: str
    sites: tuple[DemoSite, ...]


FLEET = (
    DemoCustomer("DEMO-CASANOVA", "Boulangerie Casanova", "812345676", (
        DemoSite("Ajaccio - fournil", "12 cours Napoléon", "20000", "Ajaccio", "04955112", 8, ("openwrt", "GL-MT6000"), "198.51.100.0/28"),
    )),
    DemoCustomer("DEMO-WEBER", "Transports Weber", "456789015", (
        DemoSite("Metz - entrepôt", "3 rue des Messageries", "57000", "Metz", "03876510", 10, ("mikrotik", "hEX-S"), "198.51.100.16/28"),
        DemoSite("Strasbourg - agence", "8 quai Kléber", "67000", "Strasbourg", "03882210", 7, ("openwrt", "Archer-C7"), "198.51.100.32/28"),
    )),
    DemoCustomer("DEMO-DURAND", "Cabinet Durand Avocats", "390123453", (
        DemoSite("Paris - siège", "40 rue du Faubourg Saint-Honoré", "75008", "Paris", "01426610", 25, ("mikrotik", "RB5009"), "198.51.100.48/28,127.0.0.0/8"),
    )),
)
SPARE_STOCK = 2  # unassigned items of each phone model, plus one adapter of each model


def load_demo(box: SecretBox, today: dt.date | None = None) -> str:
    """Create the demo fleet unless it is already there; returns a one-line summary."""
    if Customer.objects(reference=FLEET[0].reference).first() is not None:
        return "demo data already loaded; nothing changed"
    today = today or dt.date.today()
    serials = itertools.count(1)
    phones = itertools.cycle(PHONES)
    counts = {"customers": 0, "sites": 0, "lines": 0, "equipment": 0}
    for customer_spec in FLEET:
        customer = Customer(reference=customer_spec.reference, name=customer_spec.name, siren=customer_spec.siren,
                            email=f"telephonie@{customer_spec.reference.lower()}.example").insert(ACTOR)
        contract = Contract(customer=customer, reference=f"{customer_spec.reference}-C1", state="active",
                            order_date=today - dt.timedelta(days=400), go_live_date=today - dt.timedelta(days=380),
                            initial_period_months=36, monthly_service_fee_cents=1500 * 30,
                            monthly_equipment_fee_cents=500 * 30, setup_fee_cents=15000).insert(ACTOR)
        counts["customers"] += 1
        InsuranceCertificate(customer=customer, insurer="Mutuelle Démo Assurances",
                             policy_number=f"POL-{customer_spec.reference}", starts_on=today - dt.timedelta(days=365),
                             expires_on=today + dt.timedelta(days=180)).insert(ACTOR)
        for site_spec in customer_spec.sites:
            site = Site(customer=customer, name=site_spec.name, address=site_spec.address, postcode=site_spec.postcode,
                        city=site_spec.city, allowed_networks=site_spec.network.split(",")).insert(ACTOR)
            counts["sites"] += 1
            for index in range(site_spec.lines):
                line = Line(site=site, contract=contract, extension=f"{100 + counts['lines'] % 900}",
                            number=f"{site_spec.number_prefix}{index:02d}", display_name=f"Poste {index + 1}")
                line.set_sip_password(box)
                line.insert(ACTOR)
                counts["lines"] += 1
                _item(box, next(serials), *next(phones), site=site, lines=[line], state="in_service")
            _item(box, next(serials), *site_spec.router, site=site, state="in_service")
    router = Equipment.objects(site=site, kind="router").first()
    AdminAccessException(item=router, granted_by="support: demo", reason="Demo: the customer's IT firm asked for it",
                         granted_at=dt.datetime.combine(today, dt.time(10, 0), dt.timezone.utc)).insert(ACTOR)
    Seizure(item=router, notified_on=today - dt.timedelta(days=3), bailiff="Me Demo, commissaire de justice, Paris",
            notes="Demo: the customer's landlord").insert(ACTOR)
    TemplateOverride(scope="customer", customer=Customer.objects.get(reference="DEMO-DURAND"), vendor="yealink",
                     template="device.cfg.j2", comment="Demo: the shipped file, extended as an override would",
                     source="{% extends 'base:yealink/device.cfg.j2' %}\n").insert(ACTOR)
    for vendor, model in PHONES * SPARE_STOCK + [("grandstream", "HT802")]:
        _item(box, next(serials), vendor, model)
    counts["equipment"] = next(serials) - 1
    return ", ".join(f"{n} {what}" for what, n in counts.items()) + " loaded"


def _item(box: SecretBox, number: int, vendor: str, model: str, site: Site | None = None,
          lines: list[Line] | None = None, state: str = "in_stock") -> Equipment:
    item = Equipment(serial=f"DEMO-{vendor[:3].upper()}-{number:05d}", mac=f"{OUIS[vendor]}{number:06x}",
                     vendor=vendor, model=model, site=site, lines=lines or [], state=state)
    issue_secrets(item, box)
    return item.insert(ACTOR)
