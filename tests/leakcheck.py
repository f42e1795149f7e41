"""The secret-leak check that runs through the whole test session.

Every response the plugin's blueprint sends (body and headers) and every log record, at any
level, is scanned for the registry passwords and tokens the tests use; a test during which
one shows up fails, naming where. Tokens the test token server issues, and the robot secrets
the Harbor emulator generates (pull access), are added as they are minted. Secrets are also
looked for base64-encoded (as in a Secret manifest's ``data``), at every alignment. The
pull-secret outputs ``mirror.pull_secret()`` and ``flask mirror pull-secret`` are neither
responses of the blueprint nor log records; the one response meant to carry them, a cluster
agent's ``GET /api/clusters/<cluster>/pull-secrets`` answered 200, is scanned with exactly its
Secrets' ``data[".dockerconfigjson"]`` values left out (:data:`PULL_SECRETS_ENDPOINT`).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from typing import Any

import flask

#: Passwords the tests hand to registries (registries.py, the Harbor emulator, the demo).
SECRETS: set[str] = {
    "regpass-S3cret",
    "Harbor12345",
    "alice-pass",
    "robot-secret",
    "alpha-robot-secret",
    "alpha-dev-pass",
    "team-secret",
}
HITS: list[str] = []
PULL_SECRETS_ENDPOINT = "mirror_plugin.cluster_pull_secrets"
_lock = threading.Lock()


def watch(secret: str) -> None:
    """Add a secret minted during the run (a Bearer token)."""
    with _lock:
        SECRETS.add(secret)


def encodings(secret: str) -> list[str]:
    """``secret`` itself and the base64 text it becomes at each of the three alignments
    (only the characters that depend on the secret's bytes alone)."""
    raw = secret.encode()
    forms = [secret]
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode()
        start, end = -(-8 * offset // 6), 8 * (offset + len(raw)) // 6
        if end - start >= 8:
            forms.append(encoded[start:end])
    return forms


def scan(where: str, text: str) -> None:
    with _lock:
        found = [s for s in SECRETS if s and any(form in text for form in encodings(s))]
    for secret in found:
        HITS.append(f"{where} contains the secret {secret[:3]}…")


def without_secret_data(body: str) -> str:
    """The cluster agent's answer with each Secret's ``.dockerconfigjson`` value blanked."""
    answer = json.loads(body)
    for manifest in answer["secrets"]:
        manifest["data"][".dockerconfigjson"] = "(exempt)"
    return json.dumps(answer)


class LeakHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            scan(f"log record of {record.name}", self.format(record))
        except Exception:  # noqa: BLE001 - a broken record must not hide the test's own result
            self.handleError(record)


def install() -> None:
    """Hook every Flask app's responses and the root logger, once per session."""
    original = flask.Flask.process_response

    def process_response(self: flask.Flask, response: Any) -> Any:
        response = original(self, response)
        if flask.request.blueprint == "mirror_plugin" and not response.is_streamed:
            headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
            body = response.get_data(as_text=True)
            if (
                flask.request.endpoint == PULL_SECRETS_ENDPOINT
                and flask.request.method == "GET"
                and response.status_code == 200
            ):
                body = without_secret_data(body)
            scan(f"response to {flask.request.method} {flask.request.path}", headers + "\n" + body)
        return response

    flask.Flask.process_response = process_response  # type: ignore[method-assign]
    _watch_robot_secrets()
    ensure_logging_watched()


def ensure_logging_watched() -> None:
    """(Re)attach the log handler, called before each test: a test that runs
    ``logging.config.fileConfig`` (Flask-Migrate's env.py does) removes it, raises the root
    level and disables every existing logger, which would blind every later test."""
    for logger in logging.Logger.manager.loggerDict.values():
        if isinstance(logger, logging.Logger):
            logger.disabled = False
    root = logging.getLogger()
    if not any(isinstance(handler, LeakHandler) for handler in root.handlers):
        root.addHandler(LeakHandler(logging.DEBUG))
    root.setLevel(logging.DEBUG)


def _watch_robot_secrets() -> None:
    """Every secret the Harbor emulator generates for a robot joins the list."""
    from mirror_plugin.testing.harbor import robots as harbor_robots

    generate = harbor_robots._generated_secret

    def generated_and_watched() -> str:
        secret = generate()
        watch(secret)
        return secret

    harbor_robots._generated_secret = generated_and_watched
