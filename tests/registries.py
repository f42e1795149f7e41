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

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(no log: {exc})"


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Poll ``GET /v2/`` until the registry answers (200 or 401); fail with the log tail."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            response = requests.get(f"{url}/v2/", timeout=1)
        except requests.RequestException:  # not listening yet
            time.sleep(0.02)
            continue
        if "Docker-Distribution-Api-Version" in response.headers:
            return
        time.sleep(0.02)
    state = "exited" if proc.poll() is not None else "did not answer"
    raise RuntimeError(
        f"docker-registry {state} (code {proc.returncode}) at {url}; log {log}:\n{_log_tail(log)}"
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM our own process (it exits cleanly), SIGKILL it if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def _serve(workdir: Path, auth: dict[str, Any] | None) -> Iterator[str]:
    """Run ``docker-registry serve`` with ``auth`` config for the ``with`` block; yield its URL.

    The config is written as JSON, which is valid YAML, so paths need no quoting. A port taken
    between choosing and binding it makes the process exit; that is retried on a new port.
    """
    binary = _registry_binary()
    # The registry reads REGISTRY_* variables as config overrides: keep the host's out.
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    for attempt in range(3):
        port = _free_port()
        config: dict[str, Any] = {
            "version": "0.1",
            "log": {"level": "info", "formatter": "text"},
            "storage": {
                "filesystem": {"rootdirectory": str(workdir / "data")},
                "delete": {"enabled": True},
            },
            "http": {"addr": f"127.0.0.1:{port}", "secret": "test-only-secret"},
        }
        if auth:
            config["auth"] = auth
        config_path = workdir / "config.yml"
        config_path.write_text(json.dumps(config, indent=2))
        log = workdir / f"registry-{attempt}.log"
        url = f"http://127.0.0.1:{port}"
        with log.open("wb") as log_file:
            proc = subprocess.Popen(
                [binary, "serve", str(config_path)],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=env,
            )
        try:
            try:
                _wait_ready(proc, url, log)
            except RuntimeError:
                if proc.poll() is not None and "address already in use" in _log_tail(log):
                    continue
                raise
            yield url
            return
        finally:
            _stop(proc)
    raise RuntimeError(f"docker-registry found no free port; last log {log}:\n{_log_tail(log)}")


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
