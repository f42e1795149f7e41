"""The Warehouse Space API's models: spaces, bindings, workspaces, the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self, TypeAlias, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    WithJsonSchema,
)

from mirror_plugin import models
from mirror_plugin.i18n import N_
from mirror_plugin.models import Health, SpaceSort, SpaceTab
from mirror_plugin.params import iso
from mirror_plugin.web.schemas.base import (
    HAS_NUL,
    ID_LIST,
    NO_NUL,
    Answer,
    Body,
    PageNumber,
    Refusal,
    RowId,
    text,
    whole_number,
)
from mirror_plugin.web.schemas.shared import Count, Paging, Timestamp, WorkspaceRef

SPACE_INPUT = N_("Send 'name' (a string) and 'public' (true or false).")
#: services.spaces.HARBOR_PROJECT_NAME, with the blanks the service trims.
HARBOR_PROJECT = r"^\s*[a-z0-9]+(?:[._-][a-z0-9]+)*\s*$"


# -- query-string types -------------------------------------------------------------------------

DATE_OR_TIME = N_("'%(key)s' must be a date or time like 2026-11-27 or 2026-11-27T10:00:00.")
#: A query string's text can only be refused for a NUL character (before any model runs).
NUL_REFUSED = Refusal(HAS_NUL)


def _date_or_time(value: str) -> str:
    """Blank, or what ``datetime.fromisoformat`` reads (the audit log's filter does)."""
    if value:
        datetime.fromisoformat(value)  # ValueError: refused with the field's sentence
    return value


def _moment(key: str) -> Any:
    """An audit filter's bound: a date, a date-time, or blank for none."""
    return Annotated[
        str,
        AfterValidator(str.strip),
        AfterValidator(_date_or_time),
        Refusal(DATE_OR_TIME, key=key),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "string", "format": "date"},
                    {"type": "string", "format": "date-time"},
                    {"type": "string", "pattern": r"^\s*$"},
                ]
            }
        ),
    ]


if TYPE_CHECKING:
    # mypy reads a query field as the value the view gets; pydantic reads the Annotated types
    # below, which also validate, refuse and document it.
    Page: TypeAlias = int
    SpacesPerPage: TypeAlias = int
    AuditPerPage: TypeAlias = int
    Filter: TypeAlias = str
    Since: TypeAlias = str
    Until: TypeAlias = str
else:
    Page = PageNumber
    SpacesPerPage = whole_number("per_page", 1, 200, "Items per page, 1 to 200; 400 out of range.")
    AuditPerPage = whole_number("per_page", 1, 500, "Items per page, 1 to 500; 400 out of range.")
    #: Free text, trimmed; each field says what it filters.
    Filter = Annotated[text(""), NUL_REFUSED]
    Since, Until = _moment("since"), _moment("until")


# -- spaces -------------------------------------------------------------------------------------


class SpacesQuery(BaseModel):
    # The NUL pattern: like every query string's, refused (400) before the model reads it.
    tab: Annotated[
        SpaceTab,
        Refusal(N_("'tab' must be all, public or private.")),
        Field(description="Which spaces to list.", json_schema_extra={"pattern": NO_NUL}),
    ] = "all"
    sort: Annotated[
        SpaceSort,
        Refusal(N_("'sort' must be one of %(sorts)s."), sorts=", ".join(get_args(SpaceSort))),
        Field(description="Order of the list.", json_schema_extra={"pattern": NO_NUL}),
    ] = "name"
    q: Filter = Field("", description="Case-insensitive text the names must contain (trimmed).")
    page: Page = 1
    per_page: SpacesPerPage = 20


class SpaceInput(Body):
    """The new space (a Docker Registry's spaces cannot be created: 422)."""

    # The pattern and length are the document's only: the service says which rule failed.
    name: Annotated[
        StrictStr,
        Refusal(SPACE_INPUT),
        Field(
            description="Harbor project name: lower-case letters and digits separated by "
            "single '.', '_' or '-'.",
            json_schema_extra={"pattern": HARBOR_PROJECT, "maxLength": 255},
        ),
    ]
    public: Annotated[StrictBool, Refusal(SPACE_INPUT)] = False


class SpaceVisibility(Body):
    """The space's visibility."""

    public: Annotated[StrictBool, Refusal(N_("Send 'public': true or false."))]


