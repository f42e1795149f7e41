"""Container image references, parsed the way kubelet parses a Pod's ``image`` field.

Why a port instead of a prefix check or a home-grown regex: a deploy policy must decide
which registry and which project an image really comes from, and only the grammar the
container runtime uses (Go's ``github.com/distribution/reference``, ``ParseNormalizedNamed``)
gives that answer. ``harbor.example.com.evil.io/lib/app`` starts with ``harbor.example.com``
but is served by another host; ``nginx`` means ``docker.io/library/nginx``;
``index.docker.io`` is Docker Hub; a bare 64-hex string is not a name at all.

This module follows the Go code rule for rule (domain detection, Docker Hub
normalisation, path/tag/digest grammar, 255-character path limit, go-digest validation
with sha256, sha384 and sha512 registered). Regexes are ASCII-only and always fully
matched, as Go's are. Test vectors produced by the Go implementation live in
``tests/data/image-ref-vectors.json``.

One Go quirk is kept on purpose: when the first component looks like a host (it contains
``.`` or ``:``) but is not a valid domain, yet the whole name is a valid path (for example
``foo_bar.com/app``), Go returns an *empty* domain and puts everything in the path, while
the runtime still pulls from ``foo_bar.com``. Callers deciding on registries must
therefore treat ``domain == ""`` as "no recognised registry" and refuse it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_DOMAIN",
    "MAX_REFERENCE_LENGTH",
    "ImageReference",
    "InvalidReference",
    "parse_reference",
]

DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
OFFICIAL_REPO_PREFIX = "library/"
MAX_PATH_LENGTH = 255
#: A registry host: a DNS name (253) with a port, or a bracketed IPv6 literal with a port.
MAX_DOMAIN_LENGTH = 255
#: The longest reference accepted at all: domain, path, a 128-character tag and a sha512
#: digest, with separators. Longer input is refused before any regular expression runs and
#: never reaches the memo, so a megabyte "image" costs a length check.
MAX_REFERENCE_LENGTH = MAX_DOMAIN_LENGTH + 1 + MAX_PATH_LENGTH + 1 + 128 + 1 + 7 + 128

# Grammar of distribution/reference regexp.go, piece by piece.
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_IPV6_ADDRESS = r"\[[a-fA-F0-9:]+\]"  # no zone identifier, no embedded IPv4
_DOMAIN = rf"(?:{_DOMAIN_NAME}|{_IPV6_ADDRESS})(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PATH = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"\w[\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}"

_REFERENCE_RE = re.compile(
    rf"(?P<name>(?:{_DOMAIN}/)?{_PATH})(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?",
    re.ASCII,
)
_NAME_RE = re.compile(rf"(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_PATH})", re.ASCII)
_IDENTIFIER_RE = re.compile(r"[a-f0-9]{64}", re.ASCII)
_LOWER_HEX_RE = re.compile(r"[a-f0-9]+", re.ASCII)

# go-digest algorithms available once crypto/sha256 and crypto/sha512 are linked in
# (crypto/sha512 registers SHA-384 too), with their hex length.
_DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}

_FORMAT_HINT = "expected [registry[:port]/]path[:tag][@algorithm:hex]"


class InvalidReference(ValueError):
    """Raised with a sentence a person can act on.

    For example ``invalid reference format: repository name (library/NGINX) must be
    lowercase``. The text starts with the message the Go implementation gives.
    """


@dataclass(frozen=True, slots=True)
class ImageReference:
    """A parsed, normalised image reference (what ``ParseNormalizedNamed`` returns)."""

    domain: str  # 'docker.io', 'harbor.example.com:8443', '[::1]:5000'; '' see module doc
    path: str  # 'library/nginx', 'team/nested/app'
    tag: str | None = None
    digest: str | None = None  # 'sha256:<64 lower-case hex>'
    #: First component of the path: the Harbor project (``library`` for ``nginx``). Computed
    #: once, like ``string``: the visibility rule reads both on every decision.
    space: str = field(init=False, repr=False, compare=False)
    string: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "space", self.path.partition("/")[0])
        object.__setattr__(self, "string", self.name + _suffix(self.tag, self.digest))

    @property
    def name(self) -> str:
        """Domain and path (Go's ``Name()``; just the path when the domain is empty)."""
        return f"{self.domain}/{self.path}" if self.domain else self.path

    @property
    def familiar(self) -> str:
        """Short Docker-UI form (Go's ``FamiliarString``): docker.io and library/ dropped."""
        if self.domain != DEFAULT_DOMAIN:
            return self.string
        path = self.path
        rest = path.removeprefix(OFFICIAL_REPO_PREFIX)
        if rest != path and "/" not in rest:
            path = rest
        return path + _suffix(self.tag, self.digest)

    @property
    def repository(self) -> str:
        """The path after its first component; ``''`` when the path has one component."""
        return self.path.partition("/")[2]

    def __str__(self) -> str:
        return self.string


def parse_reference(text: str) -> ImageReference:
    """Parse ``text`` with ``ParseNormalizedNamed`` semantics; raise InvalidReference.

    Nothing is stripped: surrounding whitespace or a trailing newline makes the input
    invalid, exactly as it does for kubelet. References up to the length limit are memoised,
    invalid ones with their sentence: a platform deploys the same few thousand images over
    and over, and a broken manifest is retried just as often.
    """
    if not isinstance(text, str):
        raise InvalidReference(
            f"invalid reference format: expected a string, got {type(text).__name__}"
        )
    if len(text) > MAX_REFERENCE_LENGTH:
        raise InvalidReference(
            f"invalid reference format: {len(text):,} characters is longer than the "
            f"{MAX_REFERENCE_LENGTH} an image reference may have"
        )
    parsed = _parse_cached(text)
    if isinstance(parsed, str):
        raise InvalidReference(parsed)
    return parsed


@functools.lru_cache(maxsize=16384)
def _parse_cached(text: str) -> ImageReference | str:
    """The reference, or the sentence saying why it is invalid: a deploy hook retried with
    the same bad image is answered from the memo too, not by the regular expressions."""
    try:
        return _parse_text(text)
    except InvalidReference as exc:
        return str(exc)


def _parse_text(text: str) -> ImageReference:
    if _IDENTIFIER_RE.fullmatch(text):
        raise InvalidReference(
            f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings: "
            "this looks like an image ID; use name@sha256:<hex> instead"
        )
    domain, remainder = _split_docker_domain(text)
    remote = remainder.partition(":")[0]
    if remote.lower() != remote:
        raise InvalidReference(
            f"invalid reference format: repository name ({remote}) must be lowercase"
        )
    return _parse(f"{domain}/{remainder}", original=text)


def _split_docker_domain(text: str) -> tuple[str, str]:
    """Go's ``splitDockerDomain``: choose the registry, add Docker Hub defaults."""
    first, slash, rest = text.partition("/")
    if not slash:
        # A single component is always a Docker Hub name, even 'localhost' or 'example.com'.
        return DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + text
    if first == LEGACY_DEFAULT_DOMAIN:
        domain, remote = DEFAULT_DOMAIN, rest
    elif first == "localhost" or "." in first or ":" in first or first.lower() != first:
        domain, remote = first, rest
    else:
        domain, remote = DEFAULT_DOMAIN, text
    if domain == DEFAULT_DOMAIN and "/" not in remote:
        remote = OFFICIAL_REPO_PREFIX + remote
    return domain, remote


def _parse(qualified: str, *, original: str) -> ImageReference:
    """Go's ``Parse`` applied to the domain-qualified string."""
    match = _REFERENCE_RE.fullmatch(qualified)
    if match is None:
        shown = original if len(original) <= 80 else original[:77] + "..."
        raise InvalidReference(f"invalid reference format: {shown!r}: {_FORMAT_HINT}")
    name = _NAME_RE.fullmatch(match["name"])
    assert name is not None  # the name group was matched by the same sub-pattern
    domain, path = name["domain"] or "", name["path"]
    if len(domain) > MAX_DOMAIN_LENGTH:
        raise InvalidReference(
            f"invalid reference format: the registry host must not be more than "
            f"{MAX_DOMAIN_LENGTH} characters (this one has {len(domain)})"
        )
    if len(path) > MAX_PATH_LENGTH:
        raise InvalidReference(
            f"repository name must not be more than {MAX_PATH_LENGTH} characters "
            f"(this path has {len(path)})"
        )
    digest = match["digest"]
    if digest is not None:
        _validate_digest(digest)
    return ImageReference(domain=domain, path=path, tag=match["tag"], digest=digest)


def _validate_digest(digest: str) -> None:
    """go-digest's ``Digest.Validate`` for the registered algorithms."""
    algorithm, _, encoded = digest.partition(":")
    expected = _DIGEST_HEX_LENGTHS.get(algorithm)
    if expected is None:
        supported = ", ".join(sorted(_DIGEST_HEX_LENGTHS))
        raise InvalidReference(f"unsupported digest algorithm {algorithm!r}: use {supported}")
    if len(encoded) != expected:
        raise InvalidReference(
            f"invalid checksum digest length: {algorithm} needs {expected} hex characters, "
            f"got {len(encoded)}"
        )
    if not _LOWER_HEX_RE.fullmatch(encoded):
        raise InvalidReference("invalid checksum digest format: the hex must be lower case")


def _suffix(tag: str | None, digest: str | None) -> str:
    return (f":{tag}" if tag is not None else "") + (f"@{digest}" if digest is not None else "")
