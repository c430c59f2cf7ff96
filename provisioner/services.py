"""What the request handlers share for the life of the process, passed to each one explicitly (no globals)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from inventory.secret_box import SecretBox
from provisioner.api.authentication import AuthCache
from provisioner.settings import Settings

if TYPE_CHECKING:
    from provisioner.report_cache import ReportCache


def _report_cache() -> ReportCache:
    from provisioner.report_cache import ReportCache  # imports the record models: not before they are needed

    return ReportCache()


@dataclass
class Services:
    """Settings, the secret box, and the per-process caches, handed to every handler at start-up."""

    settings: Settings
    box: SecretBox
    cookie_secret: str
    started_at: float = field(default_factory=time.monotonic)
    auth_cache: AuthCache = field(default_factory=AuthCache)
    #: What reports keep between requests (provisioner/report_cache.py).
    reports: ReportCache = field(default_factory=_report_cache)