class SpaceWorkspaces(Body):
    """Workspace ids (the host's; unknown ones are a 422). Empty unbinds all."""

    workspaces: Annotated[list[StrictStr], Refusal(ID_LIST, key="workspaces", type="str")]


class Space(Answer):
    """A space of a platform registry and the workspaces it is bound to."""

    id: int
    name: str
    public: bool
    repo_count: Count
    synced_at: Timestamp
    workspaces: list[WorkspaceRef]

    @classmethod
    def of(cls, space: models.Space, bound: list[str], names: Mapping[str, str]) -> Self:
        """``space`` bound to the workspace ids ``bound``, named as the host names them."""
        return cls(
            id=space.id,
            name=space.name,
            public=space.public,
            repo_count=space.repo_count,
            synced_at=iso(space.synced_at),
            workspaces=[WorkspaceRef(id=w, name=names.get(w, w)) for w in bound],
        )


class SpacePage(Paging):
    """A page of a registry's spaces, and how its last sync went."""

    items: list[Space]
    health: Health
    last_error: str | None
    last_synced_at: Timestamp


class SpaceDeleted(Answer):
    deleted: int
    unbound_workspaces: list[str]


# -- bindings -----------------------------------------------------------------------------------


class BindingsChange(Body):
    """Space ids of platform registries (404 otherwise) and workspace ids (unknown ones are a
    422 when binding)."""

    action: Annotated[
        Literal["bind", "unbind"], Refusal(N_("'action' must be bind or unbind."))
    ] = "bind"
    # minItems is the document's only: an empty list reaches the service, which says which.
    spaces: Annotated[
        list[RowId],
        Refusal(ID_LIST, key="spaces", type="int"),
        Field(json_schema_extra={"minItems": 1}),
    ]
    workspaces: Annotated[
        list[StrictStr],
        Refusal(ID_LIST, key="workspaces", type="str"),
        Field(json_schema_extra={"minItems": 1}),
    ]


class BindingChange(Answer):
    """What one operation did to one space."""

    model_config = ConfigDict(from_attributes=True)

    space_id: int
    space: str
    bound: list[str]
    unbound: list[str]
    workspaces: list[str] = Field(description="The space's bindings afterwards.")


class BindingChanges(Answer):
    changes: list[BindingChange]


class WorkspaceList(Answer):
    """The host's workspaces."""

    items: list[WorkspaceRef]


# -- the audit log ------------------------------------------------------------------------------

MOMENT = "{} (ISO 8601 date or time; UTC unless it has an offset; 400 otherwise)."


class AuditQuery(BaseModel):
    action: Filter = Field(
        "",
        description="An action, e.g. binding.changed (also matching the older binding.set, "
        "binding.bound and binding.unbound).",
    )
    actor: Filter = Field("", description="Exact user id.")
    space: Filter = Field("", description="Exact space name.")
    integration: Filter = Field("", description="Exact registry name.")
    workspace: Filter = Field("", description="A workspace id the event names.")
    since: Since = Field("", description=MOMENT.format("Not before"))
    until: Until = Field("", description=MOMENT.format("Not after"))
    page: Page = 1
    per_page: AuditPerPage = 50

    def filters(self) -> dict[str, str]:
        """The filters given, as the audit log's query reads them."""
        return {k: v for k, v in self.model_dump(exclude={"page", "per_page"}).items() if v}


class AuditEvent(Answer):
    """Who changed what, when."""

    id: int
    at: Annotated[str, Field(json_schema_extra={"format": "date-time"})]
    actor: str
    action: str
    integration: str
    space: str
    workspaces: list[str]
    detail: dict[str, Any]

    @classmethod
    def of(cls, event: models.AuditEvent) -> Self:
        return cls(
            id=event.id,
            at=iso(event.at) or "",
            actor=event.actor,
            action=event.action,
            integration=event.integration_name,
            space=event.space_name,
            workspaces=event.workspace_ids,
            detail=event.detail,
        )


class AuditPage(Answer):
    """A page of the audit log, newest first."""

    items: list[AuditEvent]
    total: Count
    page: Annotated[int, Field(ge=1)]
    pages: Annotated[int, Field(ge=1)]
