"""JSON routes declared by their pydantic models, with no framework between.

``@declared(...)`` wraps a view (one view per HTTP method). Per request it runs the route's
gate first (who may call: 401/403/404 come before any 400/422), reads the query string and
the JSON body into their models (:func:`~mirror_plugin.web.schemas.base.parse_query`,
:func:`~mirror_plugin.web.schemas.base.parse_body`: the API's error shape, translated
sentences), passes them to the view as ``query=`` and ``body=``, and serialises the model the
view returns with pydantic-core. A view may return ``model``, ``(model, status)`` or
``(model, status, headers)``; anything else (a redirect, a file) passes through.

:func:`declared_operations` reads the declarations back from an app's URL map, so the OpenAPI
document (:mod:`.openapi`) follows the routes as mounted, prefix and methods included, with
nothing kept in step by hand. Model docstrings and field descriptions are the document's
words: write them for the API's readers.

Why not spectree, flask-openapi3 or flask-smorest: the plugin lives on a host's plain Flask
app under a configurable prefix and is mounted on many apps per process (the tests); those
want their own app class, cache one app's document, or answer errors in their own shape
(docs/design/json-api.md has the spike's figures).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Flask, Response, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel

from mirror_plugin.web.schemas.base import parse_body, parse_query

FLASK_PARAMETER = re.compile(r"<(?:(?P<converter>[^:<>]+):)?(?P<name>[^<>]+)>")
JSON = "application/json"


@dataclass(frozen=True)
class Declaration:
    """What a route declares: its models, and the words the document says beside them."""

    operation_id: str
    summary: str
    tag: str
    #: Status -> answer model; the first is what a bare model returned by the view answers.
    answers: Mapping[int, type[BaseModel]]
    errors: tuple[int, ...]
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    body_description: str = ""
    description: str | None = None
    #: Path parameter -> its description (the schema comes from the route's converter).
    path: Mapping[str, str] = field(default_factory=dict)
    #: Path parameter -> a schema narrower than its converter's (a DNS label, say).
    path_schemas: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    #: A security scheme other than the session's (e.g. "clusterToken").
    security: str | None = None
    #: Response headers the success answers send, name -> description.
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def status(self) -> int:
        return next(iter(self.answers))


def declared(
    operation_id: str,
    *,
    summary: str,
    tag: str,
    ok: type[BaseModel] | Mapping[int, type[BaseModel]],
    errors: tuple[int, ...] = (),
    gate: Callable[[], object] | None = None,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    **document: Any,
) -> Callable[[Callable[..., Any]], Callable[..., ResponseReturnValue]]:
    """Declare a JSON route: ``gate`` runs first, then ``query`` and ``body`` are read into
    their models and given to the view; the model it returns is serialised.

    ``ok`` is the answer's model (200), or status -> model (e.g. ``{202: Job, 200: Job}``).
    ``errors`` lists the route's own error statuses (400, 401 and 503 are always possible).
    Other keywords are :class:`Declaration`'s document fields.
    """
    answers = dict(ok) if isinstance(ok, Mapping) else {200: ok}
    declaration = Declaration(
        operation_id, summary, tag, answers, tuple(errors), query, body, **document
    )

    def decorate(view: Callable[..., Any]) -> Callable[..., ResponseReturnValue]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if gate is not None:
                gate()
            if query is not None:
                kwargs["query"] = parse_query(query, request.args)
            if body is not None:
                kwargs["body"] = parse_body(body, request.get_json(silent=True))
            return serialised(view(*args, **kwargs), declaration.status)

        wrapper.mirror_declared = declaration  # type: ignore[attr-defined]
        return wrapper

    return decorate


def path_argument(name: str) -> Any:
    """A path parameter of the current request, for a gate: gates run before the view is
    called with its arguments."""
    return (request.view_args or {})[name]


def serialised(answer: Any, status: int) -> ResponseReturnValue:
    """A view's answer as a response: models through pydantic-core, the rest as Flask does."""
    headers: Any = None
    if isinstance(answer, tuple) and answer and isinstance(answer[0], BaseModel):
        answer, status, *rest = answer
        headers = rest[0] if rest else None
    if isinstance(answer, BaseModel):
        return Response(answer.model_dump_json(), status, headers=headers, mimetype=JSON)
    passed: ResponseReturnValue = answer  # a redirect, a file: Flask makes it a response
    return passed


def declaration_of(app: Flask, endpoint: str) -> Declaration | None:
    view = app.view_functions.get(endpoint)
    found: Declaration | None = getattr(view, "mirror_declared", None)
    return found


@dataclass(frozen=True)
class DeclaredRoute:
    """A declared route as mounted: its OpenAPI path, method and converters."""

    path: str
    method: str
    converters: Mapping[str, str]
    declaration: Declaration


def declared_operations(app: Flask) -> Iterator[DeclaredRoute]:
    """Every declared route of ``app``, as mounted (URL prefix included)."""
    for rule in app.url_map.iter_rules():
        found = declaration_of(app, rule.endpoint)
        if found is None:
            continue
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        if len(methods) != 1:
            raise ValueError(
                f"{rule.rule} serves {methods} with one declared view: declare one view per method"
            )
        converters = {
            m["name"]: m["converter"] or "default" for m in FLASK_PARAMETER.finditer(rule.rule)
        }
        path = FLASK_PARAMETER.sub(lambda m: "{" + m["name"] + "}", rule.rule)
        yield DeclaredRoute(path, methods[0].lower(), converters, found)
