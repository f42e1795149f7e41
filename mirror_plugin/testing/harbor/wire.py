"""The HTTP plumbing of the Harbor emulator: callers, requests, Harbor's error bodies, paging.

Shared by :mod:`.emulator` (projects, repositories, artifacts), :mod:`.robots` (robot
accounts) and :mod:`.registry` (the token service and ``/v2/``), so each stays readable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qsl, unquote

_T = TypeVar("_T")
_U = TypeVar("_U")

MAX_PAGE_SIZE = 100

_INTEGER = re.compile(r"^[+-]?\d+$")
_TRUE = {"1", "t", "true", "y", "yes", "on", "ok", "enabled", "checked", "selected"}
_FALSE = {"0", "f", "false", "n", "no", "off", "disabled"}


def _now() -> datetime:
    return datetime.now(UTC)


def _fmt(moment: datetime) -> str:
    """Harbor's (go-openapi strfmt.DateTime) format: UTC with milliseconds, e.g. ...50.890Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --------------------------------------------------------------------------- state


@dataclass
class _User:
    user_id: int
    username: str
    password: str
    admin: bool
    created: datetime


@dataclass(frozen=True)
class _Caller:
    """Who sent a request. Wrong credentials give the anonymous caller, as in Harbor."""

    kind: Literal["anonymous", "user", "robot"]
    user: _User | None = None
    name: str = ""
    projects: frozenset[str] | None = None  # a project robot's projects; None: system robot

    @property
    def authenticated(self) -> bool:
        return self.kind != "anonymous"

    @property
    def sees_all(self) -> bool:
        """Sysadmins and system robots (robots not limited to some projects)."""
        if self.kind == "robot":
            return self.projects is None
        return self.user is not None and self.user.admin


_ANONYMOUS = _Caller("anonymous")

# --------------------------------------------------------------------------- HTTP plumbing


class _ApiError(Exception):
    """Becomes Harbor's error body: ``{"errors":[{"code":...,"message":...}]}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _unprocessable(message: str) -> _ApiError:
    """go-swagger's parameter validation errors, which Harbor answers with 422."""
    return _ApiError(422, "UNPROCESSABLE_ENTITY", f"validation failure list:\n{message}")


def _bad_body(reason: str) -> _ApiError:
    return _ApiError(400, "BAD_REQUEST", f'parsing project body from "" failed, because {reason}')


@dataclass
class _Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    from_harbor: bool = True  # False for a reverse proxy's page: no session cookie then


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> _Response:
    """go-openapi's JSON producer: ``application/json`` and a trailing newline."""
    body = (json.dumps(payload, separators=(",", ":")) + "\n").encode()
    return _Response(status, body, "application/json", headers or {})


def _error(status: int, code: str, message: str) -> _Response:
    """Harbor's lib/http.SendError: the error array, a newline, and a charset in Content-Type."""
    body = json.dumps({"errors": [{"code": code, "message": message}]}, separators=(",", ":"))
    return _Response(status, (body + "\n").encode(), "application/json; charset=utf-8")


@dataclass
class _Request:
    method: str
    raw_path: str  # as sent, still percent-encoded
    raw_query: str
    headers: Mapping[str, str]
    body: bytes
    caller: _Caller
    params: dict[str, str]

    def arg(self, name: str) -> str | None:
        values = [v for k, v in parse_qsl(self.raw_query, keep_blank_values=True) if k == name]
        return values[0] if values else None

    def flag(self, name: str, default: bool | None = None) -> bool | None:
        """A boolean query parameter, parsed the way go-swagger (swag.ConvertBool) does."""
        value = self.arg(name)
        if value is None:
            return default
        if value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise _unprocessable(f'{name} in query must be of type boolean: "{value}"')

    def integer(self, name: str, default: int) -> int:
        value = self.arg(name)
        if value is None:
            return default
        if not _INTEGER.match(value):
            raise _unprocessable(f'{name} in query must be of type int64: "{value}"')
        return int(value)

    def header_flag(self, name: str) -> bool:
        return (self.headers.get(name) or "").lower() in _TRUE


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
