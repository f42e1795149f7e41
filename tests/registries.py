"""Session fixtures running the REAL Docker Registry (CNCF Distribution, ``apt install
docker-registry``): open, htpasswd Basic auth, and Bearer token auth.

Mocks only ever agree with our own reading of the API; these registries answer the way
deployed ones do (pagination Link headers, Accept-dependent manifests, auth challenges).
Each fixture runs its own ``docker-registry serve`` on a free 127.0.0.1 port with storage in a
pytest temp dir, waits for ``/v2/`` to answer, and at the end stops that process by its PID.
Without the binary the fixtures skip locally and fail under CI (``require_tool``).

Expose them with ``pytest_plugins = ["tests.registries"]`` in ``tests/conftest.py``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from demo.sandbox import DockerRegistry
from tests.conftest import require_tool
from tests.push_image import push_image
from tests.token_server import TokenServer

USERNAME = "reguser"
PASSWORD = "regpass-S3cret"
# bcrypt (cost 4, the minimum: the registry re-checks it on every request) of PASSWORD, made with
# ``crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))``. Precomputed because
# Distribution accepts only bcrypt and the stdlib ``crypt`` module is gone in Python 3.13.
HTPASSWD = f"{USERNAME}:$2b$04$w/68xtWrSsknOG6MxWQaPeT4NAyqhGKcNJqIY8RhcAsqnQ1mCuxLO\n"

STARTUP_TIMEOUT = 15.0  # seconds; it is ready in ~0.05 s on the dev machine


@dataclass(frozen=True)
class RunningRegistry:
    """A registry under test: where it is and how to get in."""

    url: str  # http://127.0.0.1:<port>, no trailing slash
    username: str | None = None
    password: str | None = None
    token_server: TokenServer | None = None  # set for the Bearer-token registry

    @property
    def host(self) -> str:
        """``127.0.0.1:<port>``, the registry part of an image reference."""
        return self.url.split("://", 1)[1]

    @property
    def auth(self) -> tuple[str, str] | None:
        """Credentials for ``requests`` (Basic) or the token server, if any."""
        if self.username is None or self.password is None:
            return None
        return (self.username, self.password)

    def push(
        self,
        repository: str,
        *tags: str,
        oci: bool = False,
        platforms: list[tuple[str, str]] | None = None,
    ) -> str:
        """Push a fresh image under ``tags`` (default ``latest``); returns the manifest digest."""
        return push_image(
            self.url,
            repository,
            list(tags) or ["latest"],
            auth=self.auth,
            oci=oci,
            platforms=platforms,
        )


def _registry_binary() -> str:
    """The ``docker-registry`` path; skips the test locally, fails it under CI, when absent."""
    binary = shutil.which("docker-registry")
    require_tool(binary is not None, "docker-registry (apt install docker-registry)")
    assert binary is not None
    return binary


@contextmanager
def _serve(workdir: Path, auth: dict[str, Any] | None) -> Iterator[str]:
    """Run ``docker-registry serve`` with ``auth`` config for the ``with`` block; yield its URL.

    The demo sandbox's launcher (a free port, retried when taken; the log on failure), with
    this suite's workdir, info-level log and manifest deletion on.
    """
    registry = DockerRegistry(
        _registry_binary(), 0, auth=auth, deletable=True, workdir=workdir, log_level="info"
    )
    registry.start(timeout=STARTUP_TIMEOUT)
    try:
        yield registry.url
    finally:
        registry.stop()


@pytest.fixture(scope="session")
def registry_open(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """A registry without auth."""
    with _serve(tmp_path_factory.mktemp("registry-open"), auth=None) as url:
        yield RunningRegistry(url)


@pytest.fixture(scope="session")
def registry_basic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """A registry behind htpasswd Basic auth (``reguser`` / ``regpass-S3cret``)."""
    workdir = tmp_path_factory.mktemp("registry-basic")
    htpasswd = workdir / "htpasswd"
    htpasswd.write_text(HTPASSWD)
    auth = {"htpasswd": {"realm": "basic-realm", "path": str(htpasswd)}}
    with _serve(workdir, auth) as url:
        yield RunningRegistry(url, USERNAME, PASSWORD)


@pytest.fixture(scope="session")
def registry_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """A registry that sends clients to our token server for Bearer tokens (same user)."""
    _registry_binary()  # before making keys and threads for nothing
    workdir = tmp_path_factory.mktemp("registry-token")
    tokens = TokenServer(workdir / "token-signer.pem", {USERNAME: PASSWORD}).start()
    try:
        auth = {
            "token": {
                "realm": tokens.realm,
                "service": tokens.service,
                "issuer": tokens.issuer,
                "rootcertbundle": str(tokens.cert_path),
            }
        }
        with _serve(workdir, auth) as url:
            yield RunningRegistry(url, USERNAME, PASSWORD, tokens)
    finally:
        tokens.stop()
