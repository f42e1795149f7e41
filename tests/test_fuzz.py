"""schemathesis against the plugin's OpenAPI document, in-process over WSGI, as three principals.

Each principal (the platform Admin root, the Workspace Admin alice of ws-a, the editor eddie
of ws-a) gets a fresh SQLite app seeded with registries, spaces, bindings, repositories, a
cached tag list and audit events, so ids in paths hit real rows. Every built-in check runs on
every case. The registries point at loopback port 9 and every outbound TCP connection is
refused in-process (no DNS either), so registry calls fail fast and never leave the machine.

The admission webhook (``/admission/<cluster>/validate``) is not in the document and not
fuzzed here: it accepts a cluster's bearer token only, which these console principals do not
have (every case would be a 401), and its contract is Kubernetes' AdmissionReview, not this
API's. tests/test_admission_security.py fuzzes it with generated reviews and a valid token.

What a run may answer is the document's business: any disagreement fails the run. The bugs
earlier runs found are kept below as plain regression tests.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask, has_request_context, session
from schemathesis.core.result import Ok
from schemathesis.pytest.lazy import get_all_tests

from mirror_plugin import dbmigrate
from mirror_plugin.models import Repository, TagCache, utcnow
from mirror_plugin.registry.errors import Category, RegistryError
from mirror_plugin.registry.netguard import NetworkPolicy
from mirror_plugin.services import audit
from mirror_plugin.testing import FakeHostAdapter

from .conftest import Api, make_app, world
from .factories import integration, space
from .factories import session as db_session

PRINCIPALS = ("root", "alice", "eddie")
CSRF_TOKEN = "fuzz-csrf-token"
SEED = 20261127
MAX_EXAMPLES = 60  # fuzzing phase, per operation and principal (coverage cases come on top)
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
#: While converting an area, fuzz only its operations: MIRROR_FUZZ_OPERATIONS=opId,opId. The
#: others are skipped, not pruned from the document (a pruned method would then be a 405).
ONLY = {name for name in os.environ.get("MIRROR_FUZZ_OPERATIONS", "").split(",") if name}

# Operations whose 422 depends on server state, not on the request's shape: the registry is
# asked before anything is saved (it is unreachable here), workspace ids must be the host's,
# a Docker Registry has no projects to create. Schema-valid data may get a 422 there.
STATE_VALIDATED = [
    "createPlatformIntegration",
    "createWorkspaceIntegration",
    "testPlatformConnection",
    "testWorkspaceConnection",
    "updateIntegration",
    "createSpace",
    "setSpaceWorkspaces",
    "changeBindings",
]
# Operations that call the registry and answer its failure as 502 / 504 (documented).
REGISTRY_CALLS = ["syncIntegration", "createSpace", "setSpaceVisibility", "deleteSpace"]


DICTIONARIES: dict[str, list[Any]] = {
    "ids": list(range(1, 9)),  # seed(): integrations 1-4, spaces 1-8
    "workspaces": ["ws-a", "ws-b", "ws-c"],
    "namespaces": ["prod/a-web", "prod/a-jobs", "prod/b-api", "dev/sandbox"],
    "repositories": ["library/nginx", "team-a/api", "tools/curl", "a-apps/web"],
    "images": [
        "127.0.0.1:9/library/nginx:1.25",
        "127.0.0.1:9/team-a/api:1",
        "127.0.0.1:9/team-b/api@sha256:" + "b" * 64,
        "127.0.0.2:9/tools/curl",
        "127.0.0.3:9/a-apps/web:2",
        "docker.io/library/busybox",
    ],
}
DICTIONARY_PARAMETERS = {
    "path.integration_id": "ids",
    "path.space_id": "ids",
    "query.registry": "ids",
    "body.spaces[*]": "ids",
    "path.workspace_id": "workspaces",
    "query.workspace": "workspaces",
    "body.workspaces[*]": "workspaces",
    "query.namespace": "namespaces",
    "body.namespace": "namespaces",
    "query.repository": "repositories",
    "query.image": "images",
    "body.images[*]": "images",
}


class SessionHostAdapter(FakeHostAdapter):
    """FakeHostAdapter whose login holds only for requests carrying that user's session
    cookie, as a real host's does: schemathesis' ignored_auth check drops the cookie (and
    sends a bogus one) and must then get a 401."""

    def current_user(self) -> Any:
        if not has_request_context() or session.get("fuzz_user") != self.user_id:
            return None
        return super().current_user()


class SandboxPolicy(NetworkPolicy):
    """The real policy, minus DNS: host names never resolve (the fuzzer makes them up)."""

    def resolve(self, host: str, port: int) -> list[str]:
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            raise RegistryError(
                Category.DNS_FAILED, f"The registry host name {host!r} does not resolve."
            ) from None
        return super().resolve(host.strip("[]"), port)


def _refuse_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every TCP connection is refused and no name is looked up, whatever the plugin asks."""

    def connect(self: socket.socket, address: Any) -> None:
        raise ConnectionRefusedError(f"fuzz sandbox: no connection to {address!r}")

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            ipaddress.ip_address(str(host).split("%", 1)[0])
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, "fuzz sandbox: no DNS") from None
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def seed() -> None:
    """Registries of every kind and scope, with spaces, bindings, repositories and tags."""
    harbor = integration("harbor-platform", "http://127.0.0.1:9")
    docker = integration("docker-platform", "http://127.0.0.2:9", kind="docker")
    a_warehouse = integration("a-warehouse", "http://127.0.0.3:9", workspace_id="ws-a")
    b_warehouse = integration(
        "b-warehouse", "http://127.0.0.4:9", kind="docker", workspace_id="ws-b"
    )
    library = space(harbor, "library", public=True)
    team_a = space(harbor, "team-a", bound=("ws-a",))
    space(harbor, "team-b", bound=("ws-b",))
    space(harbor, "shared", bound=("ws-a", "ws-b"))
    space(harbor, "unbound")
    tools = space(docker, "tools", public=True)
    a_apps = space(a_warehouse, "a-apps")
    space(b_warehouse, "b-apps")
    session = db_session()
    for owner, name in (
        (library, "library/nginx"),
        (team_a, "team-a/api"),
        (tools, "tools/curl"),
        (a_apps, "a-apps/web"),
    ):
        session.add(Repository(space_id=owner.id, name=name, artifact_count=1))
        owner.repo_count = 1
    session.add(
        TagCache(
            space_id=library.id,
            repository="library/nginx",
            fetched_at=utcnow(),
            artifacts=[
                {
                    "tag": "1.25",
                    "digest": "sha256:" + "a" * 64,
                    "size": 1024,
                    "push_time": "2026-11-01T10:00:00.000Z",
                    "index": False,
                    "platforms": [],
                    "type": "IMAGE",
                }
            ],
        )
    )
    audit.record(session, actor="root", action="binding.bound", space="team-a", workspaces=["ws-a"])
    audit.record(session, actor="root", action="integration.created", integration="harbor")
    session.commit()


