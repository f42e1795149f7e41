"""The registry side of the Harbor emulator: ``/service/token`` and ``/v2/`` for pulls.

As in Harbor, ``/v2/`` answers 401 with a Bearer challenge naming ``/service/token``; the token
service grants ``pull`` on ``repository:<project>/<repo>`` only to callers who may pull that
project (anyone for a public project; admins, the owner, robots holding ``repository:pull``
on it), and an empty access list otherwise. Wrong credentials at the token service are a 401,
so ``docker login`` / ``skopeo`` fail loudly. Every seeded artifact is served as a small but
real Docker schema 2 image manifest (one config blob, one layer), so a real client such as
``skopeo inspect`` can read it. Tokens are opaque random strings kept in memory.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import time
from collections.abc import Mapping
from typing import Any

from mirror_plugin.testing.harbor_http import _ANONYMOUS, _Caller, _fmt, _now
from mirror_plugin.testing.harbor_http import _Response as Response

SERVICE = "harbor-registry"
TOKEN_SECONDS = 1800
MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
_MANIFEST_PATH = re.compile(r"^/v2/(?P<name>.+)/(?P<kind>manifests|blobs)/(?P<ref>[^/]+)$")
_TAGS_PATH = re.compile(r"^/v2/(?P<name>.+)/tags/list$")
_SCOPE = re.compile(r"^repository:(?P<name>[^:]+):(?P<actions>[a-z*,]+)$")


def _registry_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    """distribution's error body: ``{"errors":[{"code","message","detail"}]}``."""
    body = json.dumps({"errors": [{"code": code, "message": message, "detail": None}]})
    return Response(status, body.encode(), "application/json; charset=utf-8", headers or {})


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class RegistryEndpoints:
    """Mixed into :class:`~mirror_plugin.testing.harbor.HarborEmulator`."""

    def _init_registry(self) -> None:
        self._tokens: dict[str, tuple[float, _Caller, frozenset[str]]] = {}
        self.pulls: list[tuple[str, str, str]] = []  # (who, repository, reference) served

    # ----------------------------------------------------------------- routing

    def _registry_route(
        self, method: str, path: str, query: str, headers: Mapping[str, str]
    ) -> Response:
        if method not in ("GET", "HEAD"):
            return _registry_error(405, "UNSUPPORTED", "The operation is unsupported.")
        if path == "/service/token":
            return self._token(query, headers)
        if path in ("/v2", "/v2/"):
            if self._bearer(headers) is None:
                return self._challenge()
            return Response(200, b"{}", "application/json")
        if match := _TAGS_PATH.match(path):
            return self._pull(headers, match["name"], None, "tags")
        if match := _MANIFEST_PATH.match(path):
            return self._pull(headers, match["name"], match["ref"], match["kind"])
        return _registry_error(404, "NOT_FOUND", "not found")

    def _challenge(self, scope: str | None = None, error: str | None = None) -> Response:
        value = f'Bearer realm="{self.url}/service/token",service="{SERVICE}"'  # type: ignore[attr-defined]
        if scope:
            value += f',scope="{scope}"'
        if error:
            value += f',error="{error}"'
        return _registry_error(
            401, "UNAUTHORIZED", "authentication required", {"WWW-Authenticate": value}
        )

    # ----------------------------------------------------------------- the token service

    def _token_caller(self, header: str | None) -> _Caller | None:
        """The caller of a token request; None for credentials that are present but wrong."""
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "basic":
            return _ANONYMOUS
        try:
            name, sep, secret = (
                base64.b64decode(token.strip(), validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            return None
        caller = self._authenticate(header)  # type: ignore[attr-defined]
        return caller if sep and caller.authenticated else None

    def may_pull(self, caller: _Caller, project_name: str) -> bool:
        """Harbor's pull permission on a project: public, admin, owner or a robot holding it."""
        project = self._find_project(project_name)  # type: ignore[attr-defined]
        if project is None:
            return False
        if project.public or caller.sees_all:
            return True
        if caller.kind == "robot":
            robot = next(
                (r for r in self._robot_accounts.values() if r.full_name == caller.name),  # type: ignore[attr-defined]
                None,
            )
            if robot is not None:
                return bool(robot.may(project.name, "repository", "pull"))
        return bool(self._owns(caller, project))  # type: ignore[attr-defined]

    def _token(self, query: str, headers: Mapping[str, str]) -> Response:
        from urllib.parse import parse_qsl

        caller = self._token_caller(headers.get("Authorization"))
        if caller is None:
            return _registry_error(401, "UNAUTHORIZED", "authentication required")
        granted: set[str] = set()
        access = []
        for key, value in parse_qsl(query, keep_blank_values=True):
            match = _SCOPE.match(value) if key == "scope" else None
            if match is None:
                continue
            name = match["name"]
            actions = ["pull"] if self.may_pull(caller, name.split("/", 1)[0]) else []
            if "pull" not in match["actions"].split(","):
                actions = []
            if actions:
                granted.add(name)
            access.append({"type": "repository", "name": name, "actions": actions})
        token = secrets.token_urlsafe(24)
        self._tokens[token] = (time.monotonic() + TOKEN_SECONDS, caller, frozenset(granted))
        body = {"token": token, "access_token": token, "expires_in": TOKEN_SECONDS,
                "issued_at": _fmt(_now()), "access": access}  # fmt: skip
        return Response(200, json.dumps(body).encode(), "application/json")

    def _bearer(self, headers: Mapping[str, str]) -> tuple[_Caller, frozenset[str]] | None:
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        entry = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1], entry[2]

    # ----------------------------------------------------------------- pulls

    def _pull(self, headers: Mapping[str, str], name: str, ref: str | None, kind: str) -> Response:
        scope = f"repository:{name}:pull"
        bearer = self._bearer(headers)
        if bearer is None:
            return self._challenge(scope)
        caller, granted = bearer
        if name not in granted:
            if not caller.authenticated:
                return self._challenge(scope, "insufficient_scope")
            return _registry_error(403, "DENIED", "requested access to the resource is denied")
        project_name, _, repo_name = name.partition("/")
        project = self._find_project(project_name)  # type: ignore[attr-defined]
        repository = project.repositories.get(repo_name) if project else None
        if repository is None:
            return _registry_error(404, "NAME_UNKNOWN", "repository name not known to registry")
        if kind == "tags":
            tags = sorted({t.name for a in repository.artifacts for t in a.tags})
            return Response(
                200, json.dumps({"name": name, "tags": tags}).encode(), "application/json"
            )
        blobs: dict[str, tuple[str, bytes]] = {}
        for artifact in repository.artifacts:
            manifest, parts = _image(name, artifact)
            digest = _digest(manifest)
            blobs.update(parts)
            if kind == "manifests" and ref is not None and (
                ref in ({t.name for t in artifact.tags} | {digest})
            ):
                self.pulls.append((caller.name or "anonymous", name, ref))
                repository.pull_count += 1
                return Response(200, manifest, MANIFEST_V2, {"Docker-Content-Digest": digest})
        if kind == "blobs" and ref in blobs:
            media, data = blobs[ref]
            return Response(200, data, "application/octet-stream", {"Docker-Content-Digest": ref})
        if kind == "blobs":
            return _registry_error(404, "BLOB_UNKNOWN", "blob unknown to registry")
        return _registry_error(404, "MANIFEST_UNKNOWN", "manifest unknown")


def _image(name: str, artifact: Any) -> tuple[bytes, dict[str, tuple[str, bytes]]]:
    """A deterministic schema 2 manifest for an artifact, and its blobs by digest."""
    layer = f"layer of {name} artifact {artifact.id}".encode()
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": _fmt(artifact.push_time),
            "config": {"Labels": {"emulated-by": "mirror_plugin"}},
            "rootfs": {"type": "layers", "diff_ids": [_digest(layer)]},
        },
        sort_keys=True,
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_V2,
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": len(config),
                "digest": _digest(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": len(layer),
                    "digest": _digest(layer),
                }
            ],
        },
        indent=3,
    ).encode()
    blobs = {
        _digest(config): ("application/vnd.docker.container.image.v1+json", config),
        _digest(layer): ("application/vnd.docker.image.rootfs.diff.tar.gzip", layer),
    }
    return manifest, blobs
