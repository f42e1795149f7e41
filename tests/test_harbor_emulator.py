"""HarborEmulator (mirror_plugin.testing.harbor): behaviour, and a contract check against the spec.

Every response the tests receive passes through a ``requests`` response hook (:class:`Contract`)
that finds the operation in Harbor's Swagger 2.0 spec (``harbor-v2.0-swagger.yaml``) by path
template and method, and validates the JSON body against the schema for that status, or against
``Errors`` for an undocumented error status. The spec's definitions are made strict: objects may
not carry fields the spec does not define, so the emulator cannot invent fields.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import jsonschema
import pytest
import requests
import yaml

from mirror_plugin.testing.harbor import HarborEmulator

ROOT = Path(__file__).resolve().parent
SPEC_CANDIDATES = [
    Path(os.environ.get("HARBOR_SWAGGER", ROOT / "data" / "harbor-v2.0-swagger.yaml")),
    ROOT.parent.parent / "shared" / "reference" / "harbor-v2.0-swagger.yaml",
]
PASSWORDS = {"admin": "Harbor12345", "alice": "alice-pw", "bob": "bob-pw", "robot$ci": "robot-pw"}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if isinstance(value, str):
        if not RFC3339.match(value):
            raise ValueError(f"not an RFC 3339 date-time: {value!r}")
        datetime.fromisoformat(value)
    return True


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    """A Swagger 2.0 schema as JSON Schema draft 4.

    - ``x-*`` extensions and ``example`` go; objects with ``properties`` get
      ``additionalProperties: false`` unless they say otherwise (no invented fields).
    - A property may be ``null`` when it is ``x-nullable: true`` or an array: Swagger 2.0 cannot
      say "nullable", and Harbor serialises nil Go slices as ``null`` (``tags``, ``labels``).
    """
    out = {key: value for key, value in schema.items() if key[:2] != "x-" and key != "example"}
    if isinstance(out.get("items"), dict):
        out["items"] = _strict(out["items"])
    if isinstance(out.get("additionalProperties"), dict):
        out["additionalProperties"] = _strict(out["additionalProperties"])
    for keyword in ("allOf", "anyOf", "oneOf"):
        if keyword in out:
            out[keyword] = [_strict(part) for part in out[keyword]]
    if "properties" in out:
        out.setdefault("additionalProperties", False)
        out["properties"] = {name: _strict(prop) for name, prop in out["properties"].items()}
        for name, original in schema["properties"].items():
            if original.get("type") == "array" or original.get("x-nullable") is True:
                prop = out["properties"][name]
                if "$ref" in prop:
                    out["properties"][name] = {"anyOf": [prop, {"type": "null"}]}
                else:
                    prop["type"] = [prop["type"], "null"]
    return out


class Contract:
    """Harbor's spec as a response validator, hooked into every test session."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.base: str = spec["basePath"]
        self.shared_responses: dict[str, Any] = spec["responses"]
        self.definitions = {name: _strict(schema) for name, schema in spec["definitions"].items()}
        # Erratum (harborapi fixes it too): ExtraAttrs says every value is an object, but Harbor
        # puts strings in it ("architecture": "amd64", "os": "linux").
        self.definitions["ExtraAttrs"] = {"type": "object"}
        self.paths = [(template.split("/")[1:], item) for template, item in spec["paths"].items()]
        self.checked: list[tuple[str, str, int]] = []

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        """The operation whose template matches ``path`` (raw, under basePath); literal
        segments beat parameters, so ``/users/current`` is not ``/users/{user_id}``."""
        segments, best = path.split("/")[1:], (-1, None)
        for template, item in self.paths:
            if len(template) != len(segments) or method.lower() not in item:
                continue
            if all(t.startswith("{") or t == s for t, s in zip(template, segments, strict=True)):
                literal = sum(not t.startswith("{") for t in template)
                best = max(best, (literal, item[method.lower()]), key=lambda pair: pair[0])
        return best[1]

    def response_schema(self, operation: dict[str, Any] | None, status: int) -> tuple[bool, Any]:
        """(documented, schema): the schema of ``responses[status]`` or ``default``, else Errors
        for an error status. ``(True, None)``: documented without a body."""
        responses = (operation or {}).get("responses", {})
        response = responses.get(str(status)) or responses.get("default")
        if response is not None and "$ref" in response:
            response = self.shared_responses[response["$ref"].rsplit("/", 1)[1]]
        if response is None:
            assert status >= 400, f"status {status} is not documented for this operation"
            return False, {"$ref": "#/definitions/Errors"}
        return True, response.get("schema")

    def errors(self, schema: dict[str, Any], body: Any) -> list[str]:
        validator = jsonschema.Draft4Validator(
            {"definitions": self.definitions, **schema}, format_checker=FORMATS
        )
        return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]

    def check(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """The response hook: fails the test on any response that breaks the spec."""
        method = response.request.method or "GET"
        path = urlsplit(response.request.path_url).path
        under_base = path.startswith(self.base + "/")
        operation = self.operation(method, path[len(self.base) :]) if under_base else None
        documented, schema = self.response_schema(operation, response.status_code)
        where = f"{method} {path} -> {response.status_code}"
        content_type = response.headers.get("Content-Type", "")
        self.checked.append((method, path, response.status_code))
        if method == "HEAD" or (documented and schema is None):
            assert response.content == b"", f"{where}: expected no body"
            return
        if content_type.startswith("text/html"):  # the nginx page of fail_next(502/503/504)
            assert response.status_code in (502, 503, 504), where
            return
        if schema.get("type") == "string":
            assert content_type.startswith("text/plain"), where
            return
        assert content_type.startswith("application/json"), f"{where}: {content_type}"
        if response.status_code >= 400:
            assert content_type == "application/json; charset=utf-8", where
        assert response.text.endswith("\n"), f"{where}: no trailing newline"
        problems = self.errors(schema, response.json())
        assert not problems, f"{where} breaks the spec: {problems}"


class Api:
    """``requests`` against ``<url>/api/v2.0`` with one session (and its credentials)."""

    def __init__(self, base: str, session: requests.Session) -> None:
        self.base, self.session = base + "/api/v2.0", session

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.base + path, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self("POST", path, **kwargs)


@pytest.fixture(scope="module")
def contract() -> Contract:
    spec_path = next((path for path in SPEC_CANDIDATES if path.is_file()), None)
    if spec_path is None:
        message = f"Harbor's swagger spec not found (tried {[str(p) for p in SPEC_CANDIDATES]})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return Contract(yaml.safe_load(spec_path.read_text()))


@pytest.fixture
def harbor() -> Iterator[HarborEmulator]:
    with HarborEmulator() as emulator:
        emulator.add_user("alice", PASSWORDS["alice"])
        emulator.add_user("bob", PASSWORDS["bob"])
        emulator.add_robot("robot$ci", PASSWORDS["robot$ci"])
        yield emulator


ApiFactory = Callable[..., Api]


def checked_session(
    contract: Contract, who: str | tuple[str, str] | None = None, *, keep_cookies: bool = False
) -> requests.Session:
    """A session whose every response goes through the contract; it refuses cookies, as the
    plugin's client does, unless ``keep_cookies``."""
    session = requests.Session()
    if isinstance(who, str):
        session.auth = (who, PASSWORDS[who])
    elif who is not None:
        session.auth = who
    if not keep_cookies:
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    session.hooks["response"].append(contract.check)
    return session


@pytest.fixture
def api(harbor: HarborEmulator, contract: Contract) -> Iterator[ApiFactory]:
    """``api("alice")``, ``api(None)`` (anonymous), ``api(("alice", "wrong"))``."""
    sessions: list[requests.Session] = []

    def make(who: str | tuple[str, str] | None = "admin", *, keep_cookies: bool = False) -> Api:
        sessions.append(checked_session(contract, who, keep_cookies=keep_cookies))
        return Api(harbor.url, sessions[-1])

    yield make
    for session in sessions:
        session.close()


def names(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()]


def error(response: requests.Response) -> tuple[int, str, str]:
    (only,) = response.json()["errors"]
    return response.status_code, only["code"], only["message"]


def double(name: str) -> str:
    """Harbor's path encoding of a repository name: ``a/b`` -> ``a%252Fb``."""
    return quote(quote(name, safe=""), safe="")


# --------------------------------------------------------------------------- the contract itself


def test_contract_rejects_what_harbor_never_sends(contract: Contract) -> None:
    projects = contract.response_schema(contract.operation("GET", "/projects"), 200)[1]
    artifacts = contract.response_schema(
        contract.operation("GET", "/projects/p/repositories/r/artifacts"), 200
    )[1]
    assert contract.errors(projects, [{"project_id": 1, "metadata": {"public": "true"}}]) == []
    assert contract.errors(projects, [{"metadata": {"public": True}}])  # a bool public flag
    assert contract.errors(projects, [{"project_id": 1, "invented": 1}])  # an invented field
    assert contract.errors(artifacts, [{"tags": None, "labels": None}]) == []
    assert contract.errors(artifacts, [{"push_time": "yesterday"}])
    assert contract.operation("GET", "/users/current")["operationId"] == "getCurrentUserInfo"
    assert contract.response_schema(None, 404) == (False, {"$ref": "#/definitions/Errors"})


def test_every_response_goes_through_the_contract(api: ApiFactory, contract: Contract) -> None:
    before = len(contract.checked)
    api("admin").get("/projects")
    api(None).get("/users/current")
    assert contract.checked[before:] == [
        ("GET", "/api/v2.0/projects", 200),
        ("GET", "/api/v2.0/users/current", 401),
    ]


# --------------------------------------------------------------------------- liveness & identity


def test_ping_and_health_need_no_credentials(api: ApiFactory) -> None:
    ping = api(None).get("/ping")
    assert (ping.status_code, ping.text) == (200, "Pong")
    assert ping.headers["Content-Type"].startswith("text/plain")
    assert re.fullmatch(r"sid=\w+; Path=/; HttpOnly", ping.headers["Set-Cookie"])
    health = api(None).get("/health").json()
    assert health["status"] == "healthy"
    assert {c["name"] for c in health["components"]} >= {"core", "database", "registry"}


def test_systeminfo_hides_details_from_anonymous_callers(api: ApiFactory) -> None:
    anonymous = api(None).get("/systeminfo").json()
    assert anonymous["auth_mode"] == "db_auth"
    assert "harbor_version" not in anonymous and "project_creation_restriction" not in anonymous
    info = api("alice").get("/systeminfo").json()
    assert info["harbor_version"] == "v2.10.0"
    assert info["project_creation_restriction"] == "adminonly"


def test_users_current(api: ApiFactory) -> None:
    admin = api("admin").get("/users/current").json()
    assert (admin["username"], admin["sysadmin_flag"]) == ("admin", True)
    assert api("alice").get("/users/current").json()["sysadmin_flag"] is False
    assert error(api(None).get("/users/current")) == (401, "UNAUTHORIZED", "unauthorized")
    assert error(api(("alice", "wrong")).get("/users/current"))[0] == 401
    assert error(api("robot$ci").get("/users/current")) == (
        412,
        "PRECONDITION",
        "get current user not available for security context: robot",
    )


def test_robots_on_harbor_before_2_3_get_500_from_users_current(contract: Contract) -> None:
    with HarborEmulator(version="v2.2.0") as old:
        old.add_robot("robot$ci", PASSWORDS["robot$ci"])
        robot = Api(old.url, checked_session(contract, "robot$ci"))
        assert error(robot.get("/users/current")) == (500, "UNKNOWN", "internal server error")
        assert robot.get("/systeminfo").json()["harbor_version"] == "v2.2.0"


# --------------------------------------------------------------------------- listing projects


def test_public_flag_is_a_string(harbor: HarborEmulator, api: ApiFactory) -> None:
    harbor.add_project("open", public=True)
    harbor.add_project("closed")
    listed = {p["name"]: p for p in api("admin").get("/projects").json()}
    assert listed["open"]["metadata"] == {"public": "true"}
    assert listed["closed"]["metadata"] == {"public": "false"}
    assert listed["open"]["owner_name"] == "admin" and listed["open"]["repo_count"] == 0


def test_visibility_and_anonymous_fallback(harbor: HarborEmulator, api: ApiFactory) -> None:
    harbor.add_project("pub", public=True)
    harbor.add_project("admin-only")
    harbor.add_project("alice-own", owner="alice")
    harbor.add_project("bob-own", owner="bob")
    every = ["admin-only", "alice-own", "bob-own", "pub"]
    assert names(api("admin").get("/projects")) == every
    assert names(api("robot$ci").get("/projects")) == every
    assert names(api("alice").get("/projects")) == ["alice-own", "pub"]
    assert names(api(None).get("/projects")) == ["pub"]
    # Wrong credentials are not a 401 here: Harbor serves them as an anonymous caller.
    assert names(api(("alice", "wrong")).get("/projects")) == ["pub"]
    assert names(api("alice").get("/projects", params={"public": "false"})) == ["alice-own"]
    empty = api(None).get("/projects", params={"public": "false"})
    assert (empty.json(), empty.headers["X-Total-Count"], "Link" in empty.headers) == (
        [],
        "0",
        False,
    )


def test_filters_name_q_and_owner(harbor: HarborEmulator, api: ApiFactory) -> None:
    for name in ("team-a", "team-b", "other"):
        harbor.add_project(name, owner="alice" if name == "other" else "admin")
    admin = api("admin")
    assert names(admin.get("/projects", params={"name": "eam"})) == ["team-a", "team-b"]
    assert names(admin.get("/projects", params={"q": "name=~-b"})) == ["team-b"]
    assert names(admin.get("/projects", params={"q": "name=other"})) == ["other"]
    assert names(admin.get("/projects", params={"owner": "alice"})) == ["other"]
    assert names(admin.get("/projects", params={"sort": "-name"})) == ["team-b", "team-a", "other"]
    assert error(admin.get("/projects", params={"q": "name"}))[:2] == (400, "BAD_REQUEST")


def test_page_size_over_100_is_422(harbor: HarborEmulator, api: ApiFactory) -> None:
    harbor.add_project("p", public=True)
    harbor.add_repository("p", "app")
    expected = (
        422,
        "UNPROCESSABLE_ENTITY",
        "validation failure list:\npage_size in query should be less than or equal to 100",
    )
    for path in ("/projects", "/projects/p/repositories", "/projects/p/repositories/app/artifacts"):
        assert error(api("admin").get(path, params={"page_size": 101})) == expected
    assert api("admin").get("/projects", params={"page_size": 100}).status_code == 200


def test_paging_250_projects(harbor: HarborEmulator, api: ApiFactory) -> None:
    for i in range(250):
        harbor.add_project(f"p{i:03d}", public=i % 5 == 0)
    admin = api("admin")

    default = admin.get("/projects")
    assert len(default.json()) == 10 and default.headers["X-Total-Count"] == "250"
    assert default.headers["Link"] == '</api/v2.0/projects?page=2&page_size=10>; rel="next"'

    pages = [admin.get("/projects", params={"page": n, "page_size": 100}) for n in (1, 2, 3)]
    assert [len(page.json()) for page in pages] == [100, 100, 50]
    assert {page.headers["X-Total-Count"] for page in pages} == {"250"}
    assert [page.headers["Link"] for page in pages] == [
        '</api/v2.0/projects?page=2&page_size=100>; rel="next"',
        '</api/v2.0/projects?page=1&page_size=100>; rel="prev" , '
        '</api/v2.0/projects?page=3&page_size=100>; rel="next"',
        '</api/v2.0/projects?page=2&page_size=100>; rel="prev"',
    ]
    beyond = admin.get("/projects", params={"page": 4, "page_size": 100})
    assert beyond.json() == [] and "Link" not in beyond.headers

    # Follow rel="next" (relative, query keys sorted and unescaped) from the server root.
    seen, url = [], harbor.url + "/api/v2.0/projects?page_size=100&q=name%3D~p"
    while url:
        response = admin.session.get(url, timeout=10)
        seen += names(response)
        nexts = [part for part in response.headers.get("Link", "").split(" , ") if "next" in part]
        url = urljoin(harbor.url, nexts[0][1 : nexts[0].index(">")]) if nexts else ""
    assert seen == sorted(seen) and len(set(seen)) == 250
    second = admin.get("/projects", params={"q": "name=~p1", "page_size": 5})
    assert second.headers["X-Total-Count"] == "100"
    assert (
        second.headers["Link"] == '</api/v2.0/projects?page=2&page_size=5&q=name=~p1>; rel="next"'
    )

    anonymous = api(None).get("/projects", params={"page_size": 100})
    assert anonymous.headers["X-Total-Count"] == "50" and "Link" not in anonymous.headers


# --------------------------------------------------------------------------- one project


def test_get_and_head_project(harbor: HarborEmulator, api: ApiFactory) -> None:
    first = harbor.add_project("team", public=True)
    digits = harbor.add_project("123")
    admin = api("admin")
    assert admin.get(f"/projects/{first}").json()["name"] == "team"
    assert admin.get("/projects/team").json()["project_id"] == first
    # An all-digit value is an ID unless X-Is-Resource-Name says it is a name.
    assert error(admin.get("/projects/123")) == (404, "NOT_FOUND", "project 123 not found")
    by_name = admin.get("/projects/123", headers={"X-Is-Resource-Name": "true"})
    assert by_name.json()["project_id"] == digits
    assert error(api(None).get(f"/projects/{digits}"))[:2] == (401, "UNAUTHORIZED")
    assert error(api("alice").get(f"/projects/{digits}"))[:2] == (403, "FORBIDDEN")
    assert admin("HEAD", "/projects", params={"project_name": "team"}).status_code == 200
    assert admin("HEAD", "/projects", params={"project_name": "nope"}).status_code == 404


def test_create_project(harbor: HarborEmulator, api: ApiFactory) -> None:
    admin = api("admin")
    created = admin.post(
        "/projects", json={"project_name": "team-a", "metadata": {"public": "true"}}
    )
    assert (created.status_code, created.content) == (201, b"")
    assert re.fullmatch(r"/api/v2.0/projects/\d+", created.headers["Location"])
    fetched = admin.session.get(urljoin(harbor.url, created.headers["Location"]), timeout=10)
    assert fetched.json()["name"] == "team-a" and fetched.json()["metadata"]["public"] == "true"
    assert admin.get("/projects/team-a").json()["current_user_role_ids"] == [1]

    private = admin.post("/projects", json={"project_name": "team-b"})
    assert private.status_code == 201
    assert admin.get("/projects/team-b").json()["metadata"]["public"] == "false"
    by_name = admin.post(
        "/projects",
        json={"project_name": "team-c"},
        headers={"X-Resource-Name-In-Location": "true"},
    )
    assert by_name.headers["Location"] == "/api/v2.0/projects/team-c"
    assert error(admin.post("/projects", json={"project_name": "team-a"})) == (
        409,
        "CONFLICT",
        "The project named team-a already exists",
    )
    assert harbor.project_names() == ["team-a", "team-b", "team-c"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"project_name": "Upper"}, 400, "project name is not in lower case or contains illegal"),
        ({"project_name": "a..b"}, 400, "project name is not in lower case or contains illegal"),
        ({"project_name": ""}, 400, "Project name  is illegal in length"),
        ({"project_name": "x" * 256}, 422, "project_name in body should be at most 255 chars"),
        ({"project_name": "ok", "metadata": {"public": "yes"}}, 400, "metadata.public should"),
        (
            {"project_name": "ok", "metadata": {"public": True}},
            400,
            "cannot unmarshal bool into Go struct field ProjectReq.metadata.public of type string",
        ),
    ],
)
def test_create_project_rejects_bad_input(
    api: ApiFactory, body: dict[str, Any], status: int, message: str
) -> None:
    code, _, text = error(api("admin").post("/projects", json=body))
    assert code == status and message in text


