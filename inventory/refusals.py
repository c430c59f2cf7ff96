"""Why the rules refuse a change, in a form a front end can word in its own language: a stable code and the
values its sentence is made of, beside the English text that the API answers and the logs keep unchanged.

The lifecycle (inventory/lifecycle*.py, transitions.py), the failure tickets (ticket_rules.py, ticket_moves.py)
and the re-sync queue raise subclasses of `Refusal`; the reason of a refusal is made with `because`, the problem
of one field with `field_problem`, each with a literal code (tests/provisioner/web/test_refusal_texts.py reads
them from the sources to check that the staff pages have a text for each). A reason given as plain text has no
code: a front end shows its English words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Reason:
    """Why, as a stable `code` and the `params` its sentence is made of, with its English `text`."""

    code: str
    text: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text


def because(code: str, text: str, **params: Any) -> Reason:
    """The reason of a refusal: `code`, its English `text`, and the values the text is made of."""
    return Reason(code, text, params)


def field_problem(code: str, text: str, **params: Any) -> Reason:
    """What is wrong with one field's value: `code`, its English `text`, and the values the text is made of."""
    return Reason(code, text, params)


class Refusal(Exception):
    """A change refused: `status` (403, 404, 409, 422...), the English `message` with its `code` and `params`
    (None and {} for a reason given as plain text), the record's `state` now when known, the `allowed` moves,
    and per field what is wrong: in English (`fields`, as the API answers it) and as reasons (`problems`)."""

    #: Whose states and moves the params name ("equipment", "ticket", "resync"): how a front end words them.
    subject: ClassVar[str] = ""

    def __init__(self, status: int, why: str | Reason, state: str | None = None, allowed: tuple[str, ...] = (),
                 fields: Mapping[str, str | Reason] | None = None):
        super().__init__(str(why))
        self.status, self.message, self.state, self.allowed = status, str(why), state, tuple(allowed)
        self.code = why.code if isinstance(why, Reason) else None
        self.params: dict[str, Any] = dict(why.params) if isinstance(why, Reason) else {}
        self.problems: dict[str, str | Reason] = dict(fields or {})
        self.fields = {name: str(problem) for name, problem in self.problems.items()}

    @property
    def why(self) -> str | Reason:
        """The reason as given (with its code when it has one), to raise the refusal again in another form."""
        return Reason(self.code, self.message, self.params) if self.code else self.message
