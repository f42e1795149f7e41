"""The optional mutating webhook adds the namespace's pull secret to new Pods that need it.

Pods are written from the Kubernetes API reference (kubectl cannot make them offline) by
tests/admission_objects.py; the credentials come from the real pull-access path (a binding, a
robot in the Harbor emulator). The JSONPatch is decoded and applied here by hand (RFC 6902
``add``; no JSON Patch library is installed).
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
import yaml
from flask import Flask
from kubernetes import client as k8s

from mirror_plugin.testing.harbor import HarborEmulator

from .admission_objects import kubectl, review, workload
from .conftest import Api
from .test_admission_cli import _deserialize, cli, documents
from .test_admission_webhook import register
from .test_pull_access import bind, reconcile
from .test_pull_access import harbor as harbor  # noqa: F401 (fixture)
from .test_pull_access import spaces as spaces  # noqa: F401 (fixture)


def apply_patch(document: Any, patch: list[dict[str, Any]]) -> Any:
    """RFC 6902 ``add`` (the only op the webhook sends), including ``/-`` (append)."""
    result = copy.deepcopy(document)
    for op in patch:
        assert op["op"] == "add", op
        *parents, last = [
            p.replace("~1", "/").replace("~0", "~") for p in op["path"][1:].split("/")
        ]
        target = result
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target.insert(len(target) if last == "-" else int(last), op["value"])
        else:
            target[last] = op["value"]
    return result


class Mutator:
    def __init__(self, app: Flask, token: str, cluster: str = "prod") -> None:
        self.client, self.token, self.cluster = app.test_client(), token, cluster

    def post(self, body: Any, token: str | None = None) -> Any:
        return self.client.post(
            f"/mirror/admission/{self.cluster}/mutate",
            json=body,
            headers={"Authorization": f"Bearer {token or self.token}"},
        )

    def pod(self, namespace: str, images: list[str], pull_secrets: Any = None) -> Any:
        """The Pod as the API server would store it after this webhook (None: no patch)."""
        pod = workload("Pod", images)
        pod["metadata"]["namespace"] = namespace
        if pull_secrets is not None:
            pod["spec"]["imagePullSecrets"] = pull_secrets
        body = review(pod, namespace=namespace)
        response = self.post(body)
        assert response.status_code == 200, response.get_data(as_text=True)
        answer = response.get_json()["response"]
        assert answer["uid"] == body["request"]["uid"] and answer["allowed"] is True
        if "patch" not in answer:
            assert "patchType" not in answer
            return None
        assert answer["patchType"] == "JSONPatch"
        patched = apply_patch(pod, json.loads(base64.b64decode(answer["patch"])))
        _deserialize(patched, "V1Pod")  # still a Pod the official client reads
        return patched["spec"]["imagePullSecrets"]


@pytest.fixture
def robot(app: Flask, api: Api, harbor: HarborEmulator, spaces: dict[str, int]) -> str:  # noqa: F811
    """ws-a (prod/a-web, prod/a-jobs) may pull team-a privately; the emulator's host."""
    bind(api, spaces["team-a"], "ws-a")
    reconcile(app)
    return harbor.url.removeprefix("http://")


def test_pods_needing_private_credentials_get_the_pull_secret_once(app: Flask, robot: str) -> None:
    hook = Mutator(app, register(app, "prod", "--mutate", "on"))
    private = f"{robot}/team-a/tools/nginx:1.25"
    assert hook.pod("a-web", [private]) == [{"name": "mirror-pull"}]
    assert hook.pod("a-jobs", ["nginx:1.25", private]) == [{"name": "mirror-pull"}]
    assert hook.pod("a-web", [private], [{"name": "team-creds"}]) == [
        {"name": "team-creds"},
        {"name": "mirror-pull"},
    ]
    assert hook.pod("a-web", [private], []) == [{"name": "mirror-pull"}]
    # never twice
    assert hook.pod("a-web", [private], [{"name": "mirror-pull"}]) is None
    # matched by registry, as the kubelet picks credentials (a robot may pull public projects)
    assert hook.pod("a-web", [f"{robot}/open/tools/nginx:1.25"]) == [{"name": "mirror-pull"}]
    # images of registries the namespace has no credentials for, and namespaces without any
    assert hook.pod("a-web", ["nginx:1.25", "quay.io/team/app:1"]) is None
    assert hook.pod("b-api", [private]) is None
    assert hook.pod("unknown-ns", [private]) is None
    assert hook.pod("kube-system", [private]) is None  # exempt


def test_other_kinds_and_operations_are_allowed_unchanged(app: Flask, robot: str) -> None:
    hook = Mutator(app, register(app, "prod", "--mutate", "on"))
    private = f"{robot}/team-a/tools/nginx:1.25"
    for body in (
        review(workload("Deployment", [private])),
        review(workload("Pod", [private]), operation="UPDATE", old=workload("Pod", ["x:1"])),
        review(workload("Pod", [private]), operation="DELETE"),
    ):
        answer = hook.post(body).get_json()["response"]
        assert answer == {"uid": body["request"]["uid"], "allowed": True}


