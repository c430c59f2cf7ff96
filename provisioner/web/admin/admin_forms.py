"""What the admin pages share: the page number asked for, paging sums, and the shared functions' refusals put
into the user's language next to the field they concern."""

from __future__ import annotations

from inventory.errors import InvalidRecord
from provisioner.web.messages import Translator
from provisioner.web.page_handler import PageError

PER_PAGE = 50
MAX_PAGE = 1_000_000


def asked_page(text: str) -> int:
    """The page number of ?page= (from 1), or the 400 page for anything else."""
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PAGE:
        raise PageError(400, "error.400")
    return int(text)


def page_count(total: int, per_page: int = PER_PAGE) -> int:
    """How many pages `total` rows fill (at least one, empty)."""
    return max(1, -(-total // per_page))


def field_messages(refusal: InvalidRecord, t: Translator, labels: dict[str, str]) -> dict[str, str]:
    """One message per refused field, named in the user's language: `labels` maps a field to its catalogue key
    (fields without one are named as the API names them); the password policy's rules are translated."""
    messages: dict[str, str] = {}
    for name, detail in refusal.fields.items():
        label = t(labels[name]) if name in labels else name
        messages[name] = t("users.problem", field=label, detail=t.policy(detail) if name == "password" else detail)
    return messages
