"""The admin pages' small rules: the page asked for, how many pages, refusals named in the user's language,
the expiry typed for a token, a token's state and the bodies a user form sends to the shared write functions."""

from __future__ import annotations

import datetime as dt

import pytest

from inventory.errors import InvalidRecord
from inventory.staff import ApiToken
from provisioner.web.admin.admin_forms import field_messages
from provisioner.web.admin.token_pages import days_asked, token_state
from provisioner.web.admin.user_pages import LABELS, UserEntries
from provisioner.web.messages import Translator
from provisioner.web.page_handler import PageError, asked_page, page_count

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("text, page", [("1", 1), ("7", 7), ("1000000", 1_000_000)])
def test_a_page_number_is_read(text: str, page: int) -> None:
    assert asked_page(text) == page


@pytest.mark.parametrize("text", ["0", "-1", "", "x", "1.5", "²", "1000001", "99999999999999999999"])
def test_anything_else_is_the_400_page(text: str) -> None:
    with pytest.raises(PageError) as refused:
        asked_page(text)
    assert refused.value.status_code == 400


@pytest.mark.parametrize("total, pages", [(0, 1), (1, 1), (50, 1), (51, 2), (100, 2), (100_000, 2000)])
def test_pages_hold_fifty_rows(total: int, pages: int) -> None:
    assert page_count(total) == pages


def test_refusals_are_named_in_the_users_language_and_the_password_policy_translated() -> None:
    refusal = InvalidRecord({"password": "Password is too short: expected at least 12 characters",
                             "language": "expected one of fr, en", "email": "not an email"})
    assert field_messages(refusal, Translator("fr"), LABELS) == {
        "password": "Mot de passe saisi : il est trop court, il faut au moins 12 caractères",
        "language": "Langue : expected one of fr, en",
        "email": "email : not an email",
    }
    assert field_messages(refusal, Translator("en"), LABELS)["password"] == (
        "Typed password: Password is too short: expected at least 12 characters")


@pytest.mark.parametrize("text, days", [("", None), ("  ", None), ("30", 30), (" 7 ", 7), ("0", 0),
                                        ("3651", 3651), ("1.5", "1.5"), ("trente", "trente"), ("²", "²"),
                                        ("12345678901", "12345678901")])
def test_the_expiry_typed_is_passed_on_for_the_shared_rule_to_judge(text: str, days: object) -> None:
    assert days_asked(text) == days


@pytest.mark.parametrize("revoked, expires, state", [
    (None, None, "active"),
    (None, NOW + dt.timedelta(days=1), "active"),
    (None, NOW - dt.timedelta(seconds=1), "expired"),
    (NOW - dt.timedelta(days=1), None, "revoked"),
    (NOW - dt.timedelta(days=1), NOW - dt.timedelta(days=2), "revoked"),  # revoked says more than expired
])
def test_a_tokens_state(revoked, expires, state) -> None:
    assert token_state(ApiToken(name="t", revoked_at=revoked, expires_at=expires), NOW) == state


def test_a_user_form_sends_what_the_api_takes() -> None:
    entries = UserEntries("nina", "Nina", ["support"], "en")
    assert entries.details() == {"display_name": "Nina", "roles": ["support"], "language": "en"}
    assert entries.creation("a long one-time pass") == {
        "username": "nina", "display_name": "Nina", "roles": ["support"], "language": "en",
        "password": "a long one-time pass", "must_change_password": True}
