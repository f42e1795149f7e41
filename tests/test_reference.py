"""mirror_plugin.policy.reference against vectors produced by Go's distribution/reference."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mirror_plugin.policy.reference import ImageReference, InvalidReference, parse_reference

VECTORS_FILE = Path(__file__).parent / "data" / "image-ref-vectors.json"
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))["vectors"]
FIELDS = ("domain", "path", "tag", "digest", "string", "familiar")
HEX64 = "0123456789abcdef" * 4


def _vector_id(vector: dict[str, Any]) -> str:
    text = vector["input"]
    shown = text if len(text) <= 60 else f"{text[:57]}..."
    return f"{vector['id']:03d}:{shown}"


def test_vector_file_is_complete() -> None:
    assert len(VECTORS) == 208
    assert sum(v["valid"] for v in VECTORS) == 142


@pytest.mark.parametrize("vector", VECTORS, ids=_vector_id)
def test_vector(vector: dict[str, Any]) -> None:
    if not vector["valid"]:
        with pytest.raises(InvalidReference):
            parse_reference(vector["input"])
        return
    ref = parse_reference(vector["input"])
    expected = vector["normalized"]
    actual = {field: getattr(ref, field) for field in FIELDS}
    assert actual == {field: expected.get(field) for field in FIELDS}
    assert ref.name == expected["name"]


def test_prefix_lookalike_is_a_different_registry() -> None:
    ref = parse_reference("harbor.example.com.evil.io/lib/app:1")
    assert ref.domain == "harbor.example.com.evil.io"
    assert (ref.space, ref.repository, ref.tag) == ("lib", "app", "1")


def test_domain_case_port_digest_and_nested_path_are_kept() -> None:
    ref = parse_reference(f"Harbor.Example.com:8443/a/b/c@sha256:{HEX64}")
    assert ref == ImageReference(
        domain="Harbor.Example.com:8443", path="a/b/c", tag=None, digest=f"sha256:{HEX64}"
    )
    assert (ref.space, ref.repository) == ("a", "b/c")
    assert ref.string == f"Harbor.Example.com:8443/a/b/c@sha256:{HEX64}"


def test_docker_hub_short_name_is_normalised() -> None:
    ref = parse_reference("nginx:1.25")
    assert (ref.domain, ref.path, ref.space, ref.repository) == (
        "docker.io",
        "library/nginx",
        "library",
        "nginx",
    )
    assert ref.string == "docker.io/library/nginx:1.25"
    assert ref.familiar == parse_reference("index.docker.io/nginx:1.25").familiar == "nginx:1.25"


def test_single_component_path_has_empty_repository() -> None:
    ref = parse_reference("registry.io/app")
    assert (ref.space, ref.repository) == ("app", "")


def test_host_like_but_invalid_domain_yields_empty_domain_as_go_does() -> None:
    # '_' is not allowed in a domain, but 'foo_bar.com/app' is a valid path, so Go's Parse
    # returns no domain at all. Policy code must refuse an empty domain.
    ref = parse_reference("foo_bar.com/app:1")
    assert (ref.domain, ref.path, ref.name) == ("", "foo_bar.com/app", "foo_bar.com/app")
    assert ref.string == ref.familiar == "foo_bar.com/app:1"


def test_sha384_is_registered_with_crypto_sha512() -> None:
    ref = parse_reference("registry.io/app@sha384:" + "a" * 96)
    assert ref.digest == "sha384:" + "a" * 96
    with pytest.raises(InvalidReference, match="length"):
        parse_reference("registry.io/app@sha384:" + "a" * 64)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "invalid reference format"),
        ("   ", "invalid reference format"),
        ("nginx\n", "invalid reference format"),
        ("NGINX", "must be lowercase"),
        ("registry.io/Team/app", "must be lowercase"),
        (HEX64, "64-byte hexadecimal"),
        ("nginx@sha256:" + HEX64.upper(), "lower case"),
        ("nginx@sha256:" + HEX64[:-1], "digest length"),
        ("nginx@md5:" + HEX64[:32], "unsupported digest algorithm"),
        ("registry.io/" + "a" * 256, "255 characters"),
    ],
)
def test_invalid_input_raises_with_a_message(text: str, fragment: str) -> None:
    with pytest.raises(InvalidReference, match=fragment) as caught:
        parse_reference(text)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("value", [None, 42, b"nginx", ["nginx"]])
def test_non_string_input_raises_invalid_reference(value: Any) -> None:
    with pytest.raises(InvalidReference, match="expected a string"):
        parse_reference(value)