def test_who_may_create_projects(harbor: HarborEmulator, api: ApiFactory) -> None:
    body = {"project_name": "ci"}
    assert error(api(None).post("/projects", json=body))[:2] == (401, "UNAUTHORIZED")
    assert error(api(("admin", "wrong")).post("/projects", json=body))[:2] == (401, "UNAUTHORIZED")
    assert error(api("alice").post("/projects", json=body)) == (
        403,
        "FORBIDDEN",
        "Only system admin can create project",
    )
    assert api("robot$ci").post("/projects", json=body).status_code == 201
    assert api("admin").get("/projects/ci").json()["owner_name"] == "admin"


def test_update_project_toggles_public(harbor: HarborEmulator, api: ApiFactory) -> None:
    harbor.add_project("team")
    admin = api("admin")
    updated = admin("PUT", "/projects/team", json={"metadata": {"public": "true"}})
    assert (updated.status_code, updated.content) == (200, b"")
    assert names(api(None).get("/projects")) == ["team"]
    assert error(api("alice")("PUT", "/projects/team", json={"metadata": {"public": "false"}}))[
        :2
    ] == (403, "FORBIDDEN")


def test_delete_project(harbor: HarborEmulator, api: ApiFactory) -> None:
    harbor.add_project("full")
    harbor.add_repository("full", "app", [{"tags": ["1"]}])
    empty_id = harbor.add_project("empty")
    harbor.add_project("alices", owner="alice", public=True)
    admin = api("admin")

    refused = admin("DELETE", "/projects/full")
    status, code, message = error(refused)
    assert (status, code) == (412, "PRECONDITION")
    assert message.endswith("the project contains repositories, can not be deleted")
    assert admin.get("/projects/full/_deletable").json() == {
        "deletable": False,
        "message": "the project contains repositories, can not be deleted",
    }
    assert admin.get(f"/projects/{empty_id}/_deletable").json() == {"deletable": True}
    deleted = admin("DELETE", f"/projects/{empty_id}")
    assert (deleted.status_code, deleted.content) == (200, b"")
    assert error(admin.get(f"/projects/{empty_id}"))[:2] == (404, "NOT_FOUND")
    assert error(admin("DELETE", "/projects/nope")) == (404, "NOT_FOUND", "project nope not found")
    assert error(api("bob")("DELETE", "/projects/alices"))[:2] == (403, "FORBIDDEN")
    assert api("alice")("DELETE", "/projects/alices").status_code == 200
    assert harbor.project_names() == ["full"]


