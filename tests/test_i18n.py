"""Chinese and English: the locale a request gets, pages, flashes, JSON messages, the scripts'
catalogue, localised dates, and the catalogues themselves against the sources."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from mirror_plugin import i18n
from mirror_plugin.models import Integration
from mirror_plugin.services import jobs
from mirror_plugin.testing import FakeHostAdapter
from mirror_plugin.testing.harbor import HarborEmulator

from . import factories
from .test_harbor_integration import body
from .test_picker_api import harbor as harbor  # noqa: F401 (fixture)
from .test_picker_api import space_id

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}


def page(client: Any, path: str, **headers: str) -> str:
    response = client.get("/mirror" + path, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("tag", "locale"),
    [
        ("zh", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh-Hans", "zh_Hans"),
        ("zh_Hans", "zh_Hans"),
        ("zh-TW", "zh_Hans"),
        ("zh_CN.UTF-8", "zh_Hans"),
        ("en-US", "en"),
        ("fr-FR", None),
        ("", None),
    ],
)
def test_language_tags_map_to_the_catalogues(tag: str, locale: str | None) -> None:
    assert i18n.normalize_locale(tag) == locale


def test_pages_follow_accept_language(client: Any, adapter: FakeHostAdapter) -> None:
    adapter.login("root")
    english = page(client, "/")
    assert '<html lang="en">' in english
    assert ">Warehouse Integration<" in english
    chinese = page(client, "/", **ZH)
    assert '<html lang="zh-Hans">' in chinese
    assert ">仓库集成<" in chinese and ">审计日志<" in chinese
    assert "Warehouse Integration" not in chinese
    # The first language the plugin has a catalogue of wins, in the user's order.
    assert '<html lang="en">' in page(client, "/", **{"Accept-Language": "fr, en;q=0.9, zh;q=0.8"})
    assert '<html lang="zh-Hans">' in page(client, "/", **{"Accept-Language": "de, zh;q=0.5"})
    assert '<html lang="en">' in page(client, "/", **{"Accept-Language": "de"})


def test_the_host_adapter_chooses_the_locale(client: Any, adapter: FakeHostAdapter) -> None:
    adapter.login("root")
    adapter.language = "zh_Hans"
    chinese = page(client, "/", **{"Accept-Language": "en"})
    assert '<html lang="zh-Hans">' in chinese and ">仓库集成<" in chinese
    adapter.language = "en"
    assert ">Warehouse Integration<" in page(client, "/", **ZH)
    adapter.language = None  # no preference: the browser's language decides again
    assert ">仓库集成<" in page(client, "/", **ZH)


# -- the catalogues against the sources -----------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
#: (domain, catalogue folder, [(extraction method, glob pattern)], extra keywords), as the
#: Makefile's `make lint` extracts them with pybabel.
SOURCES = [
    (
        "mirror_plugin",
        ROOT / "mirror_plugin" / "translations",
        [("python", "mirror_plugin/**.py"), ("jinja2", "templates/mirror_plugin/**.html")],
        {"_m": None, "_mn": (1, 2), "_l": None},
    ),
    (
        "mirror_plugin_js",
        ROOT / "mirror_plugin" / "translations",
        [("javascript", "mirror_plugin/static/mirror_plugin/**.js")],
        {},
    ),
    (
        "messages",
        ROOT / "demo" / "translations",
        [("python", "demo/**.py"), ("jinja2", "demo/templates/**.html")],
        {"_l": None},
    ),
]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]")


def extracted(method_map: list[tuple[str, str]], keywords: dict[str, Any]) -> set[str | tuple]:
    """The messages pybabel would extract: Babel's own API over the checkout."""
    found: set[str | tuple] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map=[(pattern, method) for method, pattern in method_map],
        keywords={**DEFAULT_KEYWORDS, **keywords},
    ):
        found.add(message if isinstance(message, str) else tuple(message[:2]))
    return found


