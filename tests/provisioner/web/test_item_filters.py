"""The equipment list's filters and paging: the query string read, the database filters a search may mean,
and where a page sits."""

from __future__ import annotations

import pytest

from provisioner.web.warehouse.item_filters import (
    COUNT_CAP,
    ItemFilter,
    Window,
    base_query,
    parse_filter,
    prefix_range,
    search_queries,
    window,
)


@pytest.mark.parametrize(("args", "expected", "problems"), [
    ({}, ItemFilter(), {}),
    ({"q": "  WH-1 ", "state": "staged", "vendor": "snom", "customer": " acme-01", "page": "3"},
     ItemFilter("WH-1", "staged", "snom", "ACME-01", 3), {}),
    ({"state": "sleeping"}, ItemFilter(), {"state": "items.bad_state"}),
    ({"vendor": "nokia"}, ItemFilter(), {"vendor": "items.bad_vendor"}),
    ({"q": "x" * 101}, ItemFilter(), {"q": "items.bad_search"}),
    ({"page": "0"}, ItemFilter(), {"page": "items.bad_page"}),
    ({"page": "²"}, ItemFilter(), {"page": "items.bad_page"}),
    ({"page": "99999999"}, ItemFilter(), {"page": "items.bad_page"}),
    ({"page": "-2", "state": "lost"}, ItemFilter(state="lost"), {"page": "items.bad_page"}),
])
def test_the_query_string_is_read_and_each_bad_value_left_out(args, expected, problems) -> None:
    assert parse_filter(args) == (expected, problems)


@pytest.mark.parametrize(("item_filter", "text"), [
    (ItemFilter(), ""),
    (ItemFilter(page=2), "page=2"),
    (ItemFilter("WH 1", "in_stock", "", "ACME-01"), "q=WH+1&state=in_stock&customer=ACME-01"),
])
def test_a_filter_gives_back_its_query_string(item_filter, text) -> None:
    assert item_filter.query_string() == text


def test_the_query_string_of_another_page() -> None:
    assert ItemFilter(state="lost", page=4).query_string(5) == "state=lost&page=5"


@pytest.mark.parametrize(("item_filter", "customer_id", "query"), [
    (ItemFilter(), None, {}),
    (ItemFilter(state="failed", vendor="snom"), None, {"state": "failed", "vendor": "snom"}),
    (ItemFilter(customer="ACME-01"), "64b7f0c2a1b2c3d4e5f60718", {"customer": "64b7f0c2a1b2c3d4e5f60718"}),
])
def test_the_equalities_of_a_filter(item_filter, customer_id, query) -> None:
    assert base_query(item_filter, customer_id) == query


@pytest.mark.parametrize(("text", "queries"), [
    ("", [{}]),
    ("EQ:WH-4", [{"serial": "WH-4"}]),
    (" WH-4 ", [{"serial": {"$gte": "WH-4", "$lt": "WH-5"}}]),
    ("wh-4", [{"serial": {"$gte": "wh-4", "$lt": "wh-5"}}, {"serial": {"$gte": "WH-4", "$lt": "WH-5"}}]),
    ("80:5E:C1:00:00:04", [{"serial": {"$gte": "80:5E:C1:00:00:04", "$lt": "80:5E:C1:00:00:05"}},
                           {"mac": "805ec1000004"}]),
    ("805ec1000004", [{"serial": {"$gte": "805ec1000004", "$lt": "805ec1000005"}}, {"mac": "805ec1000004"},
                      {"serial": {"$gte": "805EC1000004", "$lt": "805EC1000005"}}]),
])
def test_a_search_may_mean_a_label_a_serial_or_a_mac(text, queries) -> None:
    assert search_queries(text) == queries


@pytest.mark.parametrize(("prefix", "inside", "outside"), [
    ("WH-", ["WH-", "WH-1", "WH-999"], ["WH", "WH.", "WI", "wh-1"]),
    ("A9", ["A9", "A9Z"], ["A:", "B", "A8Z"]),
])
def test_a_prefix_range_holds_exactly_the_texts_that_start_with_it(prefix, inside, outside) -> None:
    bounds = prefix_range(prefix)
    for text in inside:
        assert bounds["$gte"] <= text < bounds["$lt"]
    for text in outside:
        assert not bounds["$gte"] <= text < bounds["$lt"]


@pytest.mark.parametrize(("page", "fetched", "counted", "cap", "expected"), [
    (1, 0, 0, COUNT_CAP, Window(1, 1, False, 0, False)),
    (1, 50, 50, COUNT_CAP, Window(1, 1, False, 50, False)),
    (1, 51, 120, COUNT_CAP, Window(1, 1, True, 120, False)),
    (3, 20, 120, COUNT_CAP, Window(3, 101, False, 120, False)),
    (2, 51, COUNT_CAP + 1, COUNT_CAP, Window(2, 51, True, COUNT_CAP + 1, True)),
    (1, 51, 100_000, None, Window(1, 1, True, 100_000, False)),  # an exact count is never capped
])
def test_where_a_page_sits(page, fetched, counted, cap, expected) -> None:
    assert window(page, fetched, counted, cap=cap) == expected


def test_only_pages_after_the_first_have_a_previous_one() -> None:
    assert not window(1, 10, 10).has_previous
    assert window(2, 10, 60).has_previous