# --------------------------------------------------------------------------- repositories


def test_list_repositories(harbor: HarborEmulator, api: ApiFactory) -> None:
    harbor.add_project("team")
    harbor.add_repository("team", "app", [{"tags": ["1"]}, {"tags": ["2"]}])
    harbor.add_repository("team", "tools/nginx", [{"tags": ["1.25"]}])
    harbor.add_repository("team", "tools/redis")
    admin = api("admin")
    listed = admin.get("/projects/team/repositories")
    assert listed.headers["X-Total-Count"] == "3"
    by_name = {repo["name"]: repo for repo in listed.json()}
    assert set(by_name) == {"team/app", "team/tools/nginx", "team/tools/redis"}
    assert by_name["team/app"]["artifact_count"] == 2 and by_name["team/app"]["pull_count"] == 0
    assert admin.get("/projects/team").json()["repo_count"] == 3

    page = admin.get("/projects/team/repositories", params={"page_size": 2})
    assert len(page.json()) == 2
    assert page.headers["Link"] == (
        '</api/v2.0/projects/team/repositories?page=2&page_size=2>; rel="next"'
    )
    tools = admin.get("/projects/team/repositories", params={"q": "name=~tools"})
    assert sorted(names(tools)) == ["team/tools/nginx", "team/tools/redis"]
    single = admin.get(f"/projects/team/repositories/{double('tools/nginx')}")
    assert single.json()["name"] == "team/tools/nginx"
    assert error(api(None).get("/projects/team/repositories"))[:2] == (401, "UNAUTHORIZED")
    assert error(api("bob").get("/projects/team/repositories"))[:2] == (403, "FORBIDDEN")
    assert error(admin.get("/projects/nope/repositories"))[:2] == (404, "NOT_FOUND")


