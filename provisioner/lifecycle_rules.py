"""The lifecycle's rules as this server's settings read them: the calendar of the item's site and the charges.

The lifecycle table (inventory/lifecycle.py) asks for a `Rules` (inventory/lifecycle_plans.py: deadlines, today's
date, prices) without knowing where they come from; this builds one per item from the ``calendar.*`` and
``lifecycle.*`` settings and the département of the item's site. The site is read only when a move needs a
deadline.
"""

from __future__ import annotations

from collections.abc import Callable

from inventory.business_calendar import replacement_deadline, return_due_date
from inventory.equipment import Equipment
from inventory.lifecycle_plans import Refused, Rules
from inventory.refusals import because, field_problem
from provisioner.settings import Settings
from provisioner.ticket_calendar import business_hours


def rules_for(settings: Settings) -> Callable[[Equipment], Rules]:
    """A function giving the rules for one item under `settings`."""
    calendar = settings.calendar
    hours = business_hours(settings)
    prices = settings.lifecycle

    def for_item(item: Equipment) -> Rules:
        def departement() -> str:
            site = item.site
            if site is None or not site.departement:
                raise Refused(422, because("no_departement", f"equipment {item.serial} has no site with a département "
                                                             "to count its deadline in", serial=item.serial),
                              fields={"site": field_problem("needs_departement",
                                                            "the item needs a site with a département")})
            return site.departement

        return Rules(
            replacement_deadline=lambda noted_at: replacement_deadline(
                noted_at, departement(), calendar.replacement_hours, hours_def=hours),
            return_due=lambda contract_end: return_due_date(contract_end, departement(), hours),
            today=lambda moment: moment.astimezone(hours.timezone).date(),
            accessory_charge_cents=prices.accessory_charge_cents,
            damage_charge_cents=prices.damage_charge_cents,
            not_working_charge_cents=prices.not_working_charge_cents,
        )

    return for_item