@pytest.mark.parametrize(("domain", "folder", "method_map", "keywords"), SOURCES)
def test_every_message_of_the_sources_is_in_both_catalogues(
    domain: str, folder: Path, method_map: list[tuple[str, str]], keywords: dict[str, Any]
) -> None:
    messages = extracted(method_map, keywords)
    assert len(messages) > 20, "the extraction found (almost) nothing: check the patterns"
    for locale in i18n.LOCALES:
        with (folder / locale / "LC_MESSAGES" / f"{domain}.po").open("rb") as source:
            po = read_po(source, locale=locale, domain=domain)
        ids = {m.id if isinstance(m.id, str) else tuple(m.id) for m in po if m.id}
        missing = sorted(map(str, messages - ids))
        assert not missing, f"{domain}/{locale} lacks {len(missing)}: {missing[:5]}"
        if locale == "en":
            continue  # the sources are English: an empty msgstr is the source text
        for message in po:
            if not message.id:
                continue
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(forms) and not message.fuzzy, f"{domain}/{locale}: {message.id!r} is empty"
            source_ids = message.id if isinstance(message.id, tuple) else (message.id,)
            wanted = set(PLACEHOLDER.findall(source_ids[-1]))
            for form in forms:
                # Chinese has one plural form: it may name %(num)s where the singular did not.
                assert set(PLACEHOLDER.findall(form)) <= wanted | {"num"}, (message.id, form)
                assert wanted - {"num"} <= set(PLACEHOLDER.findall(form)), (message.id, form)


# -- what a Chinese-speaking user gets --------------------------------------------------------


def test_json_error_messages_are_chinese(client: Any, adapter: FakeHostAdapter) -> None:
    adapter.login("eddie")
    english = client.get("/mirror/api/picker/context")
    assert english.status_code == 400
    assert english.get_json()["error"]["message"].startswith("Choose a namespace first")
    chinese = client.get("/mirror/api/picker/context", headers=ZH)
    assert chinese.status_code == 400
    assert chinese.get_json()["error"]["message"].startswith("请先选择命名空间")
    unknown = client.get("/mirror/api/picker/context?namespace=prod/zz", headers=ZH)
    assert unknown.status_code == 404 and "您没有命名空间" in unknown.get_json()["error"]["message"]


def test_deploy_decisions_and_their_checks_are_chinese(
    app: Any, client: Any, adapter: FakeHostAdapter
) -> None:
    adapter.login("bob")
    owner = factories.integration("harbor", "https://harbor.example.com")
    factories.space(owner, "alpha", bound=("ws-a",))
    factories.session().commit()
    body = client.get(
        "/mirror/api/check?namespace=prod/b-api&image=harbor.example.com/alpha/web:1", headers=ZH
    ).get_json()
    assert body is not None
    # The reason stays a stable English code; the sentence is Chinese.
    assert body["reason"] == "space_not_bound" and "工作空间" in body["message"]
    adapter.login("eddie")
    page = client.get(
        "/mirror/explain?namespace=prod/a-web&image=harbor.example.com/alpha/web:1", headers=ZH
    ).get_data(as_text=True)
    assert "允许" in page and "镜像空间已绑定到此工作空间" in page and "镜像地址是否有效？" in page


def test_flash_messages_and_error_pages_are_chinese(client: Any, adapter: FakeHostAdapter) -> None:
    adapter.login("root")
    owner = factories.integration("harbor", "https://harbor.example.com")
    factories.session().commit()
    with client.session_transaction() as session:
        session["_mirror_csrf"] = "token"
    client.post(
        f"/mirror/integrations/{owner.id}/spaces/batch",
        data={"mirror_csrf_token": "token", "operation": "bind", "workspaces": "ws-a"},
        headers=ZH,
    )
    spaces = page(client, f"/integrations/{owner.id}/spaces", **ZH)
    assert "请至少选择一个镜像空间。" in spaces
    adapter.login("eddie")
    denied = client.get("/mirror/audit", headers=ZH)
    text = denied.get_data(as_text=True)
    assert denied.status_code == 403 and '<html lang="zh-Hans">' in text
    assert "审计日志是平台管理员 Admin 的页面" in text and "您的账号无权访问" in text


def test_form_errors_are_chinese_wtforms_ones_included(
    client: Any, adapter: FakeHostAdapter
) -> None:
    adapter.login("root")
    with client.session_transaction() as session:
        session["_mirror_csrf"] = "token"
    answer = client.post(
        "/mirror/integrations/new",
        data={"mirror_csrf_token": "token", "action": "save", "kind": "harbor", "name": ""},
        headers=ZH,
    )
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422, text[:300]
    assert "该字段是必填字段。" in text and ">名称</label>" in text