@dataclass
class FuzzWorld:
    """One principal's app, its seeded database and what the run counted."""

    principal: str
    app: Flask
    database: Path
    template: Path
    cases: int = 0
    statuses: Counter[str] = field(default_factory=Counter)

    def cookie(self) -> str:
        serializer = self.app.session_interface.get_signing_serializer(self.app)  # type: ignore[attr-defined]
        assert serializer is not None
        return str(serializer.dumps({"_mirror_csrf": CSRF_TOKEN, "fuzz_user": self.principal}))

    def restore(self) -> None:
        """Put the seeded database back (after a call that changed something)."""
        state = self.app.extensions["mirror_plugin"]
        with self.app.app_context():
            state.db.session.remove()
            state.db.engine.dispose()
        shutil.copyfile(self.template, self.database)
        state.rules.snapshot, state.rules.dirty = None, True

    def run(self, case: schemathesis.Case) -> None:
        """One case: call and validate with every check."""
        self.cases += 1
        _integral_floats_as_ints(case)
        response = case.call()
        self.statuses[f"{response.status_code // 100}xx"] += 1
        try:
            case.validate_response(response)
        finally:
            if case.method.upper() in UNSAFE and 200 <= response.status_code < 300:
                self.restore()


def _integral_floats_as_ints(case: schemathesis.Case) -> None:
    """Send a generated 60.0 for an integer parameter as 60, not "60.0" (JSON Schema calls
    60.0 an integer; its form serialization is still "60")."""
    for values in (case.query, case.path_parameters):
        for name, value in list((values or {}).items()):
            if isinstance(value, float) and value.is_integer():
                values[name] = int(value)


