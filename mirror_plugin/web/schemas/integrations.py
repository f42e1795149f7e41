"""The registries API's models: connecting, changing, testing and removing a registry.

Passwords go in and never come out: a request may carry one, an answer only says
``has_password``. The models check JSON types and field names; the service then checks the
values with its own sentences (the name's form, the URL, whether the registry answers and
accepts the credentials, whether the name is free). The document states those limits too, so
callers know them beforehand.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    WithJsonSchema,
)
from pydantic.json_schema import SkipJsonSchema

from mirror_plugin.i18n import N_
from mirror_plugin.models import Health, RegistryKind, Scope
from mirror_plugin.registry.errors import Category
from mirror_plugin.web.schemas.base import HAS_NUL, NO_NUL, Answer, Body, Refusal
from mirror_plugin.web.schemas.shared import Count, Timestamp

#: The sentence a field of the wrong JSON type gets.
WRONG_TYPE = N_("%(key)s must be a %(type)s.")
#: A new registry's name, kind or URL left out, empty or null.
REQUIRED = N_("This field is required.")
#: A registry's name as the service accepts it, surrounding blanks trimmed.
NAME_PATTERN = r"^\s*[A-Za-z0-9][A-Za-z0-9._-]{0,99}\s*$"
ALIASES_WORDS = (
    "Other host[:port] names images use for this registry; the rule judges them as this "
    "registry. Omitted or null keeps the stored ones."
)


class IntegrationSearch(BaseModel):
    """The registry lists' query string."""

    q: Annotated[
        str,
        AfterValidator(str.strip),
        Refusal(HAS_NUL),
        WithJsonSchema(
            {
                "type": "string",
                "pattern": NO_NUL,
                "description": "Text the name or URL must contain (trimmed).",
            }
        ),
    ] = ""


# Every field may be null or left out (the stored value, or the default, is kept). Patterns,
# lengths and counts below are the document's only: the service checks them with its own
# sentences ("Use 1 to 100 letters…", "at most 20 aliases"), and a new registry's missing
# name, kind or URL is :data:`REQUIRED`, named by field.


def _nullable_as_types(schema: dict[str, Any]) -> None:
    """Each field as ``{"type": [..., "null"]}`` rather than pydantic's ``anyOf`` with a null
    branch and ``default: null``: the same meaning, in the shape the document always had
    (the fuzz run's boundary cases follow the shape)."""
    for field in schema["properties"].values():
        field.pop("default", None)
        branches = field.get("anyOf", [])
        rest = [branch for branch in branches if branch != {"type": "null"}]
        if len(branches) == 2 and len(rest) == 1 and isinstance(rest[0].get("type"), str):
            del field["anyOf"]
            field.update(rest[0], type=[rest[0]["type"], "null"])