def test_scripts_get_the_catalogue_of_the_page_s_language(
    client: Any, adapter: FakeHostAdapter
) -> None:
    adapter.login("root")
    marker = re.compile(r'data-mirror-i18n="([^"]*)"')
    english = json.loads(unescape(marker.search(page(client, "/")).group(1)))
    assert english["messages"] == {}
    chinese = json.loads(unescape(marker.search(page(client, "/", **ZH)).group(1)))
    assert chinese["plural"] == 1
    assert chinese["messages"]["Use digest"] == "使用摘要"
    assert chinese["messages"]["%(num)s space"] == ["%(num)s 个镜像空间"]


def test_dates_numbers_and_relative_times_follow_the_locale(
    app: Any, client: Any, adapter: FakeHostAdapter
) -> None:
    adapter.login("root")
    owner = factories.integration("harbor", "https://harbor.example.com")
    owner.last_synced_at = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=50)
    factories.session().commit()
    english = page(client, f"/integrations/{owner.id}")
    # 50 seconds, or a few more on a slow machine.
    assert re.search(r"\(5\d seconds ago\)", english)
    chinese = page(client, f"/integrations/{owner.id}", **ZH)
    assert re.search(r"（?\(?5\d秒钟前", chinese) and f"{owner.last_synced_at.year}年" in chinese
    with app.test_request_context(headers=ZH):
        assert i18n.format_number(12345) == "12,345"
        assert i18n.ngettext("%(num)s space", "%(num)s spaces", 12345) == "12,345 个镜像空间"
        when = dt.datetime(2026, 12, 1, 23, 5)
        assert i18n.format_datetime(when) == "2026年12月1日 23:05 UTC"
    with app.test_request_context():
        assert i18n.format_datetime(when) == "Dec 1, 2026, 23:05 UTC"
        # A registry's push time: Go's nanoseconds, another offset; text that is no time stays.
        assert i18n.format_datetime("2026-12-01T23:05:00.123456789Z") == "Dec 1, 2026, 23:05 UTC"
        assert i18n.format_datetime("2026-12-02T07:05:00+08:00") == "Dec 1, 2026, 23:05 UTC"
        assert i18n.format_datetime("yesterday") == "yesterday"


