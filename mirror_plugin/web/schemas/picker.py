"""The Select Image picker's models: what each of its lists reads from the query string, and
what it answers.

Every picker call names the namespace the deploy form chose; the lists narrow it further (a
tab, a registry, a space, a repository, a search text). A Refresh (POST) reads the same query
string as the listing it refreshes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, RootModel, WithJsonSchema
from pydantic_core import PydanticUseDefault

from mirror_plugin.i18n import N_
from mirror_plugin.models import Health, RegistryKind, Scope
from mirror_plugin.params import MAX_ID, parse_int
from mirror_plugin.web.schemas.base import (
    HAS_NUL,
    NO_NUL,
    Answer,
    Namespace,
    PageNumber,
    Refusal,
    text,
    whole_number,
)
from mirror_plugin.web.schemas.shared import Check, Count, Explanation, Paging, WorkspaceRef

#: Items a picker list answers per page unless ``per_page`` says otherwise.
PER_PAGE = 20
SPACE_NOT_FOUND = N_("No such space for this namespace.")
#: The picker's tabs (the catalogue's visibility tabs).
TabName = Literal["public", "private", "workspace"]
TABS: tuple[str, ...] = get_args(TabName)

# -- query strings ----------------------------------------------------------------------------


def _blank_is_none(value: Any) -> Any:
    return value or None


TAB_DESCRIPTION = (
    "only public spaces, private spaces bound to the workspace, or the workspace's own "
    "warehouses (empty: all of them)."
)


def _tab(description: str) -> Any:
    """A picker tab, or empty for all of them."""
    return Annotated[
        TabName | None,
        BeforeValidator(_blank_is_none),
        Refusal(N_("'tab' must be public, private or workspace.")),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "string", "enum": list(TABS)},
                    {"type": "string", "maxLength": 0},
                ],
                "description": description,
            }
        ),
    ]


def _registry_id(value: Any) -> Any:
    """A registry id as ``params.parse_int`` reads one; empty means every registry."""
    if value == "":
        raise PydanticUseDefault()
    found = parse_int(value) if isinstance(value, str) else value
    if found is None:
        raise ValueError("not a registry id")
    return found


RegistryFilter = Annotated[
    int | None,
    BeforeValidator(_registry_id),
    Refusal(N_("'registry' must be a registry id.")),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                {"type": "string", "maxLength": 0},
            ],
            "description": "Only this registry's spaces (400 unless a registry id).",
        }
    ),
]


def _space(description: str) -> Any:
    """A space id kept as the text it is: one that is not a number is the 404 an unknown or
    invisible space gets, not a 400, so the caller learns nothing from the difference."""
    return Annotated[
        str,
        Refusal(SPACE_NOT_FOUND),
        WithJsonSchema({"type": "integer", "minimum": 0, "description": description}),
    ]


def _text(description: str) -> Any:
    """Free text, trimmed."""
    return Annotated[text(description), Refusal(HAS_NUL)]


def _name(description: str) -> Any:
    """A name matched exactly as given (not trimmed: " a" is not the repository "a")."""
    return Annotated[
        str,
        Refusal(HAS_NUL),
        WithJsonSchema({"type": "string", "pattern": NO_NUL, "description": description}),
    ]


#: Which part of the visibility rule shows a space to the namespace.
Access = Literal["public", "bound", "warehouse"]

# mypy cannot read a type that a function builds; it checks the plain types below instead.
if TYPE_CHECKING:
    Page = int
    PerPage = int
    SpacesTab = TabName | None
    RepositoriesTab = TabName | None
    Search = str
    TagSearch = str
    Repository = str
    Image = str
    SpaceShown = str
    SpaceOfTags = str
else:
    Page = PageNumber
    PerPage = whole_number("per_page", 1, 100, "Items per page, 1 to 100; 400 out of range.")
    SpacesTab = _tab(TAB_DESCRIPTION.capitalize())
    RepositoriesTab = _tab("Without space: " + TAB_DESCRIPTION)
    Search = _text("Case-insensitive text the names must contain (trimmed).")
    TagSearch = _text("Text the tag must contain.")
    Repository = _name("Full repository name in that space (404 when unknown).")
    Image = _text("An image to explain (trimmed; optional).")
    SpaceShown = _space("Only this space (404 unless visible).")
    SpaceOfTags = _space("Id of a space the namespace may see (404 otherwise).")


def _document_defaults(schema: dict[str, Any]) -> None:
    """Leave out the defaults a parameter's schema cannot hold (an empty ``space`` on an
    integer, a null ``tab``): they mean "not given", which the document already says."""
    for prop in schema.get("properties", {}).values():
        if prop.get("default", 0) in ("", None) and prop.get("type") != "string":
            del prop["default"]


class PickerScope(BaseModel):
    """The namespace every picker call is scoped by."""

    model_config = ConfigDict(json_schema_extra=_document_defaults)

    namespace: Namespace


class PickerSpacesQuery(PickerScope):
    tab: SpacesTab = None
    registry: RegistryFilter = None
    q: Search = ""
    page: Page = 1
    per_page: PerPage = PER_PAGE


class PickerRepositoriesQuery(PickerScope):
    """A search across the visible spaces, or (``space``) one space's repositories. A
    Refresh (POST) needs ``space``: without a visible one it is a 404."""

    space: SpaceShown = ""
    tab: RepositoriesTab = None
    q: Search = ""
    page: Page = 1
    per_page: PerPage = PER_PAGE


def _tags_document(schema: dict[str, Any]) -> None:
    _document_defaults(schema)
    schema["required"] = ["namespace", "space", "repository"]
    for name in schema["required"]:
        schema["properties"][name].pop("default", None)


class PickerTagsQuery(PickerScope):
    """``space`` and ``repository`` are required: without either the answer is the 404 of a
    space or repository that does not exist."""

    model_config = ConfigDict(json_schema_extra=_tags_document)

    space: SpaceOfTags = ""
    repository: Repository = ""
    q: TagSearch = ""


class PickerFaqQuery(PickerScope):
    image: Image = ""


# -- answers ----------------------------------------------------------------------------------


class TabCounts(Answer):
    """How many spaces each of the picker's tabs shows."""

    public: Count
    private: Count
    workspace: Count