def fuzz_config(cookie: str) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            # Hypothesis' too_slow health check times data generation: machine-dependent.
            "suppress-health-check": ["too_slow"],
            "generation": {
                "mode": "all",
                "deterministic": True,
                "database": "none",
                "max-examples": MAX_EXAMPLES,
            },
            # Examples (the document has none), coverage (boundary and missing values, every
            # parameter's negations, undeclared methods) and fuzzing; the stateful phase needs
            # links the document does not declare.
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            # Half of the values of these parameters come from the seeded world, so paths and
            # filters hit real rows, namespaces and workspaces; the other half are generated.
            "dictionaries": {name: {"values": values} for name, values in DICTIONARIES.items()},
            "parameters": {
                key: {"dictionary": name, "probability": 0.5}
                for key, name in DICTIONARY_PARAMETERS.items()
            },
            "checks": {"max_response_time": 10.0},  # seconds; with every other check, on
            "auth": {"openapi": {"session": {"api_key": cookie}, "csrf": {"api_key": CSRF_TOKEN}}},
            "operations": [
                {  # ?space= is an id here, a space name in /api/audit
                    "include-operation-id": ["pickerRepositories", "pickerTags"],
                    "parameters": {"query.space": {"dictionary": "ids", "probability": 0.5}},
                },
                {
                    "include-operation-id": STATE_VALIDATED,
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": [
                                *("2xx", "3xx", "401", "403", "404", "409", "429", "5xx"),
                                "422",
                            ]
                        }
                    },
                },
                {
                    "include-operation-id": REGISTRY_CALLS,
                    "checks": {
                        "not_a_server_error": {"expected-statuses": ["2xx", "4xx", "502", "504"]}
                    },
                },
            ],
        }
    )


@pytest.fixture
def fuzz_world(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FuzzWorld]:
    principal = request.param
    database = tmp_path / "fuzz.db"
    shared = world()
    adapter = SessionHostAdapter(
        workspaces=shared.workspaces,
        namespaces=shared.namespaces,
        roles=shared.roles,
        platform_admins=shared.platform_admins,
    )
    # Answers must not depend on how long the run takes: the seeded tag cache never goes
    # stale, and the per-minute registry limits are out of the run's reach (their 429s are
    # tested in tests/test_ratelimit.py).
    app = make_app(
        f"sqlite:///{database}",
        adapter,
        MIRROR_CATALOGUE_TTL=10**9,
        MIRROR_REGISTRY_CALLS_PER_MINUTE=10**9,
        MIRROR_TEST_CONNECTION_PER_MINUTE=10**9,
    )
    state = app.extensions["mirror_plugin"]
    state.network_policy = SandboxPolicy(state.network_policy.allowed)
    with app.app_context():
        dbmigrate.upgrade()
        seed()
        state.db.session.remove()
        state.db.engine.dispose()
    template = tmp_path / "seeded.db"
    shutil.copyfile(database, template)
    _refuse_connections(monkeypatch)
    adapter.login(principal)
    yield FuzzWorld(principal, app, database, template)
    with app.app_context():
        state.db.session.remove()
        state.db.engine.dispose()


@pytest.mark.parametrize("fuzz_world", PRINCIPALS, indirect=True)
def test_fuzz_api(fuzz_world: FuzzWorld) -> None:
    app = fuzz_world.app
    prefix = app.config["MIRROR_URL_PREFIX"]
    cookie = fuzz_world.cookie()
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    served = client.get(f"{prefix}/api/openapi.json")
    assert served.status_code == 200, served.get_data(as_text=True)
    schema = schemathesis.openapi.from_dict(served.get_json(), config=fuzz_config(cookie))
    schema.app = app  # calls go through the WSGI app, in-process
    started = time.monotonic()
    failures: dict[str, str] = {}
    for result in get_all_tests(
        schema=schema, test_func=_case_runner(fuzz_world), settings=None, given_kwargs=None
    ):
        assert isinstance(result, Ok), f"the document has an invalid operation: {result}"
        operation, test = result.ok()
        if ONLY and operation.definition.raw.get("operationId") not in ONLY:
            continue
        try:
            test()
        except (Exception, BaseExceptionGroup) as exc:  # reported below, per operation
            failures[operation.label] = f"{exc.__class__.__name__}: {exc}"
    elapsed = time.monotonic() - started
    statuses = ", ".join(f"{n} {group}" for group, n in sorted(fuzz_world.statuses.items()))
    print(
        f"\nschemathesis as {fuzz_world.principal}: {fuzz_world.cases} cases over "
        f"{len(schema)} operations in {elapsed:.1f} s ({statuses})"
    )
    assert fuzz_world.cases > 0
    assert not failures, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())