# --------------------------------------------------------------------------- artifacts

D1, D2, D3 = (f"sha256:{c * 64}" for c in "abc")


@pytest.fixture
def team(harbor: HarborEmulator) -> HarborEmulator:
    harbor.add_project("team", public=True)
    harbor.add_repository(
        "team",
        "tools/nginx",
        [
            {
                "tags": ["1.25", "latest"],
                "digest": D1,
                "size": 2048,
                "push_time": "2024-01-02T03:04:05Z",
            },
            {"tags": None, "digest": D2},
            {"index": True, "tags": ["multi"], "digest": D3},
        ],
    )
    return harbor


def test_nested_repository_names_are_double_encoded(team: HarborEmulator, api: ApiFactory) -> None:
    admin = api("admin")
    listed = admin.get(f"/projects/team/repositories/{double('tools/nginx')}/artifacts")
    assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "3"
    assert team.requests[-1] == (
        "GET",
        "/api/v2.0/projects/team/repositories/tools%252Fnginx/artifacts",
    )
    missing = "path /api/v2.0/projects/team/repositories/tools/nginx/artifacts was not found"
    for once in ("tools%2Fnginx", "tools/nginx"):
        assert error(admin.get(f"/projects/team/repositories/{once}/artifacts")) == (
            404,
            "NOT_FOUND",
            missing,
        )
    # Harbor filters artifacts by repository name: an unknown repository is an empty list.
    unknown = admin.get(f"/projects/team/repositories/{double('tools/nope')}/artifacts")
    assert (unknown.json(), unknown.headers["X-Total-Count"]) == ([], "0")


