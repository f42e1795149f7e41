"""The emulator's state: users, robots, projects, repositories, artifacts and tags.

Harbor keeps these in PostgreSQL; the emulator keeps them in dicts behind one lock, and the
set-up methods here (``add_user``, ``add_robot``, ``add_project``, ``add_repository``) fill
them directly, without an API call, the way a test or the demo needs a Harbor that already
holds some content. Seeded artifacts get Harbor's shapes: generated ``sha256:`` digests,
push times one second apart (the first artifact the newest), tags with their own IDs, and
multi-arch indexes with one reference per platform. Robots come two ways: given in Python
(``add_robot``, name and secret only) or made through ``/robots`` (a :class:`Robot` with
Harbor's permissions, which :mod:`.robots` manages and :mod:`.registry` asks before a pull).
Every resource module reads this state through :class:`HarborStore`, which
:class:`~.emulator.HarborEmulator` inherits.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from mirror_plugin.testing.harbor.wire import _now

ADMIN_USER, ADMIN_PASSWORD = "admin", "Harbor12345"
ROBOT_PREFIX = "robot$"
_PROJECT_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
_ARTIFACT_KEYS = {"tags", "digest", "size", "push_time", "type", "index", "platforms"}
_DEFAULT_PLATFORMS = (
    {"architecture": "amd64", "os": "linux"},
    {"architecture": "arm64", "os": "linux"},
)


def _parse_time(value: str | datetime) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)


@dataclass
class _User:
    user_id: int
    username: str
    password: str
    admin: bool
    created: datetime


@dataclass
class _Tag:
    id: int
    name: str
    push_time: datetime


@dataclass
class _Artifact:
    id: int
    digest: str
    size: int
    push_time: datetime
    type: str
    tags: list[_Tag]
    references: list[dict[str, Any]] | None  # only for an index (multi-arch image)


@dataclass
class _Repository:
    id: int
    name: str  # without the "<project>/" prefix, may contain slashes
    created: datetime
    artifacts: list[_Artifact] = field(default_factory=list)
    pull_count: int = 0


@dataclass
class _Project:
    project_id: int
    name: str
    owner: _User
    created: datetime
    updated: datetime
    metadata: dict[str, str]
    repositories: dict[str, _Repository] = field(default_factory=dict)

    @property
    def public(self) -> bool:
        return self.metadata.get("public") == "true"


@dataclass
class Robot:
    """One robot account as Harbor stores it (the name without the prefix)."""

    id: int
    name: str
    secret_hash: str
    level: str
    duration: int
    created: datetime
    updated: datetime
    permissions: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""
    disable: bool = False
    creator_ref: int = 1

    @property
    def full_name(self) -> str:
        return ROBOT_PREFIX + self.name

    @property
    def expires_at(self) -> int:
        if self.duration == -1:
            return -1
        return int((self.created + timedelta(days=self.duration)).timestamp())

    def expired(self) -> bool:
        return self.expires_at != -1 and self.expires_at <= _now().timestamp()

    def may(self, project: str, resource: str, action: str) -> bool:
        """Whether a permission grants ``resource:action`` on ``project`` ("*": every one)."""
        return any(
            perm.get("kind") == "project"
            and perm.get("namespace") in (project, "*")
            and any(
                a.get("resource") in (resource, "*")
                and a.get("action") in (action, "*")
                and a.get("effect", "allow") != "deny"
                for a in perm.get("access") or []
            )
            for perm in self.permissions
        )

    def namespaces(self) -> frozenset[str] | None:
        """Projects it has any permission on; None when it covers all of them ("*")."""
        names = {perm.get("namespace") for perm in self.permissions}
        return None if "*" in names else frozenset(str(n) for n in names)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class HarborStore:
    """What a Harbor holds, and the Python calls that seed it (see the module docstring)."""

    _robot_accounts: dict[int, Robot]  # robots made through the API, kept by :mod:`.robots`

    def _init_store(self) -> None:
        self._lock = threading.RLock()
        self._ids: defaultdict[str, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._users: dict[str, _User] = {}
        self._robots: dict[str, tuple[str, frozenset[str] | None]] = {}
        self._projects: dict[int, _Project] = {}

    # ----------------------------------------------------------------- set-up

    def add_user(self, username: str, password: str, *, admin: bool = False) -> None:
        """Add a local user, or replace the password and admin flag of an existing one."""
        with self._lock:
            known = self._users.get(username)
            user_id = known.user_id if known else len(self._users) + 1
            self._users[username] = _User(user_id, username, password, admin, _now())

    def add_robot(self, name: str, secret: str, *, projects: Iterable[str] | None = None) -> None:
        """A robot account, e.g. ``robot$ci``. Without ``projects`` it is a system robot that
        sees and may create every project; with them, a project robot that sees only those
        (and public ones). ``/users/current`` answers 412 for robots (500 before Harbor 2.3)."""
        with self._lock:
            self._robots[name] = (secret, frozenset(projects) if projects is not None else None)

    def add_project(self, name: str, *, public: bool = False, owner: str = ADMIN_USER) -> int:
        """Create a project directly (no API call) and return its ``project_id``."""
        if not _PROJECT_NAME.match(name) or len(name) > 255:
            raise ValueError(f"invalid Harbor project name: {name!r}")
        with self._lock:
            if self._find_project(name) is not None:
                raise ValueError(f"project {name!r} already exists")
            if owner not in self._users:
                raise ValueError(f"unknown owner {owner!r}; add_user() first")
            return self._create(name, public, self._users[owner]).project_id

    def add_repository(
        self, project: str, name: str, artifacts: Iterable[Mapping[str, Any]] | None = None
    ) -> None:
        """Add a repository ``name`` (no ``<project>/`` prefix, may be nested: ``team/app``).

        Each artifact is a dict: ``tags`` (list or None: untagged), ``digest`` (generated when
        absent), ``size``, ``push_time`` (ISO string or datetime; by default now minus one
        second per position, so the first artifact is the newest), ``type`` ("IMAGE"), ``index``
        (True: a multi-arch index whose ``references`` list ``platforms``, by default
        linux/amd64 and linux/arm64).
        """
        with self._lock:
            target = self._find_project(project)
            if target is None:
                raise ValueError(f"unknown project {project!r}")
            if name in target.repositories:
                raise ValueError(f"repository {project}/{name} already exists")
            now = _now()
            repository = _Repository(next(self._ids["repository"]), name, now)
            for position, spec in enumerate(artifacts or []):
                repository.artifacts.append(
                    self._artifact(f"{project}/{name}", spec, now - timedelta(seconds=position))
                )
            target.repositories[name] = repository

    def project_names(self) -> list[str]:
        with self._lock:
            return [project.name for project in self._projects.values()]

    # ----------------------------------------------------------------- internals

    def _create(self, name: str, public: bool, owner: _User, **metadata: str) -> _Project:
        now = _now()
        project = _Project(
            next(self._ids["project"]),
            name,
            owner,
            now,
            now,
            {**metadata, "public": str(public).lower()},
        )
        self._projects[project.project_id] = project
        return project

    def _artifact(
        self, repository: str, spec: Mapping[str, Any], default_time: datetime
    ) -> _Artifact:
        unknown = set(spec) - _ARTIFACT_KEYS
        if unknown:
            raise ValueError(f"unknown artifact keys: {sorted(unknown)}")
        artifact_id = next(self._ids["artifact"])
        pushed = _parse_time(spec["push_time"]) if spec.get("push_time") else default_time
        digest = spec.get("digest") or self._digest(repository, artifact_id)
        references = None
        if spec.get("index"):
            references = [
                {
                    "parent_id": artifact_id,
                    "child_id": next(self._ids["artifact"]),
                    "child_digest": self._digest(repository, artifact_id, platform),
                    "platform": {"architecture": platform["architecture"], "os": platform["os"]},
                }
                for platform in spec.get("platforms") or _DEFAULT_PLATFORMS
            ]
        tags = [_Tag(next(self._ids["tag"]), tag, pushed) for tag in spec.get("tags") or []]
        size = int(spec.get("size", 1024 if references is None else 512))
        return _Artifact(
            artifact_id, digest, size, pushed, spec.get("type", "IMAGE"), tags, references
        )

    @staticmethod
    def _digest(*parts: object) -> str:
        return "sha256:" + hashlib.sha256(repr(parts).encode()).hexdigest()

    def _find_project(self, name_or_id: str | int) -> _Project | None:
        if isinstance(name_or_id, int):
            return self._projects.get(name_or_id)
        return next((p for p in self._projects.values() if p.name == name_or_id), None)
