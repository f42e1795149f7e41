"""The picker's search index (mirror_plugin.services.searchindex): the same answers as the SQL rule,
and every change seen on the very next search, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from mirror_plugin.models import Integration, Repository, Space
from mirror_plugin.services import catalogue, searchindex
from mirror_plugin.testing import FakeHostAdapter
from mirror_plugin.testing.harbor import HarborEmulator

from . import factories
from . import test_picker_api as picker_api
from .conftest import Api, make_app, migrated
from .test_picker_api import names, space_id

#: The picker tests' Harbor: library public (nginx, team/tools/busybox), alpha bound to
#: Team A, beta bound to Team B.
harbor = picker_api.harbor

NAMESPACES = ("prod/a-web", "prod/b-api", "dev/sandbox")
TABS = (None, "public", "private", "workspace")
QUERIES = ("", "a", "WEB", "web-web", "%", "_", "a_b", "/", "zzz")
WORDS = ("web", "api", "a_b", "a%b", "ab", "tools", "web-web")


def reference(workspace_id: str | None, tab: str | None, text: str) -> list[str]:
    """What the picker's search answered before the index: the SQL rule, LIKE, name and id."""
    query = (
        sa.select(Repository.name)
        .join(Space, Repository.space_id == Space.id)
        .join(Integration, Space.integration_id == Integration.id)
        .where(catalogue.visibility(workspace_id, tab))
        .order_by(Repository.name, Repository.id)
    )
    if text:
        query = query.where(Repository.name.contains(text.lower(), autoescape=True))
    return list(factories.session().scalars(query))


def random_catalogue(seed: int) -> None:
    """Platform registries and both teams' warehouses, spaces public or private, bound to
    nobody, one or both teams, repositories whose names hold LIKE's wildcards."""
    rng = random.Random(seed)
    owners = [
        factories.integration("platform-1", "http://127.0.0.11:5000"),
        factories.integration("platform-2", "http://127.0.0.12:5000"),
        factories.integration("a-warehouse", "http://127.0.0.13:5000", workspace_id="ws-a"),
        factories.integration("b-warehouse", "http://127.0.0.14:5000", workspace_id="ws-b"),
    ]
    for number in range(16):
        owner = owners[number % len(owners)]
        bound = (
            rng.choice([(), ("ws-a",), ("ws-b",), ("ws-a", "ws-b")]) if owner.is_platform else ()
        )
        space = factories.space(owner, f"s{number}", public=rng.random() < 0.4, bound=bound)
        made = {
            f"{space.name}/{'/'.join(rng.choices(WORDS, k=rng.randint(1, 3)))}-{rng.randrange(9)}"
            for _ in range(rng.randint(0, 6))
        }
        factories.session().add_all(Repository(space_id=space.id, name=n) for n in made)
    factories.session().commit()


