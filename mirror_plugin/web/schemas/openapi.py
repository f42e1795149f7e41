"""The API's own document, answered as a free-form JSON object."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class OpenAPI(BaseModel):
    """This API's OpenAPI 3.1 document (the one you are reading)."""

    # Free-form beyond these: the document is built, not modelled field by field.
    model_config = ConfigDict(extra="allow")

    openapi: str = Field(description="The OpenAPI version, 3.1.x.")
    info: dict[str, Any]
    paths: dict[str, Any]
