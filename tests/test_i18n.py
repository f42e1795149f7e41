"""Chinese and English: the locale a request gets, pages, flashes, JSON messages, the scripts'
catalogue, localised dates, and the catalogues themselves against the sources."""

from __future__ import annotations

from typing import Any

import pytest

from mirror_plugin import i18n
from mirror_plugin.testing import FakeHostAdapter

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
