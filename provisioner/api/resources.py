"""The records the API serves, declared as data: fields, filters, who may read and write, and secrets.

Handlers (`collections.py`) and the OpenAPI description (`openapi.py`) are both derived from these
declarations, so what is documented is what is served.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from inventory.admin_access import AdminAccessException
from inventory.catalogue import KINDS as EQUIPMENT_KINDS
from inventory.catalogue import VENDORS
from inventory.contracts import CONTRACT_STATES, Contract
from inventory.customers import ZONES, Customer, Site
from inventory.equipment import EQUIPMENT_STATES, OWNERSHIPS, Equipment
from inventory.errors import InvalidRecord
from inventory.insurance import InsuranceCertificate
from inventory.lifecycle_effects import REPLACEMENTS
from inventory.lifecycle_inputs import CONDITIONS, INSPECTION_RESULTS
from inventory.lines import Line
from inventory.passwords import check_password_policy, hash_password
from inventory.secret_box import random_secret
from inventory.seizures import SEIZURE_STATUSES, Seizure
from inventory.staff import LANGUAGES, ROLES, User
from inventory.template_overrides import MAX_SOURCE, SCOPES, TemplateOverride
from inventory.versioned import VersionedDocument
from provisioner.api.fields import Field
from provisioner.provisioning.device_secrets import secrets_due
from provisioner.provisioning.template_check import check_override_renders
from provisioner.services import Services

ALL_STAFF = ("admin", "support", "warehouse", "technician")
#: No role but admin (who may do everything) passes an empty role list.
ADMIN_ONLY: tuple[str, ...] = ()

#: Turns write-only values into stored fields before a write (the record is None on creation);
#: returns what to show the caller once, such as a generated password.
SecretHook = Callable[[Any, dict[str, Any], dict[str, Any], Services], dict[str, Any]]


@dataclass(frozen=True)
class Resource:
    """One collection of the API."""

    name: str
    document: type[VersionedDocument]
    fields: tuple[Field, ...]
    read_roles: tuple[str, ...]
    write_roles: tuple[str, ...]
    search: tuple[str, ...] = ()
    referrers: tuple[tuple[str, str], ...] = ()  # (resource, field) whose records block a delete
    secret_hook: SecretHook | None = None
    #: Checks a record about to be written beyond its fields (InvalidRecord when it must be refused).
    check_hook: Callable[[Any, Services], None] | None = None
    summary: str = ""

    def field(self, name: str) -> Field | None:
        """The declared field called `name`, if any."""
        return next((f for f in self.fields if f.name == name), None)


def _common(*fields: Field) -> tuple[Field, ...]:
    return (
        Field("id", "string", "Record id", writable=False),
        *fields,
        Field("version", "integer", "Increases with every change; send it back as If-Match to update safely", writable=False),
        Field("created_at", "datetime", "When the record was created", writable=False, sortable=True),
        Field("updated_at", "datetime", "When the record last changed", writable=False, sortable=True),
    )


def _moved(name: str, kind: str = "datetime", description: str = "", **more: Any) -> Field:
    """A field only the lifecycle's moves write (POST /api/v1/equipment/{id}/transitions/{move})."""
    return Field(name, kind, description or "Set by the lifecycle", writable=False, **more)