class PickerRegistry(Answer):
    """A registry as the picker shows it beside a space, a repository or a tag list."""

    id: int
    name: str
    kind: RegistryKind
    host: str = Field(description="host[:port] as image references spell it.")
    scope: Scope
    health: Health
    last_error: str | None
    age_seconds: Annotated[int, Field(ge=0)] | None = Field(
        description="Seconds since the last sync."
    )


class PickerContextRegistry(PickerRegistry):
    spaces: TabCounts = Field(description="Spaces the namespace may see here, per tab.")


class PickerContext(Answer):
    """Whom the picker serves: the namespace, its workspace, whether the user may deploy,
    and the registries with something visible."""

    namespace: str
    workspace: WorkspaceRef | None
    can_deploy: bool = Field(description="False for a viewer: browse, but not deploy.")
    notice: str | None
    csrf_token: str = Field(
        description="The session's CSRF token, for the X-Mirror-CSRF header of the picker's "
        "Refresh (POST)."
    )
    registries: list[PickerContextRegistry]


class PickerSpace(Answer):
    id: int
    name: str
    public: bool
    repo_count: Count
    access: Access = Field(
        description="Why the namespace sees it: public, bound to its workspace, or the "
        "workspace's own warehouse."
    )
    registry: PickerRegistry


class PickerSpacePage(Paging):
    items: list[PickerSpace]


class PickerRepository(Answer):
    name: str
    space_id: int
    space: str
    short_name: str
    artifact_count: Count | None
    registry: PickerRegistry
    image: str = Field(description="host/repository, ready for a tag.")


class PickerRepositoryPage(Paging):
    error: str | None = Field(
        description="The registry's failure on a refresh (POST); one generic sentence for "
        "anyone but the platform Admin."
    )
    items: list[PickerRepository]


class PickerTag(Answer):
    """One tag (or one untagged artifact) of a repository, newest first."""

    tag: str | None
    digest: str | None
    size: Count | None
    push_time: str | None
    index: bool = Field(description="A multi-platform image index.")
    platforms: list[str]
    type: str | None
    reference_tag: str | None = Field(description="host/repository:tag")
    reference_digest: str | None = Field(description="host/repository@digest")


class PickerTags(Answer):
    items: list[PickerTag]
    stale: bool = Field(description="Served from the cache after a registry failure.")
    error: str | None
    age_seconds: Count | None
    image: str
    registry: PickerRegistry


class Faq(Answer):
    """The FAQ for a namespace without an image: what it may see, and why."""

    decision: None
    checks: list[Check]
    visible: TabCounts


class PickerFaq(RootModel[Explanation | Faq]):
    """With an image, the deploy hook's explanation of it; without, the namespace's FAQ."""
