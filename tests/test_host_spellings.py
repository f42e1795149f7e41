"""One registry, one decision, whatever spelling of its host an image uses (issue: security).

A container runtime pulls ``127.1:P/x``, ``[::1]:P/x`` or ``localhost:P/x`` from the same
server as ``127.0.0.1:P/x``. Before this, any spelling but the canonical one was judged as a
registry nobody integrated, so with ``MIRROR_FOREIGN_IMAGES=allow`` a tenant deployed another
tenant's private image. These tests drive ``check_image``, the JSON API and the CLI.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from mirror_plugin import Reason
from mirror_plugin.policy.hostkey import registry_key
from mirror_plugin.policy.reference import MAX_REFERENCE_LENGTH, _parse_cached
from mirror_plugin.testing.harbor import HarborEmulator

from .conftest import Api, make_app
from .factories import integration, session, space

PORT = 5080
BOUND_NS, OTHER_NS, NO_WS_NS = "prod/a-web", "prod/b-api", "dev/sandbox"


def spellings(port: int) -> list[str]:
    """Every spelling of 127.0.0.1:port that a runtime resolves to the same listener."""
    return [
        f"127.0.0.1:{port}",
        f"127.0.0.1:0{port}",
        f"127.0.0.1:000{port}",
        f"127.1:{port}",
        f"2130706433:{port}",
        f"0x7f.1:{port}",
        f"0177.0.0.1:{port}",
        f"127.0.0.2:{port}",
        f"localhost:{port}",
        f"[::1]:{port}",
        f"[0:0:0:0:0:0:0:1]:{port}",
        f"[::ffff:7f00:1]:{port}",
    ]


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Harbor.Example.COM", "harbor.example.com"),
        ("harbor.example.com:443", "harbor.example.com"),
        ("harbor.example.com:0443", "harbor.example.com"),
        ("harbor.example.com:80", "harbor.example.com"),
        ("harbor.example.com.:5000", "harbor.example.com:5000"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("127.1:5080", "127.0.0.1:5080"),
        ("2130706433:5080", "127.0.0.1:5080"),
        ("0x7f.0.0.1:05080", "127.0.0.1:5080"),
        ("[0:0::1]:5080", "[::1]:5080"),
        ("[::FFFF:10.0.0.5]", "10.0.0.5"),
        ("[2001:DB8:0::1]:5000", "[2001:db8::1]:5000"),
        ("index.docker.io", "docker.io"),
    ],
)
def test_registry_keys_are_canonical(typed: str, key: str) -> None:
    assert registry_key(typed) == key


@pytest.fixture
def loopback_harbor(app: Flask) -> Flask:
    """A platform Harbor at 127.0.0.1:5080: one private space bound to ws-a, one public."""
    harbor = integration("harbor", f"http://127.0.0.1:{PORT}")
    space(harbor, "alpha-private", bound=("ws-a",))
    space(harbor, "library", public=True)
    session().commit()
    return app


def check(app: Flask, namespace: str, image: str):  # type: ignore[no-untyped-def]
    return app.extensions["mirror_plugin"].plugin.check_image(namespace, image)


@pytest.mark.parametrize("policy", ["allow", "deny"])
@pytest.mark.parametrize("host", spellings(PORT))
def test_every_spelling_of_the_host_gets_the_same_decision(
    loopback_harbor: Flask, host: str, policy: str
) -> None:
    loopback_harbor.config["MIRROR_FOREIGN_IMAGES"] = policy
    image = f"{host}/alpha-private/web:1.0"
    bound = check(loopback_harbor, BOUND_NS, image)
    assert (bound.allowed, bound.reason) == (True, Reason.BOUND_TO_WORKSPACE), bound.message
    other = check(loopback_harbor, OTHER_NS, image)
    assert (other.allowed, other.reason) == (False, Reason.SPACE_NOT_BOUND), other.message
    loose = check(loopback_harbor, NO_WS_NS, image)
    assert (loose.allowed, loose.reason) == (False, Reason.NAMESPACE_NOT_IN_WORKSPACE)
    public = check(loopback_harbor, NO_WS_NS, f"{host}/library/nginx:1")
    assert public.reason is Reason.PUBLIC_SPACE


def test_check_and_explain_agree_on_every_spelling(loopback_harbor: Flask) -> None:
    plugin = loopback_harbor.extensions["mirror_plugin"].plugin
    for host in [*spellings(PORT), f"localhost:{PORT + 1}"]:
        for namespace in (BOUND_NS, OTHER_NS, NO_WS_NS):
            for space_name in ("alpha-private", "library", "nowhere"):
                image = f"{host}/{space_name}/web:1.0"
                explained = plugin.explain(namespace, image).decision
                assert explained == check(loopback_harbor, namespace, image), image


def test_another_port_is_another_registry(loopback_harbor: Flask) -> None:
    for host in (f"localhost:{PORT + 1}", f"[::1]:{PORT + 1}", "127.1", "localhost:80"):
        decision = check(loopback_harbor, OTHER_NS, f"{host}/alpha-private/web:1.0")
        assert decision.reason is Reason.FOREIGN_ALLOWED, host


def test_forms_the_grammar_refuses_stay_invalid(loopback_harbor: Flask) -> None:
    for host in (f"127.0.0.1.:{PORT}", f"[::ffff:127.0.0.1]:{PORT}", f"[::1%lo]:{PORT}"):
        decision = check(loopback_harbor, OTHER_NS, f"{host}/alpha-private/web:1.0")
        assert decision.reason is Reason.INVALID_REFERENCE, host


def _loopback_names() -> list[str]:
    """Names other than localhost that /etc/hosts maps to a loopback address."""
    names: list[str] = []
    hosts = Path("/etc/hosts")
    for line in hosts.read_text().splitlines() if hosts.exists() else []:
        fields = line.split("#", 1)[0].split()
        try:
            loopback = ipaddress.ip_address(fields[0]).is_loopback if fields else False
        except ValueError:
            continue
        names += [n for n in fields[1:] if loopback and n != "localhost" and "." not in n]
    return names


def test_a_host_name_that_resolves_to_the_registry_is_that_registry(
    loopback_harbor: Flask,
) -> None:
    names = _loopback_names()
    if not names:
        pytest.skip("/etc/hosts maps no other name to loopback")
    image = f"{names[0]}:{PORT}/alpha-private/web:1.0"
    denied = check(loopback_harbor, OTHER_NS, image)
    assert (denied.allowed, denied.reason) == (False, Reason.SPACE_NOT_BOUND), denied.message
    assert check(loopback_harbor, BOUND_NS, image).allowed
    plugin = loopback_harbor.extensions["mirror_plugin"].plugin
    registry = {c.key: c for c in plugin.explain(OTHER_NS, image).checks}["registry"]
    assert f"loopback:{PORT}, an address of registry harbor" in registry.answer


def test_explain_says_which_integration_an_address_matched(loopback_harbor: Flask) -> None:
    plugin = loopback_harbor.extensions["mirror_plugin"].plugin
    checks = {c.key: c for c in plugin.explain(OTHER_NS, f"[::1]:{PORT}/alpha-private/x").checks}
    assert checks["registry"].status.value == "pass"
    assert "[::1]:5080 is integrated: it reaches loopback:5080" in checks["registry"].answer
    direct = {c.key: c for c in plugin.explain(OTHER_NS, f"127.1:{PORT}/alpha-private/x").checks}
    assert direct["registry"].answer == "127.1:5080 is integrated."


def test_a_moved_registry_stops_matching_its_old_address(loopback_harbor: Flask) -> None:
    from mirror_plugin.models import Integration
    from mirror_plugin.services.registry_hosts import record_addresses

    row = session().query(Integration).one()
    row.url, row.registry_host = "http://10.9.8.7:5080", "10.9.8.7:5080"
    record_addresses(row)
    session().commit()
    assert row.addresses == ["10.9.8.7:5080"]
    moved = check(loopback_harbor, OTHER_NS, f"localhost:{PORT}/alpha-private/web:1.0")
    assert moved.reason is Reason.FOREIGN_ALLOWED
    assert check(loopback_harbor, OTHER_NS, "10.9.8.7:5080/alpha-private/web:1").reason is (
        Reason.SPACE_NOT_BOUND
    )


# -- aliases, through the JSON API, the form and the CLI ----------------------------------


@pytest.fixture
def harbor() -> Iterator[HarborEmulator]:
    with HarborEmulator() as emulator:
        emulator.add_project("alpha-private")
        emulator.add_robot("robot$alpha", "robot-secret", projects=["alpha-private"])
        yield emulator


def _create(api: Api, harbor: HarborEmulator, **extra: object):  # type: ignore[no-untyped-def]
    body = {
        "name": "harbor",
        "kind": "harbor",
        "url": harbor.url,
        "username": "admin",
        "password": "Harbor12345",
        **extra,
    }
    return api.as_user("root").post("/api/integrations", body)


def test_aliases_through_the_json_api(app: Flask, api: Api, harbor: HarborEmulator) -> None:
    created = _create(api, harbor, aliases=["harbor.corp", "Harbor.Corp.example.com:443"])
    assert created.status_code == 201, created.get_json()
    data = created.get_json()
    assert data["aliases"] == ["harbor.corp", "harbor.corp.example.com"]
    assert data["addresses"] == [f"loopback:{harbor.url.rsplit(':', 1)[1]}"]
    integration_id = data["id"]
    session().commit()
    for image in ("harbor.corp/alpha-private/web:1", "harbor.corp.example.com:443/alpha-private/w"):
        decision = check(app, OTHER_NS, image)
        assert decision.reason is Reason.SPACE_NOT_BOUND, decision.message
    plugin = app.extensions["mirror_plugin"].plugin
    registry = {c.key: c for c in plugin.explain(OTHER_NS, "harbor.corp/alpha-private/x").checks}
    assert "harbor.corp is integrated: it is an alias of registry harbor" in (
        registry["registry"].answer
    )

    cleared = api.patch(f"/api/integrations/{integration_id}", {"aliases": []})
    assert cleared.status_code == 200 and cleared.get_json()["aliases"] == []
    assert check(app, OTHER_NS, "harbor.corp/alpha-private/web:1").reason is Reason.FOREIGN_ALLOWED


@pytest.mark.parametrize(
    ("aliases", "status", "words"),
    [
        (["harbor"], 422, "not a registry host as images spell it"),
        (["https://harbor.corp"], 422, "not a registry host"),
        (["harbor.corp/path"], 422, "not a registry host"),
        ([f"h{i}.corp" for i in range(21)], 422, "at most 20 aliases"),
        (["x" * 400], 422, "too long"),
        ("harbor.corp", 422, "aliases must be a list of strings"),
        ([1], 422, "aliases must be a list of strings"),
    ],
)
def test_bad_aliases_get_a_clear_error_and_change_nothing(
    app: Flask, api: Api, harbor: HarborEmulator, aliases: object, status: int, words: str
) -> None:
    response = _create(api, harbor, aliases=aliases)
    assert response.status_code == status
    assert words in str(response.get_json())
    from mirror_plugin.models import Integration

    assert session().query(Integration).count() == 0


def test_aliases_through_the_form(app: Flask, api: Api, harbor: HarborEmulator) -> None:
    created = _create(api, harbor)
    integration_id = created.get_json()["id"]
    edit = api.get(f"/integrations/{integration_id}/edit").get_data(as_text=True)
    assert 'name="aliases"' in edit
    form = {
        "name": "harbor",
        "kind": "harbor",
        "url": harbor.url,
        "username": "admin",
        "verify_tls": "y",
        "aliases": "harbor.corp\n10.0.0.5",
        "mirror_csrf_token": Api.TOKEN,
        "action": "save",
    }
    saved = api.client.post(f"/mirror/integrations/{integration_id}/edit", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    detail = api.client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "<code>harbor.corp</code>, <code>10.0.0.5</code>" in detail
    edit = api.get(f"/integrations/{integration_id}/edit").get_data(as_text=True)
    assert "harbor.corp\n10.0.0.5</textarea>" in edit
    assert check(app, OTHER_NS, "10.0.0.5/alpha-private/web:1").reason is Reason.SPACE_NOT_BOUND

    bad = api.client.post(
        f"/mirror/integrations/{integration_id}/edit", data={**form, "aliases": "harbor"}
    )
    assert bad.status_code == 422
    assert "not a registry host as images spell it" in bad.get_data(as_text=True)


def test_a_workspace_admin_lists_aliases_of_their_warehouse(
    app: Flask, api: Api, harbor: HarborEmulator
) -> None:
    body = {
        "name": "mine",
        "kind": "harbor",
        "url": harbor.url,
        "username": "robot$alpha",
        "password": "robot-secret",
        "aliases": ["alpha-harbor.corp"],
    }
    created = api.as_user("alice").post("/api/workspaces/ws-a/integrations", body)
    assert created.status_code == 201, created.get_json()
    session().commit()
    mine = check(app, BOUND_NS, "alpha-harbor.corp/alpha-private/web:1")
    assert mine.reason is Reason.WORKSPACE_WAREHOUSE
    # Reached by its address, the warehouse is still the workspace's own registry...
    port = harbor.url.rsplit(":", 1)[1]
    by_address = check(app, BOUND_NS, f"localhost:{port}/alpha-private/w")
    assert by_address.reason is Reason.WORKSPACE_WAREHOUSE
    # ...and to another workspace, a registry nobody integrated for it (as its own name is).
    assert check(app, OTHER_NS, "alpha-harbor.corp/alpha-private/web:1").allowed


def test_aliases_through_the_cli(app: Flask, harbor: HarborEmulator) -> None:
    runner = app.test_cli_runner()
    added = runner.invoke(
        args=[
            "mirror", "registry", "add", "hb", harbor.url, "--kind", "harbor",
            "--username", "admin", "--password-env", "HB_PASS", "--alias", "harbor.corp",
            "--no-sync",
        ],
        env={"HB_PASS": "Harbor12345"},
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    listed = runner.invoke(args=["mirror", "registry", "list"])
    assert "(also harbor.corp)" in listed.output
    edited = runner.invoke(
        args=["mirror", "registry", "edit", "hb", "--alias", "a.corp", "--alias", "10.1.1.1:5000"]
    )
    assert edited.exit_code == 0, edited.output
    assert "other names: a.corp, 10.1.1.1:5000" in edited.output
    bad = runner.invoke(args=["mirror", "registry", "edit", "hb", "--alias", "nodots"])
    assert bad.exit_code == 1 and "not a registry host" in bad.output
    cleared = runner.invoke(args=["mirror", "registry", "edit", "hb", "--no-aliases"])
    assert "other names: none" in cleared.output


# -- explain reveals nothing the picker would not show ------------------------------------


@pytest.mark.parametrize("namespace", [NO_WS_NS, OTHER_NS])
def test_explain_does_not_tell_private_spaces_from_missing_ones(
    loopback_harbor: Flask, api: Api, namespace: str
) -> None:
    user = "bob" if namespace == OTHER_NS else "root"
    answers = []
    for space_name in ("alpha-private", "no-such"):
        response = api.as_user(user).get(
            f"/api/explain?namespace={namespace}&image=127.0.0.1:{PORT}/{space_name}/x:1"
        )
        assert response.status_code == 200
        answers.append(str(response.get_json()).replace(space_name, "SPACE"))
    assert answers[0] == answers[1]


# -- huge references -----------------------------------------------------------------------


def test_huge_references_are_refused_before_parsing_and_never_cached(
    loopback_harbor: Flask,
) -> None:
    before = _parse_cached.cache_info()
    for size in (MAX_REFERENCE_LENGTH + 1, 1_000_000):
        image = f"127.0.0.1:{PORT}/library/" + "a" * size
        decision = check(loopback_harbor, BOUND_NS, image)
        assert decision.reason is Reason.INVALID_REFERENCE
        assert f"longer than the {MAX_REFERENCE_LENGTH}" in decision.message
        assert len(decision.message) < 400
    assert _parse_cached.cache_info().currsize == before.currsize
    long_domain = "a" * 250 + ".example.com/library/nginx"
    assert check(loopback_harbor, BOUND_NS, long_domain).reason is Reason.INVALID_REFERENCE


def test_the_longest_valid_reference_still_parses(loopback_harbor: Flask) -> None:
    image = f"127.0.0.1:{PORT}/library/" + "a" * 240 + ":" + "t" * 128
    assert check(loopback_harbor, BOUND_NS, image).reason is Reason.PUBLIC_SPACE


def test_allowing_foreign_images_is_announced_at_start_up(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    from .conftest import world

    with caplog.at_level(logging.WARNING, logger="mirror_plugin.extension"):
        make_app(database_url, world())
        assert "MIRROR_FOREIGN_IMAGES is 'allow'" in caplog.text
        caplog.clear()
        make_app(database_url, world(), MIRROR_FOREIGN_IMAGES="deny")
        assert "MIRROR_FOREIGN_IMAGES" not in caplog.text
