"""Registry errors a background job stored (in English, the job running in no user's language)
are read in the viewer's language: job page, registry detail, JSON, and rows stored before."""

from __future__ import annotations

from typing import Any

from mirror_plugin.models import Integration
from mirror_plugin.services import jobs
from mirror_plugin.services.reworded import reworded
from mirror_plugin.testing.harbor import HarborEmulator

from . import factories
from .test_i18n import ZH
from .test_picker_api import harbor as harbor  # noqa: F401 (fixture)

ENGLISH = "Harbor failed to list projects (HTTP 503); try again later."
CHINESE = "Harbor 未能列出项目（HTTP 503）；请稍后重试。"


def _integration() -> Integration:
    return factories.session().query(Integration).one()


def test_a_background_sync_s_registry_error_follows_the_viewer_s_language(
    api: Any, harbor: HarborEmulator
) -> None:
    api.as_user("root")
    integration_id = _integration().id
    posted = api.client.post(
        f"/mirror/integrations/{integration_id}/sync", data={"mirror_csrf_token": api.TOKEN}
    )
    job_page = posted.headers["Location"]
    harbor.fail_next(503, times=50)
    jobs.run_pending()  # outside any request: the job stores its sentences in English
    factories.session().expire_all()
    assert _integration().last_error == ENGLISH  # what is stored does not change
    chinese = api.client.get(job_page, headers=ZH).get_data(as_text=True)
    assert CHINESE in chinese and ENGLISH not in chinese
    detail = api.client.get(f"/mirror/integrations/{integration_id}", headers=ZH)
    assert CHINESE in detail.get_data(as_text=True)
    listed = api.client.get(f"/mirror/api/integrations/{integration_id}", headers=ZH).get_json()
    assert listed["last_error"] == CHINESE
    english = api.client.get(job_page).get_data(as_text=True)
    assert ENGLISH in english and CHINESE not in english


def test_rows_stored_before_are_reworded_and_foreign_words_kept(
    api: Any, harbor: HarborEmulator
) -> None:
    api.as_user("root")
    integration = _integration()
    # A row an earlier version wrote: a Harbor sentence quoting Harbor's own words, and a call
    # ("list artifacts of 'alpha/web'") that is itself a sentence of the catalogue.
    integration.health = "unhealthy"
    integration.last_error = (
        "Harbor refused to list artifacts of 'alpha/web' (HTTP 400): bad query parameter"
    )
    factories.session().commit()
    detail = api.client.get(f"/mirror/integrations/{integration.id}", headers=ZH)
    assert "Harbor 拒绝列出 &#39;alpha/web&#39; 的制品（HTTP 400）：bad query parameter" in (
        detail.get_data(as_text=True)
    )
    # A sentence no catalogue has is shown as stored, in either language.
    integration.last_error = "upstream said: no"
    factories.session().commit()
    assert "upstream said: no" in api.client.get(
        f"/mirror/integrations/{integration.id}", headers=ZH
    ).get_data(as_text=True)


def test_a_sentence_stored_in_chinese_reads_in_english(app: Any) -> None:
    with app.test_request_context():
        assert reworded(CHINESE) == ENGLISH
        assert reworded("'nohost.example' 没有地址。") == "'nohost.example' has no address."
        assert reworded("") == ""
    with app.test_request_context(headers=ZH):
        assert reworded(ENGLISH) == CHINESE
        # Text that only looks like a short catalogue pattern is not "translated".
        assert reworded("a: b") == "a: b"
