"""Counting a query's rows and its pages: the one way the space list, the audit log and the
picker's lists all page, so their ``total`` and ``pages`` always agree with each other."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import func, select

from mirror_plugin.state import session


def count_rows(query: Any) -> int:
    """How many rows ``query`` (a ``select``) returns, counted in the database."""
    return int(session().scalar(select(func.count()).select_from(query.subquery())) or 0)


def page_count(total: int, per_page: int) -> int:
    """Pages needed for ``total`` rows; an empty list still has its one (empty) page."""
    return max(1, math.ceil(total / per_page))