def _case_runner(fuzz_world: FuzzWorld) -> Callable[[schemathesis.Case], None]:
    def test_case(case: schemathesis.Case) -> None:
        fuzz_world.run(case)

    return test_case


# -- the bugs the fuzzer found, kept as regression tests ----------------------------------

BIG_ID = 2**63  # beyond SQLite's INTEGER (PostgreSQL's integer ends at 2**31 - 1)
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
POSTGRES = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def root_api(app: Flask, api: Api) -> Api:
    """The fuzz world's data, and the API as the platform Admin."""
    seed()
    return api.as_user("root")


@SQLITE
@pytest.mark.parametrize(
    "path",
    [
        "/api/audit?page=%C2%B2",
        "/api/integrations/1/spaces?per_page=%C2%B2",
        "/api/picker/spaces?namespace=dev/sandbox&registry=%C2%B2",
        "/api/picker/repositories?namespace=dev/sandbox&space=%C2%B2",
    ],
)
def test_unicode_digits_are_refused(root_api: Api, path: str) -> None:
    """'²' passes str.isdigit() but not int(): it used to be a 500 (now params.parse_int)."""
    assert root_api.get(path).status_code in (400, 404)


@pytest.mark.parametrize(
    "method, path, body, status",
    [
        ("GET", f"/api/integrations/{BIG_ID}", None, 404),
        ("GET", f"/api/spaces/{BIG_ID}", None, 404),
        ("GET", f"/api/picker/spaces?namespace=dev/sandbox&registry={BIG_ID}", None, 400),
        ("GET", f"/api/picker/repositories?namespace=dev/sandbox&space={BIG_ID}", None, 404),
        ("POST", "/api/bindings", {"spaces": [BIG_ID], "workspaces": ["ws-a"]}, 422),
    ],
)
def test_ids_beyond_the_database_integer_are_refused(
    root_api: Api, method: str, path: str, body: Any, status: int
) -> None:
    """Ids the database integer cannot hold used to reach the query (OverflowError on SQLite,
    NumericValueOutOfRange on PostgreSQL): a 500. They are unknown ids now."""
    assert root_api.call(method, path, json=body).status_code == status


@SQLITE
@pytest.mark.parametrize(
    "method, path, status",
    [
        ("GET", "/api/integrations/abc", 404),
        ("GET", "/api/nope", 404),
        ("DELETE", "/api/check", 405),
    ],
)
def test_routing_errors_under_api_are_json(
    root_api: Api, method: str, path: str, status: int
) -> None:
    """Requests no API route serves used to get Werkzeug's HTML page; views.api_not_found
    answers them in the API's JSON error shape."""
    answer = root_api.call(method, path)
    assert answer.status_code == status
    assert answer.is_json and answer.get_json()["error"]["status"] == status


@SQLITE
def test_timestamps_carry_their_utc_offset(root_api: Api) -> None:
    """SQLite hands datetimes back naive; the API used to print them without an offset (not
    RFC 3339). params.iso adds UTC."""
    root_api.post("/api/integrations/1/test")  # records last_checked_at
    stamps = [
        root_api.get("/api/integrations/1").get_json()["last_checked_at"],
        root_api.get("/api/audit").get_json()["items"][0]["at"],
    ]
    assert all(datetime.fromisoformat(stamp).tzinfo is not None for stamp in stamps), stamps


@POSTGRES
@pytest.mark.parametrize(
    "path",
    [
        "/api/integrations?q=a%00b",
        "/api/audit?actor=a%00b",
        "/api/audit?workspace=a%00b",
        "/api/picker/spaces?namespace=dev/sandbox&q=a%00b",
    ],
)
def test_nul_in_text_parameters(root_api: Api, path: str) -> None:
    """PostgreSQL text cannot hold NUL: these filters used to be a 500 there. Refused now."""
    assert root_api.get(path).status_code == 400


@SQLITE
def test_picker_repositories_checks_tab_with_space(root_api: Api) -> None:
    """?tab= used to be validated only without ?space=."""
    answer = root_api.get("/api/picker/repositories?namespace=dev/sandbox&space=1&tab=bogus")
    assert answer.status_code == 400