def test_off_by_default_and_switched_by_the_cli(app: Flask, robot: str) -> None:
    hook = Mutator(app, register(app, "prod"))
    private = f"{robot}/team-a/tools/nginx:1.25"
    assert hook.pod("a-web", [private]) is None
    assert [d["kind"] for d in documents(cli(app, "config", "prod").stdout)] == [
        "ValidatingWebhookConfiguration",
        "AdmissionConfiguration",
        "Config",
    ]
    turned = cli(app, "mutate", "prod", "on")
    assert turned.exit_code == 0 and "flask mirror cluster config prod" in turned.output
    assert hook.pod("a-web", [private]) == [{"name": "mirror-pull"}]
    assert "mutate on" in cli(app, "list").output
    off = cli(app, "mutate", "prod", "off")
    assert "kubectl delete mutatingwebhookconfiguration mirror-plugin-prod" in off.output
    assert hook.pod("a-web", [private]) is None
    assert cli(app, "mutate", "nowhere", "on").exit_code == 1
    assert cli(app, "mutate", "prod", "maybe").exit_code == 2


def test_authenticated_and_checked_like_validate(app: Flask, robot: str) -> None:
    hook = Mutator(app, register(app, "prod", "--mutate", "on"))
    body = review(workload("Pod", [f"{robot}/team-a/tools/nginx:1.25"]))
    for response in (
        hook.post(body, token="wrong"),
        Mutator(app, hook.token, "nowhere").post(body),
        app.test_client().post("/mirror/admission/prod/mutate", json=body),
    ):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert hook.post({**body, "apiVersion": "admission.k8s.io/v1beta1"}).status_code == 400
    broken = copy.deepcopy(body)
    broken["request"]["object"]["spec"]["imagePullSecrets"] = "mirror-pull"
    response = hook.post(broken)
    assert response.status_code == 400
    assert "imagePullSecrets must be a list" in response.get_json()["error"]["message"]


def test_the_configuration_includes_the_mutating_webhook_when_on(app: Flask) -> None:
    result = cli(
        app, "add", "prod", "--url", "https://console.example", "--mutate", "on",
        "--failure-policy", "Ignore",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    vwc, mwc, admission, _ = documents(result.stdout)
    assert vwc["kind"] == "ValidatingWebhookConfiguration"
    assert mwc["kind"] == "MutatingWebhookConfiguration"
    webhook = mwc["webhooks"][0]
    assert webhook["clientConfig"]["url"] == "https://console.example/mirror/admission/prod/mutate"
    assert webhook["rules"] == [
        {
            "apiGroups": [""],
            "apiVersions": ["v1"],
            "operations": ["CREATE"],
            "resources": ["pods"],
            "scope": "Namespaced",
        }
    ]
    assert (webhook["sideEffects"], webhook["failurePolicy"]) == ("None", "Ignore")
    assert webhook["admissionReviewVersions"] == ["v1"]
    assert webhook["namespaceSelector"] == vwc["webhooks"][0]["namespaceSelector"]
    assert [p["name"] for p in admission["plugins"]] == [
        "ValidatingAdmissionWebhook",
        "MutatingAdmissionWebhook",
    ]
    parsed = json.loads(
        kubectl("annotate", "--local", "-f", "-", "checked=yes", "-o", "json",
                stdin=yaml.safe_dump(mwc))
    )  # fmt: skip
    assert parsed["webhooks"] == mwc["webhooks"]
    model = _deserialize(mwc, "V1MutatingWebhookConfiguration")
    assert model.webhooks[0].reinvocation_policy == "IfNeeded"
    assert k8s.ApiClient().sanitize_for_serialization(model) == mwc
    removed = cli(app, "remove", "prod")
    assert "validatingwebhookconfiguration,mutatingwebhookconfiguration" in removed.output


POD_PATHS = [
    ("request", "object"),
    ("request", "object", "spec"),
    ("request", "object", "spec", "imagePullSecrets"),
    ("request", "object", "spec", "imagePullSecrets", 0),
    ("request", "object", "spec", "containers"),
    ("request", "object", "spec", "containers", 0),
    ("request", "object", "spec", "containers", 0, "image"),
    ("request", "object", "spec", "initContainers"),
    ("request", "namespace"),
    ("request", "operation"),
    ("request", "kind"),
]


def test_generated_pods_get_an_answer_or_a_400(app: Flask, robot: str) -> None:
    """Never a 500, and never a refusal: whatever the Pod looks like."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from .test_admission_security import JSON

    hook = Mutator(app, register(app, "prod", "--mutate", "on"))
    pod = workload("Pod", [f"{robot}/team-a/tools/nginx:1.25"])
    pod["spec"]["imagePullSecrets"] = [{"name": "team-creds"}]
    base = review(pod)

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
    @given(path=st.sampled_from(POD_PATHS), value=JSON)
    def check(path: tuple[Any, ...], value: Any) -> None:
        body = json.loads(json.dumps(base))
        node = body
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        response = hook.post(body)
        assert response.status_code in (200, 400), response.get_data(as_text=True)
        if response.status_code == 200:
            assert response.get_json()["response"]["allowed"] is True
        else:
            assert response.get_json()["error"]["message"]

    check()
