"""Template overrides stored per customer or site (inventory/template_overrides.py), applied when rendering.

A device's own files render in an environment whose loader looks in its site's overrides, then its
customer's, then the shipped templates (an override may extend "base:<vendor>/<template>"). Overrides are
few, so all of them are read in one query whenever the device cache starts a new epoch (an override
change drops the whole cache, which starts one), and each scope's environment is made once per epoch.
Shared files (a vendor's or a model's) are the same for every customer: overrides never reach them.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import jinja2

from inventory.template_overrides import TemplateOverride

#: Scopes' environments kept per epoch at most (each holds its compiled templates).
MAX_ENVIRONMENTS = 512


class OverrideEnvironments:
    """The environment each (customer, site) renders in, rebuilt when the cache's epoch moves."""

    def __init__(self, base: Callable[[], jinja2.Environment], epoch: Callable[[], int]):
        self._base, self._epoch = base, epoch
        self._lock = threading.Lock()
        self._seen_epoch: int | None = None
        self._sources: dict[str, dict[str, str]] = {}  # scope_key -> template name -> source
        self._environments: dict[tuple[Any, ...], jinja2.Environment] = {}

    def for_device(self, customer_id: str | None, site_id: str | None) -> jinja2.Environment:
        """The environment for a device of this customer and site (the base one when neither overrides)."""
        epoch = self._epoch()
        with self._lock:
            if epoch != self._seen_epoch:
                self._sources, self._environments, self._seen_epoch = _read_all(), {}, epoch
            keys = tuple(key for key in (f"customer:{customer_id}", f"site:{site_id}") if key in self._sources)
            if not keys:
                return self._base()
            environment = self._environments.get(keys)
            if environment is None:
                merged: dict[str, str] = {}
                for key in keys:  # the site last, so it wins
                    merged.update(self._sources[key])
                environment = with_overrides(self._base(), merged)
                if len(self._environments) < MAX_ENVIRONMENTS:
                    self._environments[keys] = environment
            return environment


def with_overrides(environment: jinja2.Environment, overrides: dict[str, str]) -> jinja2.Environment:
    """`environment` with `overrides` (template name -> source) looked up before its own templates."""
    return environment.overlay(loader=jinja2.ChoiceLoader([jinja2.DictLoader(overrides), environment.loader]))


def _read_all() -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    fields = {"scope_key": 1, "vendor": 1, "template": 1, "source": 1}
    for raw in TemplateOverride._get_collection().find({}, fields):
        found.setdefault(raw["scope_key"], {})[f"{raw['vendor']}/{raw['template']}"] = raw["source"]
    return found
