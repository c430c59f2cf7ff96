"""The rules' refusals in the user's language: a refusal's code and params (inventory/refusals.py) put into its
sentence of the catalogue (refusal.<subject>.<code>, provisioner/web/refusal_texts.py), a field's problem into
problem.<code>. A refusal or a problem without a code is said in the rules' English words.

A param is shown by its name: states and moves in the words of the refusal's subject (an item's, a ticket's),
lists joined, dates as the language writes them, a nested reason or refusal said in turn; any other as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from inventory.refusals import Reason, Refusal
from provisioner.web.messages import Translator
from provisioner.web.rendering import shown_date, shown_time

#: The catalogue keys of a subject's states and moves.
VOCABULARY = {"equipment": ("state.", "timeline.move."), "ticket": ("support.state.", "support.move."),
              "resync": ("state.", "timeline.move."), "appointment": ("appt.state.", "timeline.move."),
              "quarantine": ("state.", "timeline.move.")}
#: Where an input's choices have words (the others are shown as the values the form takes).
CHOICES = {"condition": "condition.", "result": "inspection.", "excuse": "support.excuse.",
           "service": "support.service.", "channel": "support.channel.", "ownership": "ownership."}

#: Params by what they hold.
STATES, MOVES, ITEM_STATES = {"state", "states"}, {"move", "used_for", "allowed"}, {"item_state", "item_states"}
FIELDS = {"field", "fields", "expected", "differing"}
KEYED = {"roles": "role.", "ownership": "ownership.", "actual": "ownership.", "result": "inspection.",
         "items": "appt.item.", "weekday": "appt.weekday.", "contract_state": "contract_state.", "unknown": ""}
#: Params that hold a date.
DATES = {"due_on", "day"}


class RefusalWords:
    """How one page says the refusals of one subject ("equipment", "ticket", "resync", "appointment",
    "quarantine") in one language;
    `zone` is where times are shown."""

    def __init__(self, t: Translator, subject: str, zone: ZoneInfo):
        self.t, self.subject, self.zone = t, subject, zone

    def refusal(self, refused: Refusal) -> str:
        """Why `refused` was refused, in the user's language (in English when it has no code)."""
        words = self if refused.subject == self.subject else RefusalWords(self.t, refused.subject, self.zone)
        return words.reason(refused.why)

    def reason(self, why: Reason | str) -> str:
        """A refusal's reason in the user's language (in English when it has no code)."""
        if not isinstance(why, Reason):
            return why
        return self.t(f"refusal.{self.subject}.{why.code}", **self.values(why.params))

    def problem(self, name: str, why: Reason | str) -> str:
        """What is wrong with the field `name`, in the user's language (in English when it has no code)."""
        if not isinstance(why, Reason):
            return why
        return self.t(f"problem.{why.code}", **self.values(why.params, name))

    def problems(self, problems: Mapping[str, Reason | str]) -> dict[str, str]:
        """Each field's problem in the user's language."""
        return {name: self.problem(name, why) for name, why in problems.items()}

    def field(self, name: str) -> str:
        """A field or input in words (its name when the catalogue has none)."""
        return self.t(f"field.{name}") if self.t.has(f"field.{name}") else name

    def values(self, params: Mapping[str, Any], field: str = "") -> dict[str, str]:
        """The params as the sentence shows them; `field` is the field a problem is about (for its choices)."""
        return {name: self.value(name, value, field) for name, value in params.items()}

    def value(self, name: str, value: Any, field: str = "") -> str:
        """One param as a sentence shows it, by its name (module docstring)."""
        prefix = self.prefix(name, field)
        if prefix is not None:
            return self.listed(value, lambda one: self.word(prefix, one))
        if name in FIELDS:
            return self.listed(value, self.field)
        if name in DATES:
            return shown_date(value, self.t) or self.t("refusal.no_date")
        if name == "until":
            return shown_time(value, self.t, self.zone) or self.t("refusal.no_date")
        if isinstance(value, Reason):
            return self.reason(value)
        if isinstance(value, Refusal):
            return self.refusal(value)
        if isinstance(value, (list, tuple)) and value and all(isinstance(one, Reason) for one in value):
            return self.listed(value, self.reason)
        return str(value)

    def prefix(self, name: str, field: str = "") -> str | None:
        """Where the catalogue has the words of a param's values (None: the param holds no such value)."""
        states, moves = VOCABULARY.get(self.subject, VOCABULARY["equipment"])
        if name in STATES:
            return states
        if name in ITEM_STATES:
            return "state."
        if name in MOVES:
            return moves
        if name == "choices":
            return CHOICES.get(field, "")
        return KEYED.get(name)

    def word(self, prefix: str, value: Any) -> str:
        """`value` in words (the catalogue's prefix + value), or as it is when the catalogue has none for it."""
        if value is None:
            return self.t("refusal.none")
        key = f"{prefix}{value}"
        return self.t(key) if prefix and self.t.has(key) else str(value)

    def listed(self, value: Any, say: Callable[[Any], str]) -> str:
        """One value said, or a list of them joined ("none" for an empty one)."""
        if isinstance(value, str) or not isinstance(value, Iterable):
            return say(value)
        return ", ".join(say(one) for one in value) or self.t("refusal.none")