def test_artifact_fields_and_null_tags(team: HarborEmulator, api: ApiFactory) -> None:
    path = f"/projects/team/repositories/{double('tools/nginx')}/artifacts"
    by_digest = {a["digest"]: a for a in api(None).get(path).json()}
    tagged, untagged, index = by_digest[D1], by_digest[D2], by_digest[D3]

    assert [tag["name"] for tag in tagged["tags"]] == ["1.25", "latest"]
    assert tagged["size"] == 2048 and tagged["push_time"] == "2024-01-02T03:04:05.000Z"
    assert tagged["pull_time"] == "0001-01-01T00:00:00.000Z" and tagged["type"] == "IMAGE"
    tag = tagged["tags"][0]
    assert tag["artifact_id"] == tagged["id"] and tag["repository_id"] == tagged["repository_id"]
    assert tag["immutable"] is False and tag["pull_time"] == "0001-01-01T00:00:00.000Z"
    assert tagged["references"] is None and tagged["extra_attrs"]["os"] == "linux"

    assert untagged["tags"] is None  # null, not []

    assert index["manifest_media_type"] == "application/vnd.oci.image.index.v1+json"
    assert [ref["platform"] for ref in index["references"]] == [
        {"architecture": "amd64", "os": "linux"},
        {"architecture": "arm64", "os": "linux"},
    ]
    assert all(ref["child_digest"].startswith("sha256:") for ref in index["references"])

    no_tags = api(None).get(path, params={"with_tag": "false"}).json()
    assert {a["digest"]: a["tags"] for a in no_tags} == {D1: None, D2: None, D3: None}