#: What the lifecycle records on an item, readable here and written only by its moves.
LIFECYCLE_FIELDS = (
    _moved("staged_at"), _moved("carrier", "string"), _moved("tracking_number", "string", filterable=True),
    _moved("shipped_at"), _moved("shipped_accessories", "string_list", "Accessories shipped, one entry per piece"),
    _moved("replaces", "ref", "The failed item this one replaces", ref="equipment", filterable=True),
    _moved("delivered_at", description="Delivered on the customer's premises: the risk passes (clause 3.7)"),
    _moved("delivery_proof", "string"), _moved("delivery_place", "string"),
    _moved("installed_at"), _moved("in_service_at"),
    _moved("failure_noted_at"), _moved("failure_description", "string"),
    _moved("replacement", "string", "due (within 72 hours) or quote (sold, out of warranty)", choices=REPLACEMENTS,
           filterable=True),
    _moved("replacement_due_at", description="72 hours after the failure was noted (contract clause 4)",
           sortable=True),
    _moved("contract_ended_on", "date"),
    _moved("return_due_on", "date", "First business day after the contract's end (clause 3.6)", sortable=True),
    _moved("overdue_since"), _moved("repossession_opened_at"), _moved("repossession_agent", "string"),
    _moved("repossession_costs_cents", "integer"),
    _moved("returned_at"), _moved("returned_accessories", "string_list"),
    _moved("return_condition", "string", choices=CONDITIONS),
    _moved("inspected_at"), _moved("inspection_result", "string", choices=INSPECTION_RESULTS),
    _moved("inspection_notes", "string"), _moved("refurbishing_since"), _moved("restocked_at"),
    _moved("written_off_at"), _moved("write_off_notes", "string"),
    _moved("warranty_end", description="Sold items: delivery + 12 months", sortable=True),
    _moved("setup_fees_paid_at"), _moved("title_transferred_at", description="Sold items: title passes"),
)


def _password(field: str, value: Any) -> str:
    """A password sent by a client, if it meets the policy; otherwise InvalidRecord naming the field."""
    if not isinstance(value, str):
        raise InvalidRecord({field: "expected a string"})
    try:
        check_password_policy(value)
    except ValueError as exc:
        raise InvalidRecord({field: str(exc)}) from None
    return value


def _line_secrets(line: Line | None, values: dict[str, Any], secrets: dict[str, Any], services: Services) -> dict[str, Any]:
    if "sip_password" in secrets:
        values["sip_password_enc"] = services.box.encrypt(_password("sip_password", secrets["sip_password"]))
    elif line is None:
        password = random_secret(16)
        values["sip_password_enc"] = services.box.encrypt(password)
        return {"sip_password": password}
    return {}


def _equipment_secrets(item: Equipment | None, values: dict[str, Any], secrets: dict[str, Any], services: Services) -> dict[str, Any]:
    vendor = str(values.get("vendor") or (item.vendor if item is not None else "")).strip().lower()
    values.update(secrets_due(vendor, item, services.box))
    return {}


def _user_secrets(user: User | None, values: dict[str, Any], secrets: dict[str, Any], services: Services) -> dict[str, Any]:
    services.auth_cache.clear()
    if user is not None:
        _keep_an_admin(user, values)
    if "password" in secrets:
        values["password_hash"] = hash_password(_password("password", secrets["password"]))
        values["session_epoch"] = (user.session_epoch + 1) if user is not None else 0
    elif user is None:
        raise InvalidRecord({"password": "is required to create a user"})
    elif values.get("active") is False and user.active:
        values["session_epoch"] = user.session_epoch + 1  # reactivating the account later revives no old session
    return {}


def _keep_an_admin(user: User, values: dict[str, Any]) -> None:
    """Refuse the change that would leave no active admin: nobody could manage staff accounts any more."""
    still_admin = "admin" in values.get("roles", user.roles) and values.get("active", user.active)
    if still_admin or not (user.active and "admin" in user.roles):
        return
    if User.objects(pk__ne=user.pk, roles="admin", active=True).first() is None:
        field = "active" if values.get("active") is False else "roles"
        raise InvalidRecord({field: "would leave no active admin: give another user the admin role first"})


def _override_renders(override: TemplateOverride, services: Services) -> None:
    check_override_renders(override, services.settings)


