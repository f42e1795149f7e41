"""Harbor's wire format, as the emulator reads requests and writes answers.

Every resource module raises :class:`_ApiError` and returns a :class:`_Response`; this module
turns them into the bytes a real Harbor sends: go-openapi's JSON (a trailing newline), the
``{"errors":[...]}`` body of ``lib/http.SendError`` with its charset, go-swagger's 422 for a
query parameter of the wrong type, Go's booleans (``swag.ConvertBool``) and timestamps
(``strfmt.DateTime``, milliseconds; ``0001-01-01...`` for "never"). Kept apart so that the
quirks a client has to cope with live in one place, whatever resource answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from mirror_plugin.testing.harbor.auth import _Caller

API_PREFIX = "/api/v2.0"
NEVER = "0001-01-01T00:00:00.000Z"  # Go's zero time: Harbor's pull_time for "never pulled"

_INTEGER = re.compile(r"^[+-]?\d+$")
_TRUE = {"1", "t", "true", "y", "yes", "on", "ok", "enabled", "checked", "selected"}
_FALSE = {"0", "f", "false", "n", "no", "off", "disabled"}


def _now() -> datetime:
    return datetime.now(UTC)


def _fmt(moment: datetime) -> str:
    """Harbor's (go-openapi strfmt.DateTime) format: UTC with milliseconds, e.g. ...50.890Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


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
