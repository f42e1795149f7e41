"""``flask mirror cluster ...`` and the configuration it prints, checked by real parsers.

The ValidatingWebhookConfiguration goes through kubectl (offline: ``annotate --local``) and
the official Kubernetes Python client's models, which refuse a missing required field.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from kubernetes import client as k8s

from .admission_objects import kubectl
from .test_admission_webhook import register

PEM = (
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBszCCAVmgAwIBAgIUfake0000000000000000000000000wCgYIKoZIzj0EAwIw\n"
    "-----END CERTIFICATE-----\n"
)


def cli(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["mirror", "cluster", *args])


def documents(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def _deserialize(data: dict[str, Any], klass: str) -> Any:
    """The official client's deserializer (its models check required fields)."""
    return k8s.ApiClient().deserialize(json.dumps(data), klass, "application/json")


def test_add_prints_a_configuration_kubernetes_accepts(app: Flask, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text(PEM)
    result = cli(
        app,
        "add",
        "prod",
        "--url",
        "https://console.example:8443/",
        "--exempt",
        "kube-system",
        "--exempt",
        "mirror-console",
        "--ca-bundle",
        str(ca),
        "--timeout",
        "7",
    )
    assert result.exit_code == 0, result.output
    assert "shown only this once" in result.stderr
    vwc, admission, kubeconfig = documents(result.stdout)
    webhook = vwc["webhooks"][0]
    assert webhook["clientConfig"] == {
        "url": "https://console.example:8443/mirror/admission/prod/validate",
        "caBundle": base64.b64encode(PEM.encode()).decode(),
    }
    assert webhook["admissionReviewVersions"] == ["v1"]
    assert (webhook["sideEffects"], webhook["failurePolicy"], webhook["timeoutSeconds"]) == (
        "None",
        "Fail",
        7,
    )
    assert webhook["namespaceSelector"]["matchExpressions"] == [
        {
            "key": "kubernetes.io/metadata.name",
            "operator": "NotIn",
            "values": ["kube-system", "mirror-console"],
        }
    ]
    resources = {r for rule in webhook["rules"] for r in rule["resources"]}
    assert resources == {
        "pods",
        "pods/ephemeralcontainers",
        "replicationcontrollers",
        "podtemplates",
        "deployments",
        "replicasets",
        "statefulsets",
        "daemonsets",
        "jobs",
        "cronjobs",
    }
    assert all(rule["operations"] == ["CREATE", "UPDATE"] for rule in webhook["rules"])
    assert admission["plugins"][0]["configuration"]["kubeConfigFile"] == (
        "/etc/kubernetes/mirror-plugin/kubeconfig.yaml"
    )
    user = kubeconfig["users"][0]
    assert user["name"] == "console.example:8443" and len(user["user"]["token"]) >= 43
    # kubectl reads it (offline), the official client's models accept every field
    parsed = json.loads(
        kubectl(
            "annotate", "--local", "-f", "-", "checked=yes", "-o", "json", stdin=yaml.safe_dump(vwc)
        )
    )
    assert parsed["webhooks"] == vwc["webhooks"]
    model = _deserialize(vwc, "V1ValidatingWebhookConfiguration")
    assert model.webhooks[0].client_config.url == webhook["clientConfig"]["url"]
    assert model.webhooks[0].namespace_selector.match_expressions[0].values == [
        "kube-system",
        "mirror-console",
    ]
    assert k8s.ApiClient().sanitize_for_serialization(model) == vwc  # nothing unknown, nothing lost


def test_config_prints_it_again_without_the_token(app: Flask) -> None:
    token = register(app, "prod")
    result = cli(app, "config", "prod")
    assert result.exit_code == 0
    assert token not in result.output
    vwc, _, kubeconfig = documents(result.stdout)
    assert vwc["webhooks"][0]["failurePolicy"] == "Fail"
    assert vwc["webhooks"][0]["namespaceSelector"]["matchExpressions"][0]["values"] == [
        "kube-node-lease",
        "kube-public",
        "kube-system",
    ]
    assert "token printed by" in kubeconfig["users"][0]["user"]["token"]


def test_list_rotate_remove(app: Flask) -> None:
    register(app, "prod")
    register(app, "staging", "--mode", "warn", "--failure-policy", "Ignore")
    listed = cli(app, "list").output.splitlines()
    assert [line.split("\t")[:2] for line in listed] == [["prod", "enforce"], ["staging", "warn"]]
    assert "allowed 0, denied 0, warned 0" in listed[0]
    assert cli(app, "remove", "staging").exit_code == 0
    assert [line.split("\t")[0] for line in cli(app, "list").output.splitlines()] == ["prod"]
    missing = cli(app, "rotate", "staging")
    assert missing.exit_code == 1 and "No cluster 'staging'" in missing.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "Prod_1", "--url", "https://c.example"], "must be a DNS label"),
        (["add", "prod", "--url", "http://c.example"], "https://"),
        (["add", "prod", "--url", "https://c.example/?x=1"], "no query"),
        (["add", "prod", "--url", "https://c.example", "--timeout", "31"], "1 to 30 seconds"),
        (["add", "prod", "--url", "https://c.example", "--exempt", "Kube_System"], "exempt"),
        (["add", "prod", "--url", "https://c.example", "--mode", "audit"], "'audit' is not one"),
    ],
)
def test_bad_input_says_what_to_fix(app: Flask, args: list[str], message: str) -> None:
    result = cli(app, *args)
    assert result.exit_code != 0 and message in result.output, result.output
    assert cli(app, "list").output.startswith("No clusters")


def test_a_ca_bundle_must_hold_a_certificate_and_names_are_unique(
    app: Flask, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    result = cli(app, "add", "prod", "--url", "https://c.example", "--ca-bundle", str(junk))
    assert result.exit_code == 1 and "no PEM certificate" in result.output
    register(app, "prod")
    again = cli(app, "add", "prod", "--url", "https://c.example")
    assert again.exit_code == 1 and "cluster rotate prod" in again.output
