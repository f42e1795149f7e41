"""The Harbor emulator's robot accounts and registry pulls, checked against Harbor's spec and
with a real registry client (Debian's ``skopeo``)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from mirror_plugin.testing.harbor import HarborEmulator
from tests.conftest import require_tool
from tests.test_harbor_emulator import (  # noqa: F401  (fixtures)
    PASSWORDS,
    ApiFactory,
    api,
    contract,
    error,
    harbor,
)


def pull_permission(*projects: str) -> list[dict[str, object]]:
    return [
        {
            "kind": "project",
            "namespace": project,
            "access": [{"resource": "repository", "action": "pull", "effect": "allow"}],
        }
        for project in projects
    ]


def robot_body(name: str, *projects: str, duration: int = 30) -> dict[str, object]:
    return {
        "name": name,
        "description": "pull access",
        "level": "system",
        "duration": duration,
        "disable": False,
        "permissions": pull_permission(*projects),
    }


@pytest.fixture
def seeded(harbor: HarborEmulator) -> HarborEmulator:  # noqa: F811
    harbor.add_project("open", public=True)
    harbor.add_project("team-a")
    harbor.add_project("team-b")
    for project in ("open", "team-a", "team-b"):
        harbor.add_repository(project, "tools/nginx", [{"tags": ["1.25"]}])
    return harbor


def test_robot_lifecycle_follows_the_spec(seeded: HarborEmulator, api: ApiFactory) -> None:  # noqa: F811
    admin = api("admin")
    created = admin.post("/robots", json=robot_body("mirror-ws-a", "team-a"))
    assert created.status_code == 201, created.text
    robot = created.json()
    assert robot["name"] == "robot$mirror-ws-a" and len(robot["secret"]) >= 8
    assert created.headers["Location"].endswith(f"/robots/{robot['id']}")
    assert robot["expires_at"] > 0

    listed = admin.get("/robots", params={"q": "name=mirror-ws-a"})
    assert [r["name"] for r in listed.json()] == ["robot$mirror-ws-a"]
    assert "secret" not in listed.json()[0]  # shown once, stored hashed
    assert listed.headers["X-Total-Count"] == "1"

    one = admin.get(f"/robots/{robot['id']}").json()
    one["permissions"] = pull_permission("team-a", "team-b")
    assert admin("PUT", f"/robots/{robot['id']}", json=one).status_code == 200
    namespaces = [p["namespace"] for p in admin.get(f"/robots/{robot['id']}").json()["permissions"]]
    assert namespaces == ["team-a", "team-b"]

    refreshed = admin("PATCH", f"/robots/{robot['id']}", json={"secret": ""})
    assert refreshed.status_code == 200 and refreshed.json()["secret"] != robot["secret"]

    assert admin("DELETE", f"/robots/{robot['id']}").status_code == 200
    assert error(admin.get(f"/robots/{robot['id']}"))[:2] == (404, "NOT_FOUND")


def test_robot_input_is_checked_as_harbor_does(seeded: HarborEmulator, api: ApiFactory) -> None:  # noqa: F811
    admin = api("admin")
    assert error(admin.post("/robots", json=robot_body("Bad Name", "team-a")))[0] == 400
    assert "duration" in error(admin.post("/robots", json=robot_body("a", "team-a", duration=0)))[2]
    assert error(admin.post("/robots", json=robot_body("a")))[2] == "bad request empty permission"
    assert error(admin.post("/robots", json=robot_body("a", "nope")))[:2] == (404, "NOT_FOUND")
    admin.post("/robots", json=robot_body("a", "team-a"))
    assert error(admin.post("/robots", json=robot_body("a", "team-a")))[:2] == (409, "CONFLICT")
    renamed = {**admin.get("/robots").json()[0], "name": "robot$other"}
    assert error(admin("PUT", f"/robots/{renamed['id']}", json=renamed))[0] == 400
    assert error(api("alice").get("/robots"))[:2] == (403, "FORBIDDEN")
    assert error(api(None).post("/robots", json=robot_body("b", "team-a")))[0] == 401


def token(emulator: HarborEmulator, scope: str, auth: tuple[str, str] | None) -> list[str]:
    answer = requests.get(
        emulator.url + "/service/token",
        params={"service": "harbor-registry", "scope": scope},
        auth=auth,
        timeout=10,
    )
    if answer.status_code != 200:
        return [f"HTTP {answer.status_code}"]
    (access,) = answer.json()["access"]
    return access["actions"]


def test_token_service_grants_pull_as_robot_permissions_say(
    seeded: HarborEmulator,
    api: ApiFactory,  # noqa: F811
) -> None:
    robot = api("admin").post("/robots", json=robot_body("puller", "team-a")).json()
    creds = (robot["name"], robot["secret"])
    challenge = requests.get(seeded.url + "/v2/", timeout=10)
    assert challenge.status_code == 401
    assert challenge.headers["WWW-Authenticate"] == (
        f'Bearer realm="{seeded.url}/service/token",service="harbor-registry"'
    )
    assert token(seeded, "repository:team-a/tools/nginx:pull", creds) == ["pull"]
    assert token(seeded, "repository:team-b/tools/nginx:pull", creds) == []
    assert token(seeded, "repository:open/tools/nginx:pull", None) == ["pull"]
    assert token(seeded, "repository:team-a/tools/nginx:pull", None) == []
    assert token(seeded, "repository:team-a/tools/nginx:pull", (robot["name"], "Wrong123")) == [
        "HTTP 401"
    ]
    seeded.edit_robot(robot["id"], disable=True)
    assert token(seeded, "repository:team-a/tools/nginx:pull", creds) == ["HTTP 401"]


def skopeo_inspect(
    emulator: HarborEmulator, image: str, auth: dict | None, tmp: Path
) -> subprocess.CompletedProcess:
    authfile = tmp / "config.json"
    authfile.write_text(json.dumps(auth or {"auths": {}}))
    host = emulator.url.removeprefix("http://")
    return subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", "--authfile", str(authfile),
         f"docker://{host}/{image}"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_skopeo_pulls_only_what_the_robot_may(
    seeded: HarborEmulator,
    api: ApiFactory,  # noqa: F811
    tmp_path: Path,
) -> None:
    require_tool(shutil.which("skopeo") is not None, "skopeo")
    robot = api("admin").post("/robots", json=robot_body("puller", "team-a")).json()
    host = seeded.url.removeprefix("http://")
    basic = base64.b64encode(f"{robot['name']}:{robot['secret']}".encode()).decode()
    auth = {"auths": {host: {"auth": basic}}}  # containers/image reads only "auth"
    ok = skopeo_inspect(seeded, "team-a/tools/nginx:1.25", auth, tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["RepoTags"] == ["1.25"]
    assert skopeo_inspect(seeded, "open/tools/nginx:1.25", None, tmp_path).returncode == 0
    refused = skopeo_inspect(seeded, "team-b/tools/nginx:1.25", auth, tmp_path)
    assert refused.returncode != 0 and "denied" in refused.stderr.lower(), refused.stderr
    assert skopeo_inspect(seeded, "team-a/tools/nginx:1.25", None, tmp_path).returncode != 0
