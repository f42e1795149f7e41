"""Harbor's list conventions, shared by every paginated endpoint of the emulator.

``page``/``page_size`` with ``page_size`` capped at 100 (a 422 above) and no limit at all for
``page_size<=0``; ``X-Total-Count`` and the *relative* ``Link`` header of ``handler/base.go``;
the ``q`` query language (``k=v`` exact, ``k=~v`` fuzzy) and ``sort=a,-b``. Projects,
repositories, artifacts and robots all page this way in Harbor, so a client's paging code is
checked once against the same rules whichever list it reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote

from mirror_plugin.testing.harbor.wire import _ApiError, _json, _Request, _Response, _unprocessable

_T = TypeVar("_T")
_U = TypeVar("_U")

MAX_PAGE_SIZE = 100


@dataclass
class _Paging:
    """page/page_size with Harbor's limits; builds X-Total-Count and the relative Link header."""

    request: _Request
    page: int
    size: int

    @classmethod
    def parse(cls, request: _Request) -> _Paging:
        page, size = request.integer("page", 1), request.integer("page_size", 10)
        if size > MAX_PAGE_SIZE:
            raise _unprocessable(
                f"page_size in query should be less than or equal to {MAX_PAGE_SIZE}"
            )
        return cls(request, max(page, 1), size)

    def respond(
        self, items: list[_T], serialize: Callable[[_T], dict[str, Any]], sort: str | None
    ) -> _Response:
        """One page of ``items``; only that page is serialised, unless ``sort`` needs them all."""
        total = len(items)
        if sort:
            chunk = self._cut(_sort([serialize(item) for item in items], sort))
        else:
            chunk = [serialize(item) for item in self._cut(items)]
        headers = {"X-Total-Count": str(total)}
        if link := self.links(total):
            headers["Link"] = link
        return _json(chunk, headers=headers)

    def _cut(self, items: list[_U]) -> list[_U]:
        if self.size <= 0:  # Harbor applies no limit then
            return items
        return items[(self.page - 1) * self.size : self.page * self.size]

    def links(self, total: int) -> str:
        """handler/base.go ``Links``: relative URLs, query keys sorted and left unescaped,
        ``prev`` only when the previous page has items, several links joined with " , "."""
        if self.size <= 0:
            return ""
        links = []
        if self.page > 1 and (self.page - 1) * self.size < total:
            links.append(self._link(self.page - 1, "prev"))
        if self.page * self.size < total:
            links.append(self._link(self.page + 1, "next"))
        return " , ".join(links)

    def _link(self, page: int, rel: str) -> str:
        values: dict[str, list[str]] = {}
        for key, value in parse_qsl(self.request.raw_query, keep_blank_values=True):
            values.setdefault(key, []).append(value)
        values["page"], values["page_size"] = [str(page)], [str(self.size)]
        query = "&".join(f"{key}={value}" for key in sorted(values) for value in values[key])
        return f'<{self.request.raw_path}?{query}>; rel="{rel}"'


def _parse_q(raw: str | None) -> dict[str, tuple[str, str]]:
    """Harbor's ``q``: ``k=v`` (exact) and ``k=~v`` (fuzzy) joined with ``,``; key -> (op, value).

    Ranges and lists are kept as exact values (they match nothing here)."""
    conditions: dict[str, tuple[str, str]] = {}
    for part in filter(None, unquote(raw or "").split(",")):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise _ApiError(
                400,
                "BAD_REQUEST",
                'the query string must contain "=" and the key/value cannot be empty',
            )
        fuzzy = value.startswith("~")
        conditions[key.strip()] = ("~" if fuzzy else "=", value[1:] if fuzzy else value)
    return conditions


def _matches(text: str, condition: tuple[str, str] | None) -> bool:
    if condition is None:
        return True
    op, value = condition
    return value in text if op == "~" else text == value


def _sort(items: list[dict[str, Any]], sort: str | None) -> list[dict[str, Any]]:
    """``sort=field1,-field2`` on scalar fields; unknown fields are ignored."""
    for key in reversed([k.strip() for k in (sort or "").split(",") if k.strip()]):
        name = key.lstrip("-")
        if items and all(isinstance(item.get(name), (str, int)) for item in items):
            items = sorted(items, key=lambda item: item[name], reverse=key.startswith("-"))
    return items
