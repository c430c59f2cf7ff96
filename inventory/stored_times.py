"""How the database keeps times: to the millisecond, and naive in UTC when read back."""

from __future__ import annotations

import datetime as dt
from typing import Any


def to_millisecond(moment: dt.datetime) -> dt.datetime:
    """`moment` cut to the millisecond, as the database keeps it, so an answer equals a later read."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def as_utc(value: Any) -> dt.datetime | None:
    """A stored time as an aware UTC datetime (naive ones are UTC, as the database keeps them); None otherwise."""
    if not isinstance(value, dt.datetime):
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
