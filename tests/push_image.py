"""Push tiny but real images into a Docker Registry v2 / OCI registry with plain ``requests``.

Tests need images in a real registry, and there is no docker engine on the test machines. An
image here is what ``docker push`` would upload: a gzipped tar layer, a config blob and a
manifest (Docker schema2 or OCI), optionally wrapped in a manifest list / OCI index for
multi-arch. Every call writes a fresh nonce into the layer, so two pushes never share a digest
(tests that re-push a tag see it move).

Auth follows what real clients do: Basic credentials are sent up front, and a
``WWW-Authenticate: Bearer`` challenge is answered by fetching a token for the challenged scope
from the realm (with the same credentials), cached per scope for the duration of one push.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import tarfile
import uuid
from typing import Any
from urllib.parse import urljoin

import requests

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"

#: Send this on every manifest GET/HEAD: Distribution 2.8 answers 400/404 without it.
MANIFEST_ACCEPT = ", ".join([OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST])

TIMEOUT = 10


class PushError(RuntimeError):
    """The registry refused a step of the push; the message carries status and body."""


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """Split ``WWW-Authenticate`` into scheme and params; scopes contain commas, so no split."""
    scheme, _, rest = header.partition(" ")
    return scheme.lower(), dict(re.findall(r'(\w+)="([^"]*)"', rest))


class RegistryClient:
    """A ``requests`` session that answers Basic and Bearer challenges like docker does."""

    def __init__(self, base_url: str, auth: tuple[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.session = requests.Session()
        self._tokens: dict[str, str] = {}  # challenged scope -> bearer token
        self._token: str | None = None  # the one sent first; a push stays in one repository

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send once; on a Bearer 401 get a token for the challenged scope and send again."""
        url = urljoin(self.base_url + "/", url)
        headers = dict(kwargs.pop("headers", None) or {})
        sent = self._token
        response = self._send(method, url, headers, sent, **kwargs)
        if response.status_code != 401:
            return response
        scheme, challenge = parse_challenge(response.headers.get("WWW-Authenticate", ""))
        if scheme != "bearer":
            return response  # Basic credentials were already sent (or there are none)
        scope = challenge.get("scope", "")
        token = self._tokens.get(scope)
        if token is None or token == sent:  # none yet, or the registry refused it
            token = self._tokens[scope] = self._fetch_token(challenge)
        self._token = token
        return self._send(method, url, headers, token, **kwargs)

    def _send(
        self, method: str, url: str, headers: dict[str, str], token: str | None, **kwargs: Any
    ) -> requests.Response:
        if token is not None:
            headers = {**headers, "Authorization": f"Bearer {token}"}
        kwargs.setdefault("timeout", TIMEOUT)
        auth = None if token is not None else self.auth
        return self.session.request(method, url, headers=headers, auth=auth, **kwargs)

    def _fetch_token(self, challenge: dict[str, str]) -> str:
        """GET <realm>?service=&scope= with our credentials, as the token auth spec says."""
        params: dict[str, str | list[str]] = {"service": challenge.get("service", "")}
        if challenge.get("scope"):
            params["scope"] = challenge["scope"].split(" ")
        response = self.session.get(
            challenge["realm"], params=params, auth=self.auth, timeout=TIMEOUT
        )
        _expect(response, 200, "token request")
        body = response.json()
        return str(body.get("token") or body["access_token"])

    def push_blob(self, repository: str, data: bytes) -> str:
        """Monolithic upload (POST then PUT ?digest=), skipped when the blob is already there."""
        digest = sha256_digest(data)
        if self.request("HEAD", f"/v2/{repository}/blobs/{digest}").status_code == 200:
            return digest
        started = self.request("POST", f"/v2/{repository}/blobs/uploads/")
        _expect(started, 202, f"start upload to {repository}")
        # Distribution returns an absolute Location; other registries a relative one.
        location = urljoin(self.base_url + "/", started.headers["Location"])
        separator = "&" if "?" in location else "?"
        done = self.request(
            "PUT",
            f"{location}{separator}digest={digest}",
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        _expect(done, 201, f"upload blob to {repository}")
        return digest

    def put_manifest(self, repository: str, reference: str, body: bytes, media_type: str) -> str:
        """PUT a manifest under a tag or digest; check the registry agrees on its digest."""
        response = self.request(
            "PUT",
            f"/v2/{repository}/manifests/{reference}",
            data=body,
            headers={"Content-Type": media_type},
        )
        _expect(response, 201, f"put manifest {repository}:{reference}")
        digest = sha256_digest(body)
        returned = response.headers.get("Docker-Content-Digest")
        if returned not in (None, digest):
            raise PushError(f"registry says {returned} for a manifest whose sha256 is {digest}")
        return digest


def _expect(response: requests.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise PushError(f"{what}: expected {status}, got {response.status_code}: {response.text}")


def _compact(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def make_layer(text: str) -> tuple[bytes, str]:
    """A gzipped tar holding one file; returns (blob, diff_id of the uncompressed tar)."""
    raw = io.BytesIO()
    payload = text.encode()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = len(payload)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(payload))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), sha256_digest(tar_bytes)


def _push_single(
    client: RegistryClient,
    repository: str,
    text: str,
    *,
    oci: bool,
    os_name: str,
    architecture: str,
) -> tuple[bytes, str]:
    """Upload layer and config of one image; return its manifest bytes and media type."""
    layer, diff_id = make_layer(text)
    config = _compact(
        {
            "architecture": architecture,
            "os": os_name,
            "created": "2024-01-01T00:00:00Z",
            "config": {"Cmd": ["cat", "/hello.txt"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }
    )
    media_type = OCI_MANIFEST if oci else DOCKER_MANIFEST
    manifest = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {
            "mediaType": OCI_CONFIG if oci else DOCKER_CONFIG,
            "size": len(config),
            "digest": client.push_blob(repository, config),
        },
        "layers": [
            {
                "mediaType": OCI_LAYER if oci else DOCKER_LAYER,
                "size": len(layer),
                "digest": client.push_blob(repository, layer),
            }
        ],
    }
    return _compact(manifest), media_type


def push_image(
    base_url: str,
    repository: str,
    tags: list[str],
    *,
    auth: tuple[str, str] | None = None,
    oci: bool = False,
    platforms: list[tuple[str, str]] | None = None,
) -> str:
    """Push a fresh image to ``repository`` under every tag in ``tags``; return its digest.

    ``platforms`` is a list of ``(os, architecture)`` pairs such as ``("linux", "arm64")``. With
    it, one image per platform is pushed by digest and the tags point at a manifest list (or an
    OCI index with ``oci=True``) referencing them; the returned digest is then the index's,
    which is what ``HEAD /v2/<repo>/manifests/<tag>`` reports.
    """
    if not tags:
        raise ValueError("push_image needs at least one tag")
    nonce = uuid.uuid4().hex
    text = f"hello from {repository}:{','.join(tags)} ({nonce})\n"
    with RegistryClient(base_url, auth) as client:
        if platforms:
            entries = []
            for os_name, architecture in platforms:
                body, media_type = _push_single(
                    client,
                    repository,
                    f"{text}platform {os_name}/{architecture}\n",
                    oci=oci,
                    os_name=os_name,
                    architecture=architecture,
                )
                digest = client.put_manifest(repository, sha256_digest(body), body, media_type)
                entries.append(
                    {
                        "mediaType": media_type,
                        "size": len(body),
                        "digest": digest,
                        "platform": {"architecture": architecture, "os": os_name},
                    }
                )
            media_type = OCI_INDEX if oci else DOCKER_MANIFEST_LIST
            body = _compact({"schemaVersion": 2, "mediaType": media_type, "manifests": entries})
        else:
            body, media_type = _push_single(
                client, repository, text, oci=oci, os_name="linux", architecture="amd64"
            )
        digests = {client.put_manifest(repository, tag, body, media_type) for tag in tags}
    (digest,) = digests
    return digest
