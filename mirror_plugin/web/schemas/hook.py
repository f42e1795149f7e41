"""The deploy hook's models: the namespace and image of a check, the images of a filter, and
the filter's answer (a check answers a Decision, an explanation an Explanation: shared)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from mirror_plugin.config import DEFAULTS
from mirror_plugin.i18n import N_
from mirror_plugin.web.schemas.base import NO_NUL, Answer, Body, Refusal
from mirror_plugin.web.schemas.shared import Decision

#: The default cap on images per filter call, which the document states; the configured one
#: (``MIRROR_FILTER_MAX_IMAGES``) is checked by the route, with its own sentence.
MAX_FILTER_IMAGES: int = DEFAULTS["MIRROR_FILTER_MAX_IMAGES"]
MAX_IMAGE_LENGTH = 4096

GIVE_NAMESPACE = N_("Give the namespace, e.g. namespace=cluster-1/team-a.")
GIVE_IMAGE = N_("Give the image reference, e.g. image=harbor.example.com/app:1.")
IMAGE_TOO_LONG = N_("The image reference is longer than 4096 characters.")
NAMESPACE_TEXT = (
    "Kubernetes namespace id, e.g. cluster-1/team-a (400 when missing or blank; 404 when the "
    "caller may not use it or it does not exist)."
)


def _not_blank(value: str) -> str:
    """A namespace of only spaces is none; a given one is looked up as sent."""
    if not value.strip():
        raise ValueError("blank")
    return value


#: The namespace of every hook call: a 400 when missing, blank or not a string (also in the
#: filter's body, where the other fields are a 422).
QueryNamespace = Annotated[
    str,
    AfterValidator(_not_blank),
    Refusal(GIVE_NAMESPACE, status=400),
    WithJsonSchema(
        {
            "allOf": [{"type": "string", "pattern": r"\S"}, {"pattern": NO_NUL}],
            "description": NAMESPACE_TEXT,
        }
    ),
]
BodyNamespace = Annotated[
    str,
    AfterValidator(_not_blank),
    Refusal(GIVE_NAMESPACE, status=400),
    WithJsonSchema({"type": "string", "pattern": r"\S", "description": NAMESPACE_TEXT}),
]


class ImageQuery(BaseModel):
    """Which image, for which namespace."""

    namespace: QueryNamespace
    image: Annotated[
        str,
        Field(min_length=1, max_length=MAX_IMAGE_LENGTH),
        Refusal(GIVE_IMAGE, cases={"string_too_long": IMAGE_TOO_LONG}),
        WithJsonSchema(
            {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_IMAGE_LENGTH,
                "pattern": NO_NUL,
                "description": "Image reference, e.g. harbor.example.com/team/app:1 (400 when "
                f"missing or longer than {MAX_IMAGE_LENGTH} characters).",
            }
        ),
    ]


class FilterBody(Body):
    """The namespace (400 when missing or blank) and the image references to decide."""

    not_an_object: ClassVar[str] = N_("Send a JSON object with 'namespace' and 'images'.")

    namespace: BodyNamespace
    # maxItems is the default of a setting: the route checks the configured cap, with its own
    # sentence (how many were sent, and to split the list).
    images: Annotated[
        list[str],
        Refusal(N_("'images' must be a list of image references (strings).")),
        Field(
            description="Image references, at most MIRROR_FILTER_MAX_IMAGES of them (422 "
            "beyond it; the setting's default is stated here).",
            json_schema_extra={"maxItems": MAX_FILTER_IMAGES},
        ),
    ]


class FilterResult(Answer):
    """The images the namespace may deploy, and a decision for each of the others."""

    model_config = ConfigDict(from_attributes=True)

    allowed: list[str] = Field(description="The images that may be deployed, in the order sent.")
    denied: list[Decision] = Field(description="A denial for each other image, in order.")
