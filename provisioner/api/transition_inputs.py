"""How the inputs of a transition (an equipment move, a ticket transition) read from a JSON body.

The table of each (inventory/lifecycle_inputs.py, inventory/ticket_rules.py) says which inputs there are and
judges their values; this only turns the JSON ones that need it into Python values (dates, times, record ids). A body
that is no JSON object is the handler's 400 (BaseHandler.json_body); an input that does not read is a 422, as
an input the table refuses, so both kinds of transition answer bad input alike (docs/failures.rst, lifecycle.rst).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inventory.refusals import Reason
from provisioner.api.base import ApiError
from provisioner.api.fields import Field, FieldProblem


class InputsRefused(ApiError):
    """Inputs that do not read (a 422): `fields` says what is wrong with each in English, as the API answers it,
    and `problems` the same with its code (inventory/refusals.py), as a staff page says it."""

    def __init__(self, problems: Mapping[str, str | Reason]):
        super().__init__(422, "some inputs are not valid", {name: str(why) for name, why in problems.items()})
        self.problems: dict[str, str | Reason] = dict(problems)


def parse_inputs(body: Any, kinds: Mapping[str, str]) -> dict[str, Any]:
    """The inputs in `body`, each one named in `kinds` (input name to field kind) read as that kind, the others
    left as they are for the table to judge; a 422 names every malformed one."""
    if not isinstance(body, dict):
        raise ApiError(422, "the inputs must be a JSON object", {"inputs": "expected an object"})
    given: dict[str, Any] = dict(body)
    problems: dict[str, str | Reason] = {}
    for name, value in body.items():
        if name not in kinds or value is None:
            continue
        try:
            given[name] = Field(name, kinds[name]).parse(value)
        except FieldProblem as exc:
            problems[name] = exc.why
    if problems:
        raise InputsRefused(problems)
    return given
