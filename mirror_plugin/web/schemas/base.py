"""How a request is read into its model, and refused in the API's own words.

The error shape does not change with the models: a field that fails says the sentence its
:class:`Refusal` names, in the reader's language (pydantic's own messages are English only),
as ``{"error": {"status", "message", "fields": {field: sentence}}}``. A query string that fails
is a 400 and a JSON body a 422, as the hand-written checks answered; a body that is not a JSON
object stays a 400 without ``fields``.

Query strings are read laxly but with our own number rule (:func:`whole_number`: ASCII digits
only, as :func:`mirror_plugin.params.parse_int`; pydantic alone would take ``" 5"``, ``"+5"``
and ``"5_000"``). Bodies are strict (:class:`Body`): ``"1"`` is not an id and ``true`` is not a
number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticUseDefault
from werkzeug.exceptions import HTTPException

from mirror_plugin.i18n import N_, gettext
from mirror_plugin.params import MAX_ID

M = TypeVar("M", bound=BaseModel)

#: Query parameters holding a NUL character are refused with 400 before any model runs
#: (``web.views``); the document says so, so schemathesis does not send one as valid.
NO_NUL = "^[^\\u0000]*$"
#: What ``web.views`` answers (400) for a NUL in any query or form value, before any model: the
#: one way a free-text query parameter can be refused, so that is the sentence its field carries.
HAS_NUL = N_("The request contains a NUL character; remove it.")
NOT_A_JSON_OBJECT = N_("Send a JSON object (Content-Type: application/json).")
UNKNOWN_FIELDS = N_("Unknown fields: %(fields)s.")
WHOLE_NUMBER = N_("'%(name)s' must be a whole number from %(low)s to %(high)s.")
ID_LIST = N_("'%(key)s' must be a list of %(type)s ids.")


class Refusal:
    """The sentence a request gets when the field it annotates is wrong: a msgid of the
    catalogue and its arguments, translated when the request is refused.

    ``cases`` gives another msgid for one kind of pydantic error (``"string_too_long"``), where
    the hand-written check said two sentences for one field. ``status`` is for a field whose
    refusal was another status than its part of the request's (a body field refused with 400, a
    query flag with 422): the first failing field's status is the answer's.
    """

    def __init__(
        self,
        msgid: str,
        *,
        status: int | None = None,
        cases: Mapping[str, str] | None = None,
        **arguments: Any,
    ) -> None:
        self.msgid = msgid
        self.status = status
        self.cases = dict(cases or {})
        self.arguments = arguments

    def text(self, kind: str = "") -> str:
        """The sentence for an error of pydantic type ``kind``, in the reader's language."""
        return gettext(self.cases.get(kind, self.msgid), **self.arguments)


class RequestRefused(HTTPException):
    """A request its model refused; ``web.views`` answers it in the API's error shape, with
    ``fields`` on a 422."""

    def __init__(self, code: int, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(description=message)
        self.code = code
        self.fields = fields


def refusal_of(model: type[BaseModel], name: str) -> Refusal | None:
    """The :class:`Refusal` a field of ``model`` carries, if any."""
    info = model.model_fields.get(name)
    found = [m for m in info.metadata if isinstance(m, Refusal)] if info else []
    return found[0] if found else None


def refused(error: ValidationError, model: type[BaseModel], code: int) -> RequestRefused:
    """``error`` as the API states it: the first failing field's sentence, and (on a 422)
    every failing field's sentence by name. Fields a closed model does not know are named
    together in one sentence."""
    fields: dict[str, str] = {}
    statuses: dict[str, int] = {}
    unknown: list[str] = []
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else ""
        if problem["type"] == "extra_forbidden":
            unknown.append(name)
            continue
        said = refusal_of(model, name)
        fields.setdefault(name, said.text(problem["type"]) if said else problem["msg"])
        statuses.setdefault(name, said.status if said and said.status else code)
    if unknown:
        fields = {
            name: gettext(UNKNOWN_FIELDS, fields=", ".join(sorted(unknown))) for name in unknown
        } | fields
    first_name, first = next(iter(fields.items()))
    code = statuses.get(first_name, code)
    return RequestRefused(code, first, fields if code == 422 else None)


def parse_query(model: type[M], args: Mapping[str, str]) -> M:
    """The query string as ``model`` (the first value of a repeated parameter, as
    ``request.args.get`` reads it; parameters the model does not name are ignored), or a 400."""
    try:
        return model.model_validate({k: args[k] for k in args if k in model.model_fields})
    except ValidationError as error:
        raise refused(error, model, 400) from None


def parse_body(model: type[M], body: Any) -> M:
    """A decoded JSON body as ``model``: 400 unless a JSON object, 422 naming the fields."""
    if not isinstance(body, dict):
        raise RequestRefused(400, gettext(getattr(model, "not_an_object", NOT_A_JSON_OBJECT)))
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise refused(error, model, 422) from None


# -- query-string types -----------------------------------------------------------------------


def _ascii_digits(value: Any) -> Any:
    """What ``params.parse_int`` accepts: ASCII digits ('²' and ' 5' are not numbers here);
    an empty value is the default."""
    if value == "":
        raise PydanticUseDefault()
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("not a whole number")
    return int(value) if isinstance(value, str) else value


def whole_number(name: str, low: int, high: int, description: str) -> Any:
    """A query parameter of ASCII digits from ``low`` to ``high``, or empty for the default."""
    return Annotated[
        int,
        BeforeValidator(_ascii_digits),
        Field(ge=low, le=high),
        Refusal(WHOLE_NUMBER, name=name, low=low, high=high),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "integer", "minimum": low, "maximum": high},
                    {"type": "string", "maxLength": 0},
                ],
                "description": description,
            }
        ),
    ]


def text(description: str, pattern: str | None = None) -> Any:
    """A free-text query parameter, trimmed."""
    schema: dict[str, Any] = {"type": "string", "pattern": NO_NUL, "description": description}
    if pattern:
        schema = {"allOf": [{"type": "string", "pattern": pattern}, schema]}
    return Annotated[str, AfterValidator(str.strip), WithJsonSchema(schema)]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("blank")
    return value.strip()


Namespace = Annotated[
    str,
    AfterValidator(_not_blank),
    Refusal(N_("Choose a namespace first (namespace=cluster/name).")),
    WithJsonSchema(
        {
            "allOf": [{"type": "string", "pattern": r"\S"}, {"pattern": NO_NUL}],
            "description": "Kubernetes namespace id, e.g. cluster-1/team-a (400 when blank; "
            "404 when the caller may not use it or it does not exist).",
        }
    ),
]

PageNumber = whole_number("page", 1, 10**6, "Page number (1-based); 400 out of range.")


# -- JSON bodies --------------------------------------------------------------------------------

#: A row id in a JSON body: a JSON integer (not a bool, not a string) the database can hold.
RowId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


class Body(BaseModel):
    """A request body: strict types, unknown fields ignored (a closed body says
    ``extra="forbid"``, which answers :data:`UNKNOWN_FIELDS`)."""

    model_config = ConfigDict(strict=True)
    #: The 400's sentence when the body is not a JSON object (a route may name its fields).
    not_an_object: ClassVar[str] = NOT_A_JSON_OBJECT


class Answer(BaseModel):
    """A response body: built field by field by the view, nothing else in it."""

    model_config = ConfigDict(extra="forbid")
