"""The registry fixtures are real: a Distribution process that stores, lists and guards images.

These checks pin the behaviour other tests rely on (nested names in the catalog, the digest a
push returns being the one HEAD reports, each auth flavour's challenge), so a broken fixture
fails here rather than as a puzzling failure elsewhere. The registries are shared by the whole
session, so assertions allow for repositories and tags other tests pushed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import requests

from tests.push_image import (
    DOCKER_MANIFEST_LIST,
    MANIFEST_ACCEPT,
    OCI_INDEX,
    OCI_MANIFEST,
    parse_challenge,
)

# Type-only: importing tests.registries for real here would trip PytestAssertRewriteWarning.
if TYPE_CHECKING:
    from tests.registries import RunningRegistry

TIMEOUT = 10


def test_open_registry_catalog_tags_and_digest(registry_open: RunningRegistry) -> None:
    registry_open.push("library/hello", "latest", "v1")
    digest = registry_open.push("team/nested/app", "v1", "v2", oci=True)

    catalog = requests.get(f"{registry_open.url}/v2/_catalog", timeout=TIMEOUT)
    assert catalog.status_code == 200
    assert {"library/hello", "team/nested/app"} <= set(catalog.json()["repositories"])

    tags = requests.get(f"{registry_open.url}/v2/team/nested/app/tags/list", timeout=TIMEOUT)
    assert tags.json()["name"] == "team/nested/app"
    assert {"v1", "v2"} <= set(tags.json()["tags"])

    head = requests.head(
        f"{registry_open.url}/v2/team/nested/app/manifests/v2",
        headers={"Accept": MANIFEST_ACCEPT},
        timeout=TIMEOUT,
    )
    assert head.status_code == 200
    assert head.headers["Docker-Content-Digest"] == digest
    assert head.headers["Content-Type"] == OCI_MANIFEST


def test_pushes_are_distinct_and_move_the_tag(registry_open: RunningRegistry) -> None:
    first = registry_open.push("moving/tag", "stable")
    second = registry_open.push("moving/tag", "stable")
    assert first != second
    head = requests.head(
        f"{registry_open.url}/v2/moving/tag/manifests/stable",
        headers={"Accept": MANIFEST_ACCEPT},
        timeout=TIMEOUT,
    )
    assert head.headers["Docker-Content-Digest"] == second


def test_multi_arch_push_is_an_index_of_two_platforms(registry_open: RunningRegistry) -> None:
    platforms = [("linux", "amd64"), ("linux", "arm64")]
    for oci, media_type in ((False, DOCKER_MANIFEST_LIST), (True, OCI_INDEX)):
        digest = registry_open.push(
            "multi/arch", f"oci-{oci}".lower(), oci=oci, platforms=platforms
        )
        response = requests.get(
            f"{registry_open.url}/v2/multi/arch/manifests/oci-{oci}".lower(),
            headers={"Accept": MANIFEST_ACCEPT},
            timeout=TIMEOUT,
        )
        assert response.status_code == 200
        assert response.headers["Docker-Content-Digest"] == digest
        index = response.json()
        assert index["mediaType"] == media_type
        listed = [(m["platform"]["os"], m["platform"]["architecture"]) for m in index["manifests"]]
        assert listed == platforms


def test_basic_registry_needs_credentials(registry_basic: RunningRegistry) -> None:
    digest = registry_basic.push("secret/app", "v1")

    anonymous = requests.get(f"{registry_basic.url}/v2/_catalog", timeout=TIMEOUT)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="basic-realm"'
    wrong = requests.get(f"{registry_basic.url}/v2/", auth=("reguser", "nope"), timeout=TIMEOUT)
    assert wrong.status_code == 401

    catalog = requests.get(
        f"{registry_basic.url}/v2/_catalog", auth=registry_basic.auth, timeout=TIMEOUT
    )
    assert catalog.status_code == 200
    assert "secret/app" in catalog.json()["repositories"]
    head = requests.head(
        f"{registry_basic.url}/v2/secret/app/manifests/v1",
        headers={"Accept": MANIFEST_ACCEPT},
        auth=registry_basic.auth,
        timeout=TIMEOUT,
    )
    assert head.headers["Docker-Content-Digest"] == digest


def test_token_registry_challenges_then_accepts_a_token(registry_token: RunningRegistry) -> None:
    tokens = registry_token.token_server
    assert tokens is not None
    digest = registry_token.push("team/app", "v1")
    assert tokens.issued >= 1  # the push itself went through the Bearer flow

    refused = requests.get(f"{registry_token.url}/v2/team/app/tags/list", timeout=TIMEOUT)
    assert refused.status_code == 401
    scheme, challenge = parse_challenge(refused.headers["WWW-Authenticate"])
    assert scheme == "bearer"
    assert challenge == {
        "realm": tokens.realm,
        "service": tokens.service,
        "scope": "repository:team/app:pull",
    }

    wrong = requests.get(
        challenge["realm"], params=challenge, auth=("reguser", "nope"), timeout=TIMEOUT
    )
    assert wrong.status_code == 401

    before = tokens.issued
    granted = requests.get(
        challenge["realm"], params=challenge, auth=registry_token.auth, timeout=TIMEOUT
    )
    assert granted.status_code == 200
    assert tokens.issued == before + 1
    bearer = {"Authorization": f"Bearer {granted.json()['token']}"}
    tags = requests.get(
        f"{registry_token.url}/v2/team/app/tags/list", headers=bearer, timeout=TIMEOUT
    )
    assert "v1" in tags.json()["tags"]
    head = requests.head(
        f"{registry_token.url}/v2/team/app/manifests/v1",
        headers={**bearer, "Accept": MANIFEST_ACCEPT},
        timeout=TIMEOUT,
    )
    assert head.headers["Docker-Content-Digest"] == digest

    # Tokens are per scope: this one does not open the catalog, which asks for its own.
    catalog = requests.get(f"{registry_token.url}/v2/_catalog", headers=bearer, timeout=TIMEOUT)
    assert catalog.status_code == 401
    _, catalog_challenge = parse_challenge(catalog.headers["WWW-Authenticate"])
    assert catalog_challenge["scope"] == "registry:catalog:*"
    catalog_token = requests.get(
        tokens.realm, params=catalog_challenge, auth=registry_token.auth, timeout=TIMEOUT
    ).json()["token"]
    catalog = requests.get(
        f"{registry_token.url}/v2/_catalog",
        headers={"Authorization": f"Bearer {catalog_token}"},
        timeout=TIMEOUT,
    )
    assert "team/app" in catalog.json()["repositories"]


def test_token_registry_allows_delete_by_digest(registry_token: RunningRegistry) -> None:
    """The granted ``delete`` action and ``storage.delete`` let a client untag an image."""
    tokens = registry_token.token_server
    assert tokens is not None
    digest = registry_token.push("doomed/app", "v1")
    scope = "repository:doomed/app:pull,delete"
    token = requests.get(
        tokens.realm,
        params={"service": tokens.service, "scope": scope},
        auth=registry_token.auth,
        timeout=TIMEOUT,
    ).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    deleted = requests.delete(
        f"{registry_token.url}/v2/doomed/app/manifests/{digest}", headers=bearer, timeout=TIMEOUT
    )
    assert deleted.status_code == 202
    tags = requests.get(
        f"{registry_token.url}/v2/doomed/app/tags/list", headers=bearer, timeout=TIMEOUT
    )
    assert tags.json().get("tags") in (None, [])