@pytest.mark.parametrize(("seed", "share"), [(1, 0), (2, 10**9)], ids=["trigrams", "scans"])
def test_search_answers_what_the_sql_rule_answered(
    app: Flask,
    api: Api,
    adapter: FakeHostAdapter,
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
    share: int,
) -> None:
    """Both ways of matching (a trigram's rows, or a scan of the joined names) are forced in
    turn by the threshold that picks between them."""
    monkeypatch.setattr(searchindex, "POSTINGS_SHARE", share)
    random_catalogue(seed)
    api.as_user("root")
    for namespace in NAMESPACES:
        workspace_id = adapter.workspace_of_namespace(namespace)
        for tab in TABS:
            for text in QUERIES:
                expected = reference(workspace_id, tab, text)
                url = f"/api/picker/repositories?namespace={namespace}&per_page=4"
                url += (f"&tab={tab}" if tab else "") + f"&q={text.replace('%', '%25')}"
                for page in (1, 2, 5):
                    reply = api.get(f"{url}&page={page}").get_json()
                    assert reply["total"] == len(expected), (namespace, tab, text)
                    assert (
                        names(api.get(f"{url}&page={page}")) == expected[(page - 1) * 4 : page * 4]
                    ), (namespace, tab, text, page)
                    assert reply["pages"] == max(1, -(-len(expected) // 4))


def search(api: Api, namespace: str, text: str, user: str = "eddie") -> list[str]:
    return names(api.as_user(user).get(f"/api/picker/repositories?namespace={namespace}&q={text}"))


def test_a_synced_repository_is_found_by_the_next_search(api: Api, harbor: HarborEmulator) -> None:
    assert search(api, "prod/a-web", "library/") == ["library/nginx", "library/team/tools/busybox"]
    harbor.add_repository("library", "redis", [{"tags": ["7"]}])
    integration = factories.session().scalar(sa.select(Integration.id))
    synced = api.as_user("root").post(f"/api/integrations/{integration}/sync?wait=true")
    assert synced.status_code == 200
    assert search(api, "prod/a-web", "library/") == [
        "library/nginx",
        "library/redis",
        "library/team/tools/busybox",
    ]


def test_a_refreshed_space_is_searched_with_its_new_repositories(
    api: Api, harbor: HarborEmulator
) -> None:
    assert search(api, "prod/a-web", "redis") == []
    harbor.add_repository("library", "redis", [{"tags": ["7"]}])
    url = f"/api/picker/repositories?namespace=prod/a-web&space={space_id('library')}"
    assert names(api.as_user("eddie").post(url)) == [
        "library/nginx",
        "library/redis",
        "library/team/tools/busybox",
    ]
    assert search(api, "prod/a-web", "redis") == ["library/redis"]


def test_binding_and_unbinding_show_and_hide_a_private_space(
    api: Api, harbor: HarborEmulator
) -> None:
    assert search(api, "prod/a-web", "api") == []
    bind = {"spaces": [space_id("beta")], "workspaces": ["ws-a"]}  # beta: bound to ws-b only
    assert api.as_user("root").post("/api/bindings", bind).status_code == 200
    assert search(api, "prod/a-web", "api") == ["beta/api"]
    assert search(api, "prod/a-jobs", "api") == ["beta/api"]  # every namespace of Team A
    assert search(api, "prod/b-api", "api", user="bob") == ["beta/api"]  # still its own
    unbind = {**bind, "action": "unbind"}
    assert api.as_user("root").post("/api/bindings", unbind).status_code == 200
    assert search(api, "prod/a-web", "api") == []


def test_a_space_made_private_leaves_the_search_at_once(api: Api, harbor: HarborEmulator) -> None:
    assert search(api, "dev/sandbox", "nginx") == ["library/nginx"]
    changed = api.as_user("root").patch(f"/api/spaces/{space_id('library')}", {"public": False})
    assert changed.status_code == 200, changed.get_json()
    assert search(api, "dev/sandbox", "nginx") == []
    assert search(api, "prod/a-web", "nginx") == []


@pytest.fixture
def polling_app(database_url: str, adapter: FakeHostAdapter) -> Iterator[Flask]:
    """Counter re-read at every request, as it is every 0.5 s by default (tested elsewhere)."""
    with migrated(make_app(database_url, adapter, MIRROR_RULE_REFRESH_SECONDS=0)) as app:
        yield app


def test_repositories_written_by_another_process_are_searched(
    polling_app: Flask, database_url: str
) -> None:
    """Migration 0010's triggers move the counters, whoever writes. On PostgreSQL a
    write to repositories alone is enough; on SQLite (row triggers only, one per space rather
    than per repository) the writer also touches the space, as every writer in the plugin
    does (sync, refresh, deletions)."""
    owner = factories.integration("platform", "http://127.0.0.11:5000")
    space = factories.space(owner, "library", public=True)
    factories.session().commit()
    api = Api(polling_app.test_client(), polling_app.extensions["mirror_plugin"].host)
    assert search(api, "dev/sandbox", "") == []
    sqlite = database_url.startswith("sqlite")
    other = sa.create_engine(database_url)

    def write(statement: Any) -> None:
        with other.begin() as connection:
            connection.execute(statement)
            if sqlite:
                touched = sa.update(Space).where(Space.id == space.id).values(repo_count=1)
                connection.execute(touched)

    try:
        write(sa.insert(Repository).values(space_id=space.id, name="library/tool"))
        assert search(api, "dev/sandbox", "") == ["library/tool"]
        write(sa.update(Repository).values(artifact_count=7))
        found = api.get("/api/picker/repositories?namespace=dev/sandbox").get_json()
        assert found["items"][0]["artifact_count"] == 7
        write(sa.delete(Repository))
        assert search(api, "dev/sandbox", "") == []
    finally:
        other.dispose()
