"""The demo sandbox's Harbor, reached by every loopback spelling, through the console's hook.

The sandbox listens on 127.0.0.1:P and is connected as ``harbor-sandbox`` by the demo's seed.
Team Beta's member must be refused Team Alpha's private image however the image spells the
sandbox's host, under both ``MIRROR_FOREIGN_IMAGES`` settings; Team Alpha's member is allowed.
"""

from __future__ import annotations

import socket

import pytest
from flask import Flask
from flask.testing import FlaskClient

from . import test_demo
from .test_demo import sign_in

# The demo module's sandbox and console, shared rather than written twice.
sandbox, seeded, console_app = test_demo.sandbox, test_demo.seeded, test_demo.console_app


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


def spellings(port: int) -> list[str]:
    hosts = [f"127.0.0.1:{port}", f"localhost:{port}", f"127.1:{port}", f"127.0.0.1:0{port}"]
    hosts += [f"2130706433:{port}", f"localhost:00{port}"]
    if _ipv6_loopback():
        hosts.append(f"[::1]:{port}")
    return hosts


def _check(client: FlaskClient, namespace: str, image: str) -> dict[str, object]:
    response = client.get(
        "/mirror/api/check", query_string={"namespace": namespace, "image": image}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.mark.parametrize("policy", ["allow", "deny"])
def test_the_sandbox_is_one_registry_by_any_loopback_spelling(
    console_app: Flask,
    sandbox: test_demo.Sandbox,
    policy: str,
) -> None:
    console_app.config["MIRROR_FOREIGN_IMAGES"] = policy
    port = int(sandbox.harbor_host.rsplit(":", 1)[1])
    beta, alpha = console_app.test_client(), console_app.test_client()
    assert sign_in(beta, "bob") == 302 and sign_in(alpha, "eddie") == 302
    for host in spellings(port):
        image = f"{host}/alpha-private/web:1.0"
        denied = _check(beta, "cluster-1/beta-api", image)
        assert (denied["allowed"], denied["reason"]) == (False, "space_not_bound"), host
        allowed = _check(alpha, "cluster-1/alpha-web", image)
        assert (allowed["allowed"], allowed["reason"]) == (True, "bound_to_workspace"), host
    elsewhere = _check(beta, "cluster-1/beta-api", f"localhost:{port + 1}/alpha-private/web:1")
    assert elsewhere["allowed"] is (policy == "allow")
