"""One page of a list: the one way every list pages (the Warehouse Space list, the audit log,
the picker's lists, the Image List), so their ``total`` and ``pages`` always agree.

:class:`Page` keeps the names of Flask-SQLAlchemy's ``Pagination`` (``items``, ``page``,
``per_page``, ``total``, ``pages``, ``has_prev``, ``has_next``), but :func:`paginate` is ours, not
``db.paginate``: that one returns only the first column of each row (the picker's lists select
a space *and* its registry), and a page past the end comes back empty, where our pages show the
last page, which needs the count before the rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select

from mirror_plugin.state import session

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """The rows of one page and the counts a pager shows."""

    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """Pages needed for ``total`` rows; an empty list still has its one (empty) page."""
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def counts(self) -> dict[str, int]:
        """The counts the JSON API answers beside ``items``."""
        return {
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "pages": self.pages,
        }


def paginate(
    query: Select[*tuple[Any, ...]],
    page: int,
    per_page: int,
    *,
    scalars: bool = True,
    past_end_shows_last: bool = True,
) -> Page[Any]:
    """One page of an ordered ``select``, counted in the database first.

    ``scalars`` keeps the first column of each row (a select of one entity); ``False`` keeps
    whole rows. A page past the end shows the last page unless ``past_end_shows_last`` is
    ``False`` (the picker's JSON answers the page asked for, empty).
    """
    total = int(
        session().scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    )
    page = _within(page, total, per_page, past_end_shows_last)
    rows = session().execute(query.limit(per_page).offset((page - 1) * per_page))
    items: list[Any] = list(rows.scalars()) if scalars else list(rows.all())
    return Page(items, page, per_page, total)


def page_of_counted(
    fetch: Callable[[int, int], tuple[int, Sequence[T]]],
    page: int,
    per_page: int,
    *,
    past_end_shows_last: bool = True,
) -> Page[T]:
    """One page of a list that counts itself, such as the search index: ``fetch(offset, limit)``
    answers (total, that slice). A page past the end costs a second fetch, of the last page."""
    page = max(1, page)
    total, found = fetch((page - 1) * per_page, per_page)
    last = _within(page, total, per_page, past_end_shows_last)
    if last != page:
        page = last
        total, found = fetch((page - 1) * per_page, per_page)
    return Page(list(found), page, per_page, total)


def _within(page: int, total: int, per_page: int, past_end_shows_last: bool) -> int:
    pages = Page([], 1, per_page, total).pages
    return max(1, min(page, pages) if past_end_shows_last else page)
