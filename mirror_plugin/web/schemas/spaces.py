"""The Warehouse Space API's models: spaces, bindings, workspaces, the audit log."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StrictStr

from mirror_plugin.i18n import N_
from mirror_plugin.web.schemas.base import ID_LIST, Answer, Body, Refusal, RowId


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
