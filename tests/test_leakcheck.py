"""The leak check itself can fail: a secret in a log record or a plugin response is caught."""

from __future__ import annotations

import logging

from flask import Flask

from tests import leakcheck

from .conftest import Api


def test_a_secret_in_a_log_record_is_caught() -> None:
    seen = len(leakcheck.HITS)
    logging.getLogger("mirror_plugin.anything").debug("connecting with %s", "regpass-S3cret")
    caught = leakcheck.HITS[seen:]
    del leakcheck.HITS[seen:]  # handled here, so the autouse check passes
    assert caught == ["log record of mirror_plugin.anything contains the secret reg…"]


def test_a_secret_in_a_plugin_response_is_caught(app: Flask, api: Api) -> None:
    seen = len(leakcheck.HITS)
    api.as_user("eddie").get("/explain?namespace=dev/sandbox&image=Harbor12345")
    caught = leakcheck.HITS[seen:]
    del leakcheck.HITS[seen:]
    assert caught and caught[0].startswith("response to GET /mirror/explain")


def test_a_base64_encoded_secret_in_a_plugin_response_is_caught(app: Flask, api: Api) -> None:
    """As in a Secret manifest's data: at any alignment inside the encoded text."""
    import base64

    seen = len(leakcheck.HITS)
    for prefix in ("", "x", "xy"):
        encoded = base64.b64encode(f'{prefix}{{"password":"Harbor12345"}}'.encode()).decode()
        api.as_user("eddie").get(f"/explain?namespace=dev/sandbox&image={encoded}")
    caught = leakcheck.HITS[seen:]
    del leakcheck.HITS[seen:]
    assert len(caught) == 3 and all(hit.startswith("response to GET") for hit in caught)