def test_artifact_queries_and_paging(team: HarborEmulator, api: ApiFactory) -> None:
    path = f"/projects/team/repositories/{double('tools/nginx')}/artifacts"
    admin = api("admin")

    def digests(query: str) -> set[str]:
        return {a["digest"] for a in admin.get(path, params={"q": query}).json()}

    assert digests("tags=~lat") == {D1}
    assert digests("tags=multi") == {D3}
    assert digests("tags=nil") == {D2}
    assert digests("tags=*") == {D1, D3}
    newest_first = admin.get(path, params={"page_size": 2})
    assert [a["digest"] for a in newest_first.json()] == [D2, D3]
    assert newest_first.headers["Link"] == (f'</api/v2.0{path}?page=2&page_size=2>; rel="next"')


# --------------------------------------------------------------------------- search


def test_search(team: HarborEmulator, api: ApiFactory) -> None:
    team.add_project("secret")
    team.add_repository("secret", "tools/vault")
    found = api("admin").get("/search", params={"q": "tools"}).json()
    repositories = {repo["repository_name"]: repo for repo in found["repository"]}
    assert set(repositories) == {"team/tools/nginx", "secret/tools/vault"}
    assert repositories["team/tools/nginx"]["project_public"] is True  # a real bool here
    assert repositories["team/tools/nginx"]["artifact_count"] == 3
    assert [
        p["name"] for p in api("admin").get("/search", params={"q": "sec"}).json()["project"]
    ] == ["secret"]
    anonymous = api(None).get("/search", params={"q": "tools"}).json()
    assert [repo["repository_name"] for repo in anonymous["repository"]] == ["team/tools/nginx"]
    assert error(api("admin").get("/search"))[:2] == (422, "UNPROCESSABLE_ENTITY")


