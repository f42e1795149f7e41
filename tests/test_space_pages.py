"""The Warehouse Space page without JavaScript, and space operations against Harbor."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from mirror_plugin.models import AuditEvent, Binding, Space
from mirror_plugin.services import audit
from mirror_plugin.testing.harbor import HarborEmulator

from .conftest import Api
from .factories import session


@pytest.fixture
def harbor_spaces(app: Flask, api: Api) -> Iterator[tuple[HarborEmulator, int]]:
    with HarborEmulator() as harbor:
        harbor.add_project("library", public=True)
        harbor.add_project("secret")
        harbor.add_project("full")
        harbor.add_repository("full", "app", [{"tags": ["1"]}])
        api.as_user("root")
        created = api.post(
            "/api/integrations",
            {
                "name": "harbor",
                "kind": "harbor",
                "url": harbor.url,
                "username": "admin",
                "password": "Harbor12345",
            },
        )
        integration_id = created.get_json()["id"]
        api.post(f"/api/integrations/{integration_id}/sync?wait=true")
        yield harbor, integration_id


def form_post(api: Api, path: str, data: dict[str, Any]) -> Any:
    return api.client.post("/mirror" + path, data={**data, "mirror_csrf_token": Api.TOKEN})


def space_id(name: str) -> int:
    return session().query(Space).filter_by(name=name).one().id


def test_page_lists_spaces_with_tabs_and_no_binding(
    api: Api, harbor_spaces: tuple[HarborEmulator, int]
) -> None:
    _, integration_id = harbor_spaces
    page = api.get(f"/integrations/{integration_id}/spaces").get_data(as_text=True)
    # library is public: every workspace may use it, and it offers no Bind Workspace.
    assert page.count("No binding") == 2 and page.count("Every workspace<") == 1
    assert page.count(">Bind Workspace</a>") == 2 and "Healthy" in page
    private = api.get(f"/integrations/{integration_id}/spaces?tab=private").get_data(as_text=True)
    assert "secret" in private and ">library<" not in private
    assert 'src="/mirror/static/mirror_plugin/spaces.js"' in page


def test_bind_page_without_javascript(api: Api, harbor_spaces: tuple[HarborEmulator, int]) -> None:
    secret = space_id("secret")
    page = api.get(f"/spaces/{secret}/bind").get_data(as_text=True)
    assert "Team A" in page and "Team B" in page and "checked" not in page
    done = form_post(api, f"/spaces/{secret}/bind", {"workspaces": ["ws-a", "ws-b"]})
    assert done.status_code == 302
    listing = api.client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Bound secret to Team A, Team B." in listing
    assert re.search(r'data-workspace-id="ws-a">Team A<', listing)
    moved = form_post(api, f"/spaces/{secret}/bind", {"workspaces": ["ws-b"]})
    assert "Unbound secret from Team A." in api.client.get(moved.headers["Location"]).get_data(
        as_text=True
    )
    assert [b.workspace_id for b in session().query(Binding)] == ["ws-b"]
    searched = api.get(f"/spaces/{secret}/bind?q=team c").get_data(as_text=True)
    assert "Team C" in searched and "Team A" not in searched and "Team B" in searched  # kept


def test_batch_form(api: Api, harbor_spaces: tuple[HarborEmulator, int]) -> None:
    _, integration_id = harbor_spaces
    ids = [space_id("secret"), space_id("full")]
    done = form_post(
        api,
        f"/integrations/{integration_id}/spaces/batch",
        {"spaces": ids, "workspaces": ["ws-c"], "operation": "bind"},
    )
    assert done.status_code == 302
    assert sorted(b.space_id for b in session().query(Binding)) == sorted(ids)
    empty = form_post(
        api, f"/integrations/{integration_id}/spaces/batch", {"spaces": ids, "operation": "bind"}
    )
    follow = api.client.get(empty.headers["Location"]).get_data(as_text=True)
    assert "Choose at least one workspace." in follow


def test_create_flip_delete_go_to_harbor_first(
    api: Api, harbor_spaces: tuple[HarborEmulator, int]
) -> None:
    harbor, integration_id = harbor_spaces
    created = api.post(
        f"/api/integrations/{integration_id}/spaces", {"name": "team-new", "public": False}
    )
    assert created.status_code == 201 and "team-new" in harbor.project_names()
    clash = api.post(f"/api/integrations/{integration_id}/spaces", {"name": "team-new"})
    assert clash.status_code == 409 and "already exists" in clash.get_json()["error"]["message"]
    invalid = api.post(f"/api/integrations/{integration_id}/spaces", {"name": "Team_New!"})
    assert invalid.status_code == 422 and "lower-case" in str(invalid.get_json())

    new_id = created.get_json()["id"]
    assert api.patch(f"/api/spaces/{new_id}", {"public": True}).get_json()["public"] is True
    import requests

    upstream = requests.get(
        f"{harbor.url}/api/v2.0/projects/team-new",
        headers={"X-Is-Resource-Name": "true"},
        auth=("admin", "Harbor12345"),
        timeout=5,
    ).json()
    assert upstream["metadata"]["public"] == "true"

    full = space_id("full")
    api.post("/api/bindings", {"spaces": [full], "workspaces": ["ws-a"]})
    refused = api.delete(f"/api/spaces/{full}")
    assert (
        refused.status_code == 409
        and "still has repositories" in refused.get_json()["error"]["message"]
    )
    assert session().query(Binding).count() == 1 and "full" in harbor.project_names()

    assert api.delete(f"/api/spaces/{new_id}").status_code == 200
    assert "team-new" not in harbor.project_names()


def test_registry_down_blocks_registry_actions_not_bindings(
    app: Flask, api: Api, harbor_spaces: tuple[HarborEmulator, int]
) -> None:
    harbor, integration_id = harbor_spaces
    harbor.stop()
    secret = space_id("secret")
    flip = api.patch(f"/api/spaces/{secret}", {"public": True})
    assert flip.status_code == 502 and "could not be reached" in flip.get_json()["error"]["message"]
    assert session().get(Space, secret).public is False
    bound = api.call("PUT", f"/api/spaces/{secret}/workspaces", {"workspaces": ["ws-a"]})
    assert bound.status_code == 200
    listing = api.get(f"/integrations/{integration_id}/spaces").get_data(as_text=True)
    assert "Spaces as of the last sync" in listing
    harbor.start()  # the fixture stops it again


def test_a_page_past_the_end_shows_the_last_page(
    api: Api, harbor_spaces: tuple[HarborEmulator, int]
) -> None:
    _, integration_id = harbor_spaces
    reply = api.get(f"/api/integrations/{integration_id}/spaces?per_page=2&page=99").get_json()
    assert (reply["page"], reply["pages"], reply["total"]) == (2, 2, 3)
    assert [s["name"] for s in reply["items"]] == ["secret"]
    page = api.get(f"/integrations/{integration_id}/spaces?page=99").get_data(as_text=True)
    assert "3 spaces · page 1 of 1" in page and ">Previous</a>" not in page


def test_audit_page_filters(api: Api, harbor_spaces: tuple[HarborEmulator, int]) -> None:
    api.post("/api/bindings", {"spaces": [space_id("secret")], "workspaces": ["ws-a"]})
    table = api.get("/audit?action=binding.changed").get_data(as_text=True).split("<table")[1]
    assert "Bindings changed" in table and "Team A" in table
    assert "Registry connected" not in table
    assert "Registry connected" in api.get("/audit").get_data(as_text=True).split("<table")[1]
    assert api.as_user("alice").get("/audit").status_code == 403


def test_audit_shows_named_actions_one_per_operation(
    app: Flask, api: Api, harbor_spaces: tuple[HarborEmulator, int]
) -> None:
    """Batch bind and the dialog write the same action; rows written with the older codes
    read and filter as that action; the filter is a list of named actions, not a code box."""
    secret = space_id("secret")
    api.post("/api/bindings", {"spaces": [secret], "workspaces": ["ws-a"]})
    api.call("PUT", f"/api/spaces/{secret}/workspaces", {"workspaces": ["ws-b"]})
    with app.app_context():
        for old in ("binding.set", "binding.bound", "binding.unbound"):
            audit.record(session(), actor="old-version", action=old, space="secret")
        session().commit()
        actions = [e.action for e in session().query(AuditEvent).filter_by(space_name="secret")]
    assert actions.count("binding.changed") == 2
    page = api.get("/audit?action=binding.changed").get_data(as_text=True)
    assert page.count("<td>Bindings changed") == 5 and "5 events" in page
    assert "binding." not in page.split("<table", 1)[1].split("<nav")[0]  # no code shown
    select = page.split('<select name="action">', 1)[1].split("</select>", 1)[0]
    assert '<option value="binding.changed" selected>Bindings changed</option>' in select
    assert "Space made public" in select and "binding.bound" not in select


def _sets_for(number: int) -> set[str]:
    return {w for i, w in enumerate(("ws-a", "ws-b", "ws-c")) if (number >> i) & 1}


@pytest.mark.postgres
def test_concurrent_binds_and_unbinds_on_postgres(postgres_url: str, adapter: Any) -> None:
    """8 threads bind, unbind and set the same pairs: no error, no duplicate row, and each
    space ends in the set of the last writer that changed it."""

    from mirror_plugin import dbmigrate
    from mirror_plugin.models import AuditEvent
    from mirror_plugin.services.bindings import bind, set_workspaces, unbind

    from .conftest import drop_plugin_tables, make_app
    from .factories import integration as make_integration
    from .factories import space as make_space

    app = make_app(postgres_url, adapter)
    with app.app_context():
        dbmigrate.upgrade()
        registry = make_integration("conc", "https://conc.example.com")
        ids = [make_space(registry, f"s{n}").id for n in range(3)]
        session().commit()
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        for round_ in range(15):
            with app.app_context():
                try:
                    if round_ % 3 == 0:
                        set_workspaces(
                            ids[(number + round_) % 3], _sets_for(number), actor=f"t{number}"
                        )
                    elif round_ % 3 == 1:
                        bind(ids, ["ws-a", "ws-b"], actor=f"t{number}")
                    else:
                        unbind(ids, ["ws-b"], actor=f"t{number}")
                except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                    errors.append(exc)
                finally:
                    session().remove()

    def run(target: Any) -> None:
        threads = [threading.Thread(target=target, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def setter(number: int) -> None:
        for _ in range(5):
            with app.app_context():
                try:
                    set_workspaces(ids[0], _sets_for(number), actor=f"t{number}")
                except BaseException as exc:  # noqa: BLE001
                    errors.append(exc)
                finally:
                    session().remove()

    try:
        run(worker)
        with app.app_context():
            pairs = [(b.space_id, b.workspace_id) for b in session().query(Binding)]
        assert errors == [] and len(pairs) == len(set(pairs))

        run(setter)
        assert errors == []
        with app.app_context():
            last = (
                session()
                .query(AuditEvent)
                .filter_by(action="binding.changed")
                .order_by(AuditEvent.id.desc())
                .first()
            )
            final = {b.workspace_id for b in session().query(Binding).filter_by(space_id=ids[0])}
            assert final == _sets_for(int(last.actor[1:]))
    finally:
        with app.app_context():
            engine = session().get_bind()
            session().remove()
            drop_plugin_tables(engine)
            engine.dispose()


#: ``next`` values a crafted form could carry to bounce the admin to another site.
OFF_SITE = (
    "https://evil.example/login",
    "//evil.example/login",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "javascript:alert(1)",
    "http:evil.example",
    "evil.example/login",
    "/\u202e/evil",
    "/" + "a" * 3000,
)


def test_next_only_leads_back_into_the_site(
    api: Api, harbor_spaces: tuple[HarborEmulator, int]
) -> None:
    """Open redirect: visibility, Bind Workspace and batch follow ``next`` only when it is a
    path on this site; anything else lands on the Warehouse Space page."""
    _, integration_id = harbor_spaces
    secret = space_id("secret")
    default = f"/mirror/integrations/{integration_id}/spaces"
    forms = (
        (f"/spaces/{secret}/visibility", {"public": "false"}),
        (f"/spaces/{secret}/bind", {"workspaces": ["ws-a"]}),
        (
            f"/integrations/{integration_id}/spaces/batch",
            {"spaces": [secret], "workspaces": ["ws-b"], "operation": "bind"},
        ),
    )
    for path, data in forms:
        for target in OFF_SITE:
            done = form_post(api, path, {**data, "next": target})
            assert (done.status_code, done.headers["Location"]) == (302, default), (path, target)
        back = f"{default}?tab=private&q=sec&page=1"
        done = form_post(api, path, {**data, "next": back})
        assert done.headers["Location"] == back, path


def test_forms_refuse_what_they_do_not_know(
    api: Api, harbor_spaces: tuple[HarborEmulator, int]
) -> None:
    """A forged or garbled post changes nothing: an unknown batch operation used to unbind,
    an unknown visibility used to make the space private, a non-numeric space id was dropped."""
    _, integration_id = harbor_spaces
    secret, library = space_id("secret"), space_id("library")
    batch = f"/integrations/{integration_id}/spaces/batch"
    form_post(api, batch, {"spaces": [secret], "workspaces": ["ws-a"], "operation": "bind"})
    dropped = form_post(
        api, batch, {"spaces": [secret], "workspaces": ["ws-a"], "operation": "drop"}
    )
    assert "Not a valid choice" in api.client.get(dropped.headers["Location"]).get_data(
        as_text=True
    )
    assert [b.workspace_id for b in session().query(Binding)] == ["ws-a"]
    garbled = form_post(
        api, batch, {"spaces": [secret, "x"], "workspaces": ["ws-a"], "operation": "unbind"}
    )
    assert "Choose spaces from the list." in api.client.get(garbled.headers["Location"]).get_data(
        as_text=True
    )
    assert session().query(Binding).count() == 1

    flipped = form_post(api, f"/spaces/{library}/visibility", {"public": "yes"})
    assert flipped.status_code == 302
    assert "library was not changed" in api.client.get(flipped.headers["Location"]).get_data(
        as_text=True
    )
    assert session().get(Space, library).public is True


def test_create_space_form_and_audit_filters_check_their_fields(
    api: Api, harbor_spaces: tuple[HarborEmulator, int]
) -> None:
    harbor, integration_id = harbor_spaces
    page = f"/integrations/{integration_id}/spaces"
    refused = form_post(api, page, {"name": "Team_New!"})
    assert refused.status_code == 302
    assert "Use lower-case letters and digits" in api.client.get(
        refused.headers["Location"]
    ).get_data(as_text=True)
    assert "Team_New!" not in harbor.project_names()
    created = form_post(api, page, {"name": "  team-new ", "public": "on"})
    assert "Created space team-new." in api.client.get(created.headers["Location"]).get_data(
        as_text=True
    )
    assert session().get(Space, space_id("team-new")).public is True
    assert api.get("/audit?since=yesterday").status_code == 400
    assert api.get("/audit?since=2026-01-01&until=2099-01-01").status_code == 200