def test_cli_speaks_the_terminal_s_language(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = app.test_cli_runner()
    # The commands set the process's locale outside requests: put it back after the test.
    monkeypatch.setattr(i18n, "_outside_requests", i18n.DEFAULT_LOCALE)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    for key in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(key, raising=False)
    chinese = runner.invoke(args=["mirror", "registry", "list"])
    assert chinese.exit_code == 0 and "尚未连接仓库。" in chinese.output
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert "No registry connected." in runner.invoke(args=["mirror", "registry", "list"]).output


def _terminal(monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    # The commands set the process's locale outside requests: put it back after the test.
    monkeypatch.setattr(i18n, "_outside_requests", i18n.DEFAULT_LOCALE)
    monkeypatch.setenv("LANG", lang)
    for key in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(key, raising=False)


def test_cli_help_is_in_the_terminal_s_language(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = app.test_cli_runner()

    def shown(*args: str) -> str:  # help as read, whatever the line width wrapped
        return " ".join(runner.invoke(args=list(args)).output.split())

    _terminal(monkeypatch, "zh_CN.UTF-8")
    # The host's command list names the group before anything of it runs.
    assert "镜像仓库：数据库迁移、仓库和部署钩子。" in shown("--help")
    group = shown("mirror", "--help")
    assert (
        "镜像仓库：数据库迁移、仓库和部署钩子。" in group
        and "连接、列出、测试和删除仓库。" in group
    )
    command = shown("mirror", "pull-secret", "--help")
    assert "打印 NAMESPACE 的镜像拉取密钥 Secret" in command
    assert "Secret 所在的 Kubernetes 命名空间（默认：NAMESPACE）。" in command
    cluster = shown("mirror", "cluster", "add", "--help")
    assert "不经判定直接放行的命名空间（可重复；默认：kube-system" in cluster
    _terminal(monkeypatch, "en_US.UTF-8")
    english = shown("mirror", "pull-secret", "--help")
    assert "Kubernetes namespace of the Secret (default: NAMESPACE)." in english
    assert "镜像" not in english


def test_pull_secret_refusals_are_in_the_terminal_s_language(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = app.test_cli_runner()
    _terminal(monkeypatch, "zh_CN.UTF-8")
    # "prod/a-web" is the console's namespace, not a Kubernetes one: say which to give.
    chinese = runner.invoke(args=["mirror", "pull-secret", "prod/a-web"])
    assert chinese.exit_code == 2
    assert "'prod/a-web' 不是 Kubernetes 命名空间名称（须为 DNS-1123 标签）" in chinese.output
    named = runner.invoke(
        args=[
            "mirror",
            "pull-secret",
            "prod/a-web",
            "--k8s-namespace",
            "a-web",
            "--name",
            "Bad_Name",
        ]
    )
    assert "'Bad_Name' 不是有效的 Secret 名称（须为 DNS-1123 子域名）。" in named.output
    _terminal(monkeypatch, "en_US.UTF-8")
    english = runner.invoke(args=["mirror", "pull-secret", "prod/a-web"])
    assert "'prod/a-web' is not a Kubernetes namespace name (a DNS-1123 label)" in english.output


# -- what the merged work shows a Chinese-speaking user -------------------------------------


def test_a_sync_job_page_is_chinese(api: Any, harbor: HarborEmulator) -> None:
    api.as_user("root")
    integration_id = factories.session().query(Integration).one().id
    posted = api.client.post(
        f"/mirror/integrations/{integration_id}/sync", data={"mirror_csrf_token": api.TOKEN}
    )
    job_page = posted.headers["Location"]
    waiting = api.client.get(job_page, headers=ZH).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in waiting and ">排队中<" in waiting
    assert "等待工作进程" in waiting and "离开此页面后同步仍会继续。" in waiting
    jobs.run_pending()
    done = api.client.get(job_page, headers=ZH).get_data(as_text=True)
    assert ">已完成<" in done and "已列出 3 个镜像空间" in done
    # The summary the job stored was written in no one's language; it is made again in Chinese.
    assert "已同步：3 个镜像空间：新增 0 个" in done
    english = api.client.get(job_page).get_data(as_text=True)
    assert "Synced: 3 spaces: " in english and "已同步" not in english


def test_the_image_list_and_its_tags_are_chinese(api: Any, harbor: HarborEmulator) -> None:
    api.as_user("eddie")
    listing = api.client.get("/mirror/workspaces/ws-a/images", headers=ZH).get_data(as_text=True)
    assert "<h1>镜像列表</h1>" in listing and "搜索镜像" in listing
    assert ">工作空间关联仓库<" in listing and "Image List" not in listing
    library = space_id("library")
    tags = api.client.get(
        f"/mirror/workspaces/ws-a/images/{library}/tags?repository=library/nginx", headers=ZH
    ).get_data(as_text=True)
    assert ">按标签复制<" in tags and ">按摘要复制<" in tags
    # Push times are dates like the console's others, not the registry's ISO strings.
    assert re.search(r"<td>\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d UTC</td>", tags)
    assert not re.search(r"<td>\d{4}-\d\d-\d\d[ T]\d\d:\d\d", tags)
    assert "公开，所有命名空间均可使用" in tags
    # copy.js says "Copied" through the page's script catalogue.
    catalogue = re.search(r'data-mirror-i18n="([^"]+)"', tags)
    assert catalogue is not None
    assert json.loads(unescape(catalogue.group(1)))["messages"]["Copied"] == "已复制"
    harbor.fail_next(503, times=10)
    alpha = space_id("alpha")
    failed = api.client.get(
        f"/mirror/workspaces/ws-a/images/{alpha}/tags?repository=alpha/web", headers=ZH
    ).get_data(as_text=True)
    assert "仓库没有响应：" in failed and "无法访问" in failed


def test_registry_errors_and_connection_results_are_chinese(
    api: Any, harbor: HarborEmulator
) -> None:
    api.as_user("root")
    headers = {**ZH, "X-Mirror-CSRF": api.TOKEN}
    bad = api.client.post(
        "/mirror/api/integrations/test", json={**body(harbor), "url": "ftp://x"}, headers=headers
    )
    assert bad.status_code == 422
    said = json.dumps(bad.get_json(), ensure_ascii=False)
    assert "请按 https://host[:port] 格式输入仓库地址。" in said
    good = api.client.post(
        "/mirror/api/integrations/test", json=body(harbor), headers=headers
    ).get_json()
    assert good["ok"] is True and good["message"].startswith("已以 Harbor 管理员 admin 身份连接")
    refused = api.client.post(
        "/mirror/api/integrations/test", json=body(harbor, password="wrong"), headers=headers
    ).get_json()
    assert refused["ok"] is False and "Harbor 拒绝了用户名或密码" in refused["message"]