# --------------------------------------------------------------------------- transport quirks


def test_session_cookie_breaks_writes_with_csrf(harbor: HarborEmulator, api: ApiFactory) -> None:
    harbor.add_project("keep")
    with_cookies = api("admin", keep_cookies=True)
    assert with_cookies.get("/projects").status_code == 200
    assert "sid" in with_cookies.session.cookies
    csrf = (403, "FORBIDDEN", "CSRF token invalid")
    assert error(with_cookies.post("/projects", json={"project_name": "x"})) == csrf
    assert error(with_cookies("DELETE", "/projects/keep")) == csrf
    assert error(with_cookies("PUT", "/projects/keep", json={"metadata": {}})) == csrf

    without = api("admin")
    assert without.get("/projects").status_code == 200
    assert len(without.session.cookies) == 0
    assert without.post("/projects", json={"project_name": "x"}).status_code == 201
    assert harbor.project_names() == ["keep", "x"]


def test_unknown_paths_and_methods(api: ApiFactory) -> None:
    admin = api("admin")
    assert error(admin.get("/nope")) == (404, "NOT_FOUND", "path /api/v2.0/nope was not found")
    assert error(admin("DELETE", "/ping")) == (
        405,
        "METHOD_NOT_ALLOWED",
        "method DELETE is not allowed, but [GET] are",
    )
    assert admin.get("/projects", headers={"X-Request-Id": "abc"}).headers["X-Request-Id"] == "abc"


