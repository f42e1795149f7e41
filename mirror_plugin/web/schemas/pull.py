"""The cluster agent's pull-secret feed: the cursor it sends, and what it applies."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema

from mirror_plugin.i18n import N_
from mirror_plugin.web.schemas.base import Answer, Refusal

#: The largest cursor: the change counter is a signed 64-bit integer.
MAX_CURSOR = 2**63 - 1


def _ascii_digits(value: Any) -> Any:
    """What ``params.parse_int`` accepts; unlike a page number, an empty cursor is refused
    (leaving ``since`` out is how an agent asks for everything)."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("not a cursor")
    return int(value) if isinstance(value, str) else value


def _no_default(schema: dict[str, Any]) -> None:
    """Leaving ``since`` out is no value at all: the document names no default."""
    schema.pop("default", None)


class PullSecretsQuery(BaseModel):
    """Where the agent's previous answer left off."""

    since: Annotated[
        Annotated[int, Field(ge=0, le=MAX_CURSOR)] | None,
        BeforeValidator(_ascii_digits),
        Field(json_schema_extra=_no_default),
        Refusal(
            N_(
                "since must be the cursor a previous answer gave (a whole number, 0 or more); "
                "leave it out to get every namespace's Secret."
            )
        ),
        WithJsonSchema(
            {
                "type": "integer",
                "minimum": 0,
                "maximum": MAX_CURSOR,
                "description": "The cursor of the previous answer (400 unless a whole number); "
                "without it, every namespace of the cluster.",
            }
        ),
    ] = None


class SkippedNamespace(Answer):
    namespace: str
    error: str = Field(description="Why it has no Secret.")


class ClusterPullSecrets(Answer):
    """The pull Secrets the agent applies, and the cursor to send next time."""

    cursor: int = Field(ge=0, description="Send it as since= next time.")
    full: bool = Field(
        description="Every namespace of the cluster (no or a future cursor): the agent may "
        "delete Secrets of namespaces not listed."
    )
    secrets: list[dict[str, Any]] = Field(
        description="kubernetes.io/dockerconfigjson Secrets, one per namespace whose pull "
        "credentials changed."
    )
    skipped: list[SkippedNamespace] = Field(
        description="Namespaces whose Kubernetes name is not a DNS label."
    )