RESOURCES: dict[str, Resource] = {r.name: r for r in (
    Resource(
        "customers", Customer, _common(
            Field("reference", required=True, filterable=True, sortable=True, max_length=32,
                  description="The provider's customer reference, upper case (A-Z, 0-9, -)"),
            Field("name", required=True, sortable=True, max_length=200),
            Field("siren", description="French company number, 9 digits (checked)", filterable=True, max_length=11),
            Field("email", max_length=200), Field("phone", description="French number, stored as E.164", max_length=30),
            Field("billing_address", max_length=500), Field("notes", max_length=2000),
        ),
        read_roles=ALL_STAFF, write_roles=("support",), search=("reference", "name"),
        referrers=(("sites", "customer"), ("contracts", "customer"), ("insurance-certificates", "customer")),
        summary="Business customers",
    ),
    Resource(
        "sites", Site, _common(
            Field("customer", "ref", ref="customers", required=True, filterable=True),
            Field("name", required=True, sortable=True, max_length=200),
            Field("address", required=True, max_length=500),
            Field("postcode", required=True, filterable=True, sortable=True, max_length=5),
            Field("city", required=True, sortable=True, max_length=100),
            Field("departement", filterable=True, sortable=True, max_length=3,
                  description="Derived from the postcode (2A/2B for Corsica) unless given"),
            Field("zone", writable=False, filterable=True, choices=ZONES, description="Derived from the département"),
            Field("allowed_networks", "string_list", description="Address ranges (CIDR) the site's phones come from"),
            Field("contact_name", max_length=200), Field("contact_phone", max_length=30),
            Field("contact_email", max_length=200),
        ),
        read_roles=ALL_STAFF, write_roles=("support",), search=("name", "city"),
        referrers=(("lines", "site"), ("equipment", "site")),
        summary="Customer premises",
    ),
    Resource(
        "contracts", Contract, _common(
            Field("customer", "ref", ref="customers", required=True, filterable=True),
            Field("reference", required=True, filterable=True, sortable=True, max_length=32),
            Field("state", choices=CONTRACT_STATES, filterable=True, sortable=True),
            Field("order_date", "date", required=True, sortable=True, description="Equipment fees run from this date (clause 3.2)"),
            Field("go_live_date", "date", sortable=True, description="Date de Mise en Service: the initial period starts here"),
            Field("end_date", "date", sortable=True),
            Field("initial_period_months", "integer"), Field("renewal_period_months", "integer"),
            Field("monthly_service_fee_cents", "integer"), Field("monthly_equipment_fee_cents", "integer"),
            Field("setup_fee_cents", "integer"), Field("order_form_amount_cents", "integer"),
        ),
        read_roles=("support", "warehouse"), write_roles=("support",), search=("reference",),
        referrers=(("lines", "contract"),),
        summary="Service contracts",
    ),
    Resource(
        "lines", Line, _common(
            Field("customer", "ref", ref="customers", writable=False, filterable=True, description="The site's customer"),
            Field("site", "ref", ref="sites", required=True, filterable=True),
            Field("contract", "ref", ref="contracts", filterable=True),
            Field("extension", required=True, filterable=True, sortable=True, max_length=6),
            Field("number", filterable=True, sortable=True, max_length=30, description="Public number, stored as E.164"),
            Field("display_name", required=True, sortable=True, max_length=80),
            Field("sip_username", filterable=True, max_length=64, description="Random when not given"),
            Field("sip_password", write_only=True, description="Write-only; random when not given, shown once on creation"),
            Field("voicemail", "boolean"),
        ),
        read_roles=("support", "technician"), write_roles=("support",), search=("display_name", "extension"),
        referrers=(("equipment", "lines"),), secret_hook=_line_secrets,
        summary="Lines (user licences) and their SIP accounts",
    ),
    Resource(
        "equipment", Equipment, _common(
            Field("serial", required=True, filterable=True, sortable=True, max_length=64),
            Field("mac", required=True, filterable=True, sortable=True, max_length=20,
                  description="Any common format; stored as 12 lower-case hex digits"),
            Field("vendor", required=True, filterable=True, sortable=True, choices=tuple(VENDORS)),
            Field("model", required=True, filterable=True, sortable=True, max_length=40),
            Field("kind", writable=False, filterable=True, choices=EQUIPMENT_KINDS, description="From the catalogue"),
            Field("ownership", choices=OWNERSHIPS, filterable=True),
            Field("state", writable=False, filterable=True, sortable=True, choices=EQUIPMENT_STATES,
                  description="Changed only through the lifecycle"),
            Field("customer", "ref", ref="customers", writable=False, filterable=True),
            Field("site", "ref", ref="sites", filterable=True),
            Field("lines", "ref_list", ref="lines", filterable=True),
            Field("notes", max_length=2000),
            *LIFECYCLE_FIELDS,
        ),
        read_roles=ALL_STAFF, write_roles=("warehouse",), search=("serial", "mac"),
        referrers=(("seizures", "item"), ("admin-access-exceptions", "item"), ("equipment", "replaces")),
        secret_hook=_equipment_secrets,
        summary="Phones, routers and adapters",
    ),
    Resource(
        "users", User, _common(
            Field("username", required=True, filterable=True, sortable=True, max_length=64),
            Field("display_name", max_length=120), Field("email", max_length=200),
            Field("roles", "string_list", required=True, description=f"Any of {', '.join(ROLES)}"),
            Field("language", choices=LANGUAGES), Field("active", "boolean", filterable=True),
            Field("must_change_password", "boolean"),
            Field("password", write_only=True, description="Write-only; at least 12 characters"),
        ),
        read_roles=ADMIN_ONLY, write_roles=ADMIN_ONLY, search=("username", "display_name"),
        secret_hook=_user_secrets,
        summary="Staff accounts (admin only)",
    ),
    Resource(
        "template-overrides", TemplateOverride, _common(
            Field("scope", required=True, choices=SCOPES, filterable=True),
            Field("customer", "ref", ref="customers", filterable=True, description="For scope customer"),
            Field("site", "ref", ref="sites", filterable=True, description="For scope site"),
            Field("vendor", required=True, choices=tuple(VENDORS), filterable=True, sortable=True),
            Field("template", required=True, filterable=True, sortable=True, max_length=200,
                  description="Path inside phone_templates/<vendor>/, e.g. device.cfg.j2; "
                              "extend the shipped one with {% extends 'base:<vendor>/<template>' %}"),
            Field("source", required=True, max_length=MAX_SOURCE, description="Jinja2 source; refused if any file fails to render"),
            Field("comment", max_length=500),
        ),
        read_roles=("support",), write_roles=ADMIN_ONLY, search=("template",), check_hook=_override_renders,
        summary="Configuration template overrides per customer or site",
    ),
    Resource(
        "seizures", Seizure, _common(
            Field("item", "ref", ref="equipment", required=True, filterable=True),
            Field("notified_on", "date", required=True, sortable=True, description="When the seizure was notified"),
            Field("bailiff", required=True, max_length=200, description="The bailiff (huissier) and their office"),
            Field("status", choices=SEIZURE_STATUSES, filterable=True, sortable=True),
            Field("released_on", "date", sortable=True, description="When the item was released (status released)"),
            Field("notes", max_length=2000),
        ),
        read_roles=("support", "warehouse"), write_roles=("support",), search=("bailiff",),
        summary="Seizure notices on equipment (contract clause 3.8)",
    ),
    Resource(
        "admin-access-exceptions", AdminAccessException, _common(
            Field("item", "ref", ref="equipment", required=True, filterable=True),
            Field("granted_by", required=True, filterable=True, max_length=200,
                  description="Who at the provider granted the access"),
            Field("granted_at", "datetime", required=True, sortable=True),
            Field("reason", required=True, max_length=2000),
            Field("revoked_at", "datetime", sortable=True, description="When the access was withdrawn"),
        ),
        read_roles=("support", "warehouse"), write_roles=("support",), search=("granted_by",),
        summary="Administrator access granted on a device despite clause 8.6, at the customer's risk",
    ),
    Resource(
        "insurance-certificates", InsuranceCertificate, _common(
            Field("customer", "ref", ref="customers", required=True, filterable=True),
            Field("insurer", required=True, sortable=True, max_length=200),
            Field("policy_number", required=True, filterable=True, max_length=80),
            Field("starts_on", "date", required=True, sortable=True),
            Field("expires_on", "date", required=True, sortable=True),
        ),
        read_roles=("support", "warehouse"), write_roles=("support",), search=("insurer", "policy_number"),
        summary="Customers' insurance of the equipment they hold (contract clause 3.7)",
    ),
)}