def test_fail_next(harbor: HarborEmulator, api: ApiFactory) -> None:
    admin = api("admin")
    harbor.fail_next(503)
    proxied = admin.get("/projects")
    assert proxied.status_code == 503 and "nginx" in proxied.text
    assert proxied.headers["Content-Type"] == "text/html"
    assert admin.get("/projects").status_code == 200
    harbor.fail_next(500, times=2)
    assert [error(admin.get("/ping")) for _ in range(2)] == [
        (500, "UNKNOWN", "internal server error")
    ] * 2
    assert admin.get("/ping").status_code == 200
    harbor.fail_next(429)
    assert error(admin.get("/projects"))[:2] == (429, "TOO_MANY_REQUESTS")
    assert [method for method, _ in harbor.requests] == ["GET"] * 6


def test_latency_is_per_request_and_requests_run_concurrently(contract: Contract) -> None:
    with HarborEmulator(latency=0.2) as slow:
        slow.add_project("p", public=True)
        anonymous = Api(slow.url, checked_session(contract))
        started = time.perf_counter()
        assert anonymous.get("/ping").status_code == 200
        assert time.perf_counter() - started >= 0.2
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = [r.status_code for r in pool.map(anonymous.get, ["/projects"] * 8)]
        assert statuses == [200] * 8
        assert time.perf_counter() - started < 1.0  # 8 x 0.2 s if served one at a time


def test_concurrent_writes_are_consistent(harbor: HarborEmulator, api: ApiFactory) -> None:
    admin = api("admin")
    with ThreadPoolExecutor(max_workers=10) as pool:
        created = list(
            pool.map(
                lambda i: admin.post("/projects", json={"project_name": f"c{i:02d}"}), range(30)
            )
        )
    assert {response.status_code for response in created} == {201}
    ids = {response.headers["Location"] for response in created}
    assert len(ids) == 30 and sorted(harbor.project_names()) == [f"c{i:02d}" for i in range(30)]


# --------------------------------------------------------------------------- the Python API


def test_setup_api_validates_its_input(harbor: HarborEmulator) -> None:
    harbor.add_project("team")
    for call in (
        lambda: harbor.add_project("Bad"),
        lambda: harbor.add_project("team"),
        lambda: harbor.add_project("other", owner="nobody"),
        lambda: harbor.add_repository("nope", "app"),
        lambda: harbor.add_repository("team", "app", [{"tag": "1"}]),
    ):
        with pytest.raises(ValueError):
            call()
    harbor.add_repository("team", "app")
    with pytest.raises(ValueError):
        harbor.add_repository("team", "app")


def test_start_and_stop(contract: Contract) -> None:
    emulator = HarborEmulator()
    with pytest.raises(RuntimeError):
        _ = emulator.url
    with emulator:
        url = emulator.url
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert Api(url, checked_session(contract)).get("/ping").text == "Pong"
        with pytest.raises(RuntimeError):
            emulator.start()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/api/v2.0/ping", timeout=2)


def test_project_robot_sees_only_its_projects_and_public_ones() -> None:
    with HarborEmulator() as harbor:
        harbor.add_robot("robot$team", "team-secret", projects=["mine"])
        for name, public in (("mine", False), ("theirs", False), ("open", True)):
            harbor.add_project(name, public=public)
        listed = requests.get(
            f"{harbor.url}/api/v2.0/projects", auth=("robot$team", "team-secret"), timeout=5
        ).json()
        assert sorted(p["name"] for p in listed) == ["mine", "open"]