class IntegrationUpdate(Body):
    """Fields to change; a field left out or null keeps the stored value. The registry is
    asked before anything is saved, so a URL it does not answer at, or credentials it refuses,
    are a 422 naming "url" or "password"."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_nullable_as_types)

    name: Annotated[
        StrictStr | None,
        Refusal(WRONG_TYPE, key="name", type="str"),
        Field(
            description="1 to 100 letters, digits, '.', '_', '-'.",
            json_schema_extra={"pattern": NAME_PATTERN},
        ),
    ] = None
    # Lax, so that the JSON string "harbor" is the kind (strict takes only the enum itself).
    kind: Annotated[
        RegistryKind | None,
        Refusal(N_("Choose Harbor or Docker Registry.")),
        Field(strict=False),
        WithJsonSchema(
            {
                "type": ["string", "null"],
                "enum": [*RegistryKind, None],
                "description": "harbor or docker (a Docker Registry).",
            }
        ),
    ] = None
    url: Annotated[
        StrictStr | None,
        Refusal(WRONG_TYPE, key="url", type="str"),
        Field(
            description="https://host[:port], no path (plain http only inside allow-listed "
            "networks); 422 when invalid or the registry does not answer.",
            json_schema_extra={"minLength": 1},
        ),
    ] = None
    username: Annotated[
        StrictStr | None,
        Refusal(WRONG_TYPE, key="username", type="str"),
        Field(json_schema_extra={"maxLength": 255}),
    ] = None
    password: Annotated[
        StrictStr | None,
        Refusal(WRONG_TYPE, key="password", type="str"),
        Field(description="Write-only. Required with a username (or a changed URL)."),
    ] = None
    verify_tls: Annotated[StrictBool | None, Refusal(WRONG_TYPE, key="verify_tls", type="bool")] = (
        None
    )
    ca_bundle: Annotated[
        StrictStr | None,
        Refusal(WRONG_TYPE, key="ca_bundle", type="str"),
        Field(description="PEM certificates to trust."),
    ] = None
    description: Annotated[
        StrictStr | None,
        Refusal(WRONG_TYPE, key="description", type="str"),
        Field(json_schema_extra={"maxLength": 2000}),
    ] = None
    share_pull_credentials: Annotated[
        StrictBool | None,
        Refusal(WRONG_TYPE, key="share_pull_credentials", type="bool"),
        Field(
            description="Platform Docker Registry only: put its credentials into the pull "
            "secrets of bound workspaces' namespaces. They reach the whole registry."
        ),
    ] = None
    aliases: Annotated[
        list[StrictStr] | None,
        Refusal(N_("aliases must be a list of strings (host[:port]).")),
        WithJsonSchema(
            {
                "anyOf": [
                    {
                        "type": "array",
                        "items": {"type": "string", "maxLength": 300},
                        "maxItems": 20,
                    },
                    {"type": "null"},
                ],
                "description": ALIASES_WORDS,
            }
        ),
    ] = None


def _needs_name_kind_and_url(schema: dict[str, Any]) -> None:
    """The document's words for :data:`REQUIRED`: a new registry needs a name, a kind and a
    URL, none of them null."""
    _nullable_as_types(schema)
    schema["required"] = ["name", "kind", "url"]
    for key in schema["required"]:
        field = schema["properties"][key]
        field["type"] = field["type"][0]
        if "enum" in field:
            field["enum"] = [value for value in field["enum"] if value is not None]


class IntegrationInput(IntegrationUpdate):
    """A registry to connect, or unsaved settings to try: name, kind and url are needed,
    fields it does not know are refused (422)."""

    model_config = ConfigDict(json_schema_extra=_needs_name_kind_and_url)


# -- answers ----------------------------------------------------------------------------------


class Integration(Answer):
    """A connected registry: a platform integration or a workspace's warehouse. Its password
    is never answered, only whether it has one."""

    id: int
    name: str
    kind: RegistryKind
    scope: Scope
    workspace_id: str | None = Field(description="The owning workspace (warehouses).")
    url: str
    registry_host: str
    aliases: list[str] = Field(description="Other names, as canonical host[:port] keys.")
    addresses: list[str] = Field(
        description="Addresses the host resolved to at the last save or sync."
    )
    username: str
    has_password: bool
    verify_tls: bool
    has_ca_bundle: bool
    description: str
    share_pull_credentials: bool
    health: Health
    last_error: str | None
    last_checked_at: Timestamp
    last_synced_at: Timestamp
    spaces: Count
    repositories: Count


class IntegrationList(Answer):
    items: list[Integration]


class FirstSync(Answer):
    """How the first sync went; a failed one keeps the registry and says why here."""

    ok: bool
    message: str


class IntegrationCreated(Integration):
    sync: FirstSync


class PullRobots(Answer):
    """A platform Harbor's pull robot accounts: deleted, and left to delete by hand."""

    model_config = ConfigDict(from_attributes=True)

    deleted: list[str]
    left: list[str]
    error: str | None


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class IntegrationDeleted(Answer):
    """What removing a registry removed with it."""

    deleted: int
    bindings_removed: Count
    # Left out of the answer (not null) unless a platform Harbor had pull robots.
    pull_robots: Annotated[
        PullRobots | SkipJsonSchema[None],
        Field(
            exclude_if=lambda robots: robots is None,
            json_schema_extra=_no_default,
            description="A platform Harbor's pull robot accounts; left out for other registries.",
        ),
    ] = None


class ConnectionReport(Answer):
    """What the registry answered to a connection test. Tenants see a category and a general
    sentence where the platform Admin sees the registry's own words."""

    model_config = ConfigDict(from_attributes=True)

    ok: bool
    message: str
    category: Category | None
    account: Annotated[
        str,
        WithJsonSchema({"type": "string", "enum": ["", "admin", "user", "robot", "anonymous"]}),
    ]
    version: str
    catalog: bool | None
