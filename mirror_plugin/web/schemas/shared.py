"""Models more than one area answers with: the error, decisions and FAQ checks (deploy hook and
picker), a background job (registries, jobs and the picker's refresh), a workspace reference,
and the paging fields of every list; and ``?wait=``, which every route that starts a job reads."""

from __future__ import annotations

from typing import Annotated, Any, NotRequired

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
)
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from mirror_plugin.i18n import N_
from mirror_plugin.models.jobs import JobStatus
from mirror_plugin.policy.rule import CheckStatus, Reason
from mirror_plugin.registry.errors import Category
from mirror_plugin.web.schemas.base import NO_NUL, Answer, Refusal

Count = Annotated[int, Field(ge=0)]
#: RFC 3339 with its offset, or null when the moment has not come (``params.iso``).
Timestamp = Annotated[str | None, Field(json_schema_extra={"format": "date-time"})]


class ErrorBody(TypedDict):
    """``fields`` and ``category`` are left out where they do not apply."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]  # pydantic's way

    status: Annotated[int, Field(ge=400, le=599)]
    message: str
    fields: NotRequired[
        Annotated[dict[str, str], Field(description="422: a sentence per field to fix.")]
    ]
    category: NotRequired[
        Annotated[Category, Field(description="502/504: what went wrong with the registry.")]
    ]


class Error(Answer):
    """Every error the API answers (its document's ``components/responses`` refer here); the
    handlers of ``web.views`` write it."""

    error: ErrorBody


class Paging(Answer):
    """The fields every paged list answers beside its items."""

    total: Count
    page: Annotated[int, Field(ge=1)]
    per_page: Annotated[int, Field(ge=1)]
    pages: Annotated[int, Field(ge=1)]


class WorkspaceRef(Answer):
    id: str
    name: str


class Decision(Answer):
    """The deploy hook's answer for one image: allowed or not, a stable reason code and a
    sentence for people."""

    model_config = ConfigDict(from_attributes=True)

    allowed: bool
    reason: Reason
    message: str
    image: str
    namespace: str
    workspace_id: str | None
    registry: str | None
    space: str | None


class Check(Answer):
    """One question of the FAQ, answered for a namespace and an image."""

    model_config = ConfigDict(from_attributes=True)

    key: str
    question: str
    status: CheckStatus
    answer: str


class Explanation(Answer):
    model_config = ConfigDict(from_attributes=True)

    decision: Decision
    checks: list[Check]


class JobError(Answer):
    category: Category
    message: str


class Job(Answer):
    """A background job: its progress while it runs, then its result or its error."""

    id: Annotated[int, Field(ge=1)]
    kind: str = Field(
        description="sync: a registry's spaces and repositories; refresh: one space's "
        "repositories, started from the picker.",
        json_schema_extra={"enum": ["sync", "refresh"]},
    )
    integration_id: Count
    space_id: Count | None = Field(description="The space a refresh lists (null for a sync).")
    status: JobStatus
    progress: dict[str, Any] = Field(
        description="What the work reported last: done, total and unit (spaces or "
        "repositories); empty before it started."
    )
    result: dict[str, Any] | None = Field(
        description="The job's report once it succeeded, with a summary sentence: a sync's "
        "total, added, removed, updated, unbound_workspaces and skipped_* counts; a refresh's "
        "repository count."
    )
    error: JobError | None
    attempts: Count
    created_at: Timestamp
    started_at: Timestamp
    finished_at: Timestamp
    status_url: str


def _flag(value: object) -> object:
    """true/false/1/0, any case and spaces around: what scripts sent before jobs existed."""
    if isinstance(value, str):
        said = value.strip().lower()
        if said not in ("true", "false", "1", "0"):
            raise ValueError("not true or false")
        return said in ("true", "1")
    return value


class WaitQuery(BaseModel):
    """Whether to wait for the background job the route starts."""

    wait: Annotated[
        bool,
        BeforeValidator(_flag),
        Field(json_schema_extra={"default": "false"}),
        # 422, not a query string's 400: what the check said before the models.
        Refusal(N_("wait must be true or false."), status=422),
        WithJsonSchema(
            {
                "type": "string",
                "enum": ["true", "false", "1", "0"],
                "pattern": NO_NUL,
                "description": "true: run the job (or wait for it) before answering, as before "
                "jobs existed.",
            }
        ),
    ] = False


class JobQuery(BaseModel):
    """Who follows a picker's refresh names the namespace it was started through."""

    namespace: Annotated[
        str,
        AfterValidator(str.strip),
        Refusal(N_("Choose a namespace first (namespace=cluster/name).")),
        WithJsonSchema(
            {
                "type": "string",
                "pattern": NO_NUL,
                "description": "A namespace through which the caller may see the space a "
                "refresh lists (the picker sends it); not needed for a sync.",
            }
        ),
    ] = ""
