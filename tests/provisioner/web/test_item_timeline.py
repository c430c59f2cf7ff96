"""An event of an item's history as a moment of the item page's timeline: its move, its states, and only the
notable inputs it changed."""

from __future__ import annotations

import datetime as dt

import pytest

from provisioner.web.warehouse.item_timeline import Moment, moment_of

AT = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(("row", "expected"), [
    ({"at": AT, "actor": "ines", "action": "create", "source": "import a.csv 01", "before": {},
      "after": {"state": "in_stock", "serial": "A-1", "notes": "new"}},
     Moment(AT, "ines", "create", None, None, "in_stock", "import a.csv 01", [("notes", "new")])),
    ({"at": AT, "actor": "ines", "action": "transition:ship", "source": "api",
      "before": {"state": "staged", "site": "s1", "admin_password_enc": "x"},
      "after": {"state": "shipped", "site": "s1", "carrier": "Colissimo", "tracking_number": "6A1",
                "shipped_accessories": ["cable"], "admin_password_enc": "y", "shipped_at": AT}},
     Moment(AT, "ines", "transition:ship", "ship", "staged", "shipped", "api",
            [("carrier", "Colissimo"), ("tracking_number", "6A1"), ("shipped_accessories", ["cable"])])),
    ({"at": None, "actor": None, "action": "update", "before": {"state": "in_stock", "notes": "a"},
      "after": {"state": "in_stock", "notes": ""}},
     Moment(None, "", "update", None, "in_stock", "in_stock", "", [])),
])
def test_an_event_as_a_moment(row, expected) -> None:
    assert moment_of(row) == expected
