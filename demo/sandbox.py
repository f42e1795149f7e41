"""The registry sandbox ``python -m demo`` runs beside the console, so every page works for real.

* A Harbor: :class:`mirror_plugin.testing.HarborEmulator` inside this process on
  ``127.0.0.1:$DEMO_HARBOR_PORT`` (default 5080, any free port when that one is taken), with the
  projects the seed binds to workspaces, the Harbor administrator the platform integration uses,
  a robot account and an ordinary user a Workspace Admin can connect as their own warehouse.
* A Docker Registry, only when ``/usr/bin/docker-registry`` is installed: a real
  ``docker-registry serve`` on ``127.0.0.1:$DEMO_REGISTRY_PORT`` (default 5081, else a free port)
  with its storage in a temporary directory, holding one tiny image; killed at exit.

Both listen on loopback only, which is why the demo allow-lists ``127.0.0.0/8`` (see
``console.py``). Everything lives in memory or in the temporary directory: each run starts from
the same content.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mirror_plugin.testing import HarborEmulator

HARBOR_ADMIN = ("admin", "Harbor12345")  # a fresh Harbor's administrator
ROBOT = ("robot$alpha", "alpha-robot-secret")
DEV_USER = ("alpha-dev", "alpha-dev-pass")
DOCKER_REGISTRY = "/usr/bin/docker-registry"
DEFAULT_HARBOR_PORT = 5080
DEFAULT_REGISTRY_PORT = 5081
#: The image pushed into the Docker Registry (space ``demo``).
REGISTRY_IMAGE = ("demo/hello", "1.0")

# project: (public, owner, {repository: [tags of one artifact, ...]})
PROJECTS: dict[str, tuple[bool, str, dict[str, list[list[str]]]]] = {
    "library": (
        True,
        HARBOR_ADMIN[0],
        {
            "nginx": [["1.27", "latest"], ["1.25"]],
            "redis": [["7.2"]],
            "team/tools/busybox": [["1.36"]],
        },
    ),
    # Owned by alpha-dev, so that account sees library and alpha-private only.
    "alpha-private": (False, DEV_USER[0], {"web": [["1.1"], ["1.0"]], "jobs/worker": [["2.0"]]}),
    "beta-private": (False, HARBOR_ADMIN[0], {"api": [["3.1"]]}),
    "shared-tools": (False, HARBOR_ADMIN[0], {"ci/runner": [["1.0"]]}),
    # Not bound to anyone by the platform Admin: Team Alpha reaches it only by connecting
    # robot$alpha, which Harbor lets read alpha-private and alpha-tools, as its own warehouse.
    "alpha-tools": (False, DEV_USER[0], {"lint": [["0.9"]]}),
}
ROBOT_PROJECTS = ("alpha-private", "alpha-tools")


def _env_port(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise SystemExit(f"{name} must be a port number from 0 to 65535, not {value!r}")
    return int(value)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM our own child (it exits cleanly), SIGKILL it if it lingers past ``grace``."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def fill(harbor: HarborEmulator) -> None:
    """Give an emulator the sandbox's accounts, projects and repositories."""
    harbor.add_user(*DEV_USER)
    harbor.add_robot(*ROBOT, projects=ROBOT_PROJECTS)
    for project, (public, owner, repositories) in PROJECTS.items():
        harbor.add_project(project, public=public, owner=owner)
        for repository, artifacts in repositories.items():
            harbor.add_repository(project, repository, [{"tags": tags} for tags in artifacts])


def start_harbor(port: int | None = None) -> HarborEmulator:
    """A filled, running emulator on ``port`` (env ``DEMO_HARBOR_PORT``, default 5080); on any
    free port when that one is taken. ``port=0`` always picks a free port (tests)."""
    wanted = _env_port("DEMO_HARBOR_PORT", DEFAULT_HARBOR_PORT) if port is None else port
    for candidate in dict.fromkeys((wanted, 0)):
        harbor = HarborEmulator(port=candidate)
        fill(harbor)
        try:
            return harbor.start()
        except OSError:
            if candidate == 0:
                raise
    raise AssertionError("unreachable")


