"""Reading numbers and text out of requests the way every route does.

``str.isdigit`` accepts '²' and 'Ⅻ'-like digits that ``int`` refuses, and an id beyond the
database's integer range makes the database raise: both used to be 500s. Ids here are ASCII
digits from 1 to MAX_ID (PostgreSQL's INTEGER), anything else is "no such thing".
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<mirror_id:space_id>`` in routes: any ASCII number, so that an id out of range still
    reaches the view (and its JSON 404 via :func:`is_id`) instead of werkzeug's HTML one."""

    def __init__(self, url_map: Any) -> None:
        super().__init__(url_map, fixed_digits=0)


def parse_int(raw: str | None, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """The number ``raw`` spells in ASCII digits if it lies in ``[low, high]``, else None."""
    if not raw or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if low <= value <= high else None


def is_id(value: object) -> bool:
    """A JSON value usable as a row id (not a bool, within the database's range)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; ours are all UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def iso(value: datetime | None) -> str | None:
    """RFC 3339, offset included."""
    value = aware(value)
    return None if value is None else value.isoformat()


def has_nul(text: str) -> bool:
    """PostgreSQL refuses NUL in text; requests carrying one are refused up front."""
    return "\x00" in text
