"""The Jinja2 environment of the staff pages (autoescaped) and how dates and times are shown in them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2

from provisioner.web.messages import Translator

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
    trim_blocks=True, lstrip_blocks=True,
)


def shown_date(value: object, t: Translator) -> str:
    """A date as this language writes it ("" for none)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.strftime(t("date.format")) if isinstance(value, dt.date) else ""


def shown_time(value: object, t: Translator, zone: ZoneInfo) -> str:
    """A moment in `zone` (stored times are UTC; naive ones too), as this language writes it ("" for none)."""
    if not isinstance(value, dt.datetime):
        return ""
    moment = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
    return moment.astimezone(zone).strftime(t("datetime.format"))