class DockerRegistry:
    """``docker-registry serve`` on loopback: the sandbox's, and the test suite's.

    The sandbox's keeps its storage in a temporary directory removed at :meth:`stop`; the test
    suite passes its own ``workdir`` (kept, with the logs), an ``auth`` section (htpasswd or
    token) and ``deletable`` for the manifest DELETEs it exercises.
    """

    def __init__(
        self,
        binary: str = DOCKER_REGISTRY,
        port: int | None = None,
        *,
        auth: dict[str, Any] | None = None,
        deletable: bool = False,
        workdir: Path | None = None,
        log_level: str = "warn",
    ) -> None:
        self.binary = binary
        wanted = _env_port("DEMO_REGISTRY_PORT", DEFAULT_REGISTRY_PORT) if port is None else port
        self.wanted_port = wanted
        self.auth = auth
        self.deletable = deletable
        self.log_level = log_level
        self.url = ""
        self._workdir = workdir
        self._own_workdir = workdir is None
        self._proc: subprocess.Popen[bytes] | None = None

    def _config(self, workdir: Path, port: int) -> dict[str, Any]:
        storage: dict[str, Any] = {"filesystem": {"rootdirectory": str(workdir / "data")}}
        if self.deletable:
            storage["delete"] = {"enabled": True}
        config: dict[str, Any] = {
            "version": "0.1",
            "log": {"level": self.log_level, "formatter": "text"},
            "storage": storage,
            "http": {"addr": f"127.0.0.1:{port}", "secret": secrets.token_hex(16)},
        }
        if self.auth:
            config["auth"] = self.auth
        return config

    def start(self, timeout: float = 15.0) -> DockerRegistry:
        """Serve until :meth:`stop`; a port taken between choosing and binding it makes the
        registry exit, which is retried on a new port. RuntimeError, with the log, otherwise."""
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="demo-registry-"))
        workdir = self._workdir
        atexit.register(self.stop)
        # The registry reads REGISTRY_* variables as config overrides: keep the caller's out.
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
        port = self.wanted_port if self.wanted_port and _port_is_free(self.wanted_port) else 0
        for attempt in range(3):
            port = port or free_port()
            config_path = workdir / "config.yml"  # JSON is valid YAML: paths need no quoting
            config_path.write_text(json.dumps(self._config(workdir, port), indent=2))
            log = workdir / f"registry-{attempt}.log"
            with log.open("wb") as log_file:
                self._proc = subprocess.Popen(
                    [self.binary, "serve", str(config_path)],
                    stdin=subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    env=env,
                )
            self.url = f"http://127.0.0.1:{port}"
            if self._wait_ready(timeout):
                return self
            state = "exited" if self._proc.poll() is not None else "did not answer"
            self._kill()
            tail = log.read_text(errors="replace")[-2000:]
            if "address already in use" not in tail:
                break
            port = 0  # taken between the check and the bind: try another
        self.stop()
        raise RuntimeError(f"docker-registry {state} at {self.url}; log {log}:\n{tail}")

    def _wait_ready(self, timeout: float) -> bool:
        """Poll ``GET /v2/`` until the registry answers, 200 or (behind auth) 401."""
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._proc.poll() is None:
            try:
                with urllib.request.urlopen(f"{self.url}/v2/", timeout=1) as response:
                    headers = response.headers
            except urllib.error.HTTPError as exc:  # 401: up, and asking for credentials
                headers = exc.headers
            except (urllib.error.URLError, OSError):  # not listening yet
                headers = None
            if headers is not None and headers.get("Docker-Distribution-Api-Version"):
                return True
            time.sleep(0.02)
        return False

    def push_sample(self) -> str | None:
        """Push :data:`REGISTRY_IMAGE` with the test suite's pusher; None when it is absent
        (an installed demo without the repository's ``tests`` package)."""
        try:
            from tests.push_image import push_image
        except ImportError:
            return None
        repository, tag = REGISTRY_IMAGE
        push_image(self.url, repository, [tag])
        return f"{self.url.split('://', 1)[1]}/{repository}:{tag}"

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            stop_process(proc)

    def stop(self) -> None:
        self._kill()
        if self._own_workdir and self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        atexit.unregister(self.stop)


@dataclass
class Sandbox:
    """The running sandbox: the Harbor emulator and, when installed, a Docker Registry."""

    harbor: HarborEmulator
    registry: DockerRegistry | None = None
    registry_image: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def harbor_url(self) -> str:
        return self.harbor.url

    @property
    def harbor_host(self) -> str:
        return self.harbor.url.split("://", 1)[1]

    def app_config(self) -> dict[str, str]:
        """What the console needs to know: the seed and the sign-in page read these keys."""
        return {
            "DEMO_HARBOR_URL": self.harbor_url,
            "DEMO_REGISTRY_URL": self.registry.url if self.registry else "",
        }

    def describe(self) -> str:
        lines = [
            f"Registry sandbox (Harbor emulator): {self.harbor_url}",
            f"  platform integration harbor-sandbox signs in as {HARBOR_ADMIN[0]} / "
            f"{HARBOR_ADMIN[1]}",
            f"  for a workspace warehouse: robot account {ROBOT[0]} / {ROBOT[1]}, "
            f"or user {DEV_USER[0]} / {DEV_USER[1]}",
            f"  images: {self.harbor_host}/library/nginx:1.25, "
            f"{self.harbor_host}/alpha-private/web:1.0, {self.harbor_host}/beta-private/api:3.1",
        ]
        if self.registry is not None:
            lines.append(f"Docker Registry (no auth): {self.registry.url}")
            if self.registry_image:
                lines.append(f"  image: {self.registry_image}")
        lines.extend(self.notes)
        return "\n".join(lines)

    def stop(self) -> None:
        self.harbor.stop()
        if self.registry is not None:
            self.registry.stop()


def start_sandbox(
    harbor_port: int | None = None,
    registry_port: int | None = None,
    *,
    registry: bool = True,
    docker_registry: str = DOCKER_REGISTRY,
) -> Sandbox:
    """Start the Harbor emulator and, if ``docker_registry`` exists, a Docker Registry."""
    sandbox = Sandbox(start_harbor(harbor_port))
    if not registry:
        return sandbox
    if not os.access(docker_registry, os.X_OK):
        sandbox.notes.append(f"No Docker Registry: {docker_registry} is not installed.")
        return sandbox
    try:
        sandbox.registry = DockerRegistry(docker_registry, registry_port).start()
    except (OSError, RuntimeError) as exc:
        sandbox.notes.append(f"No Docker Registry: {exc}")
        return sandbox
    try:
        sandbox.registry_image = sandbox.registry.push_sample()
    except Exception as exc:  # noqa: BLE001 - the sample image is a nicety, never fatal
        sandbox.notes.append(f"Could not push the sample image: {exc}")
    return sandbox
