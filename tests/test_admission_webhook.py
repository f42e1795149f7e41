"""The admission webhook through its HTTP surface: the same answers as ``check_image``.

Clusters are registered through ``flask mirror cluster add``; workloads come from kubectl
(tests/admission_objects.py) and reviews follow the ``admission.k8s.io/v1`` reference.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from flask import Flask

from mirror_plugin import Reason
from mirror_plugin.models import AuditEvent, Binding, Cluster
from mirror_plugin.testing import FakeHostAdapter

from . import leakcheck
from .admission_objects import RESOURCES, review, workload
from .factories import session
from .test_host_spellings import BOUND_NS, NO_WS_NS, OTHER_NS, PORT, spellings
from .test_host_spellings import loopback_harbor as loopback_harbor  # noqa: F401 (fixture)
from .test_rule import CASES
from .test_rule import platform as platform  # noqa: F401 (fixture)

BOUND = "harbor.example.com/secret/app:1"  # bound to ws-a (prod/a-web), not to ws-b


def register(app: Flask, name: str, *args: str) -> str:
    """``flask mirror cluster add``; the token, read from the kubeconfig it prints."""
    app.config["MIRROR_ADMISSION_COUNT_SECONDS"] = 0  # tests read the counts after each review
    result = app.test_cli_runner().invoke(
        args=["mirror", "cluster", "add", name, "--url", "https://console.example", *args]
    )
    assert result.exit_code == 0, result.output
    token = list(yaml.safe_load_all(result.stdout))[-1]["users"][0]["user"]["token"]
    leakcheck.watch(token)  # never in a response or a log from now on
    return str(token)


class Webhook:
    def __init__(self, app: Flask, cluster: str, token: str) -> None:
        self.app, self.cluster, self.token = app, cluster, token
        self.client = app.test_client()

    def post(self, body: Any, *, token: str | None = None, cluster: str | None = None) -> Any:
        return self.client.post(
            f"/mirror/admission/{cluster or self.cluster}/validate",
            json=body,
            headers={"Authorization": f"Bearer {token or self.token}"},
        )

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.post(body)
        assert response.status_code == 200, response.get_data(as_text=True)
        data = response.get_json()
        assert data["apiVersion"] == "admission.k8s.io/v1" and data["kind"] == "AdmissionReview"
        assert data["response"]["uid"] == body["request"]["uid"]
        return data["response"]  # type: ignore[no-any-return]

    def pod(self, namespace: str, *images: str, **kw: Any) -> dict[str, Any]:
        return self.answer(review(workload("Pod", list(images)), namespace=namespace, **kw))


@pytest.fixture
def prod(platform: Flask) -> Webhook:  # noqa: F811
    return Webhook(platform, "prod", register(platform, "prod"))


def counts(cluster: str) -> tuple[int, int, int]:
    session().expire_all()
    row = session().query(Cluster).filter_by(name=cluster).one()
    return row.allowed_count, row.denied_count, row.warned_count


def test_the_webhook_agrees_with_check_image_on_the_rule_table(platform: Flask) -> None:  # noqa: F811
    plugin = platform.extensions["mirror_plugin"].plugin
    hooks = {
        name: Webhook(platform, name, register(platform, name)) for name in ("prod", "dev", "no")
    }
    disagreements = []
    for mode in ("enforce", "warn"):
        for name in hooks:
            result = platform.test_cli_runner().invoke(
                args=["mirror", "cluster", "mode", name, mode]
            )
            assert result.exit_code == 0, result.output
        for namespace, image, allowed, reason in CASES:
            if not isinstance(image, str) or "/" not in namespace:
                continue  # a container has an image string; a namespace belongs to a cluster
            cluster, kube_ns = namespace.split("/", 1)
            decision = plugin.check_image(namespace, image)
            assert (decision.allowed, decision.reason) == (allowed, reason)
            got = hooks[cluster].pod(kube_ns, image)
            line = f"{image} ({reason.value}): {decision.message}"
            if mode == "enforce":
                agrees = got["allowed"] is allowed and (allowed or line in got["status"]["message"])
            else:
                warned = [w for w in got.get("warnings", []) if line in w]
                agrees = got["allowed"] is True and bool(warned) is (not allowed)
            if not agrees:
                disagreements.append((mode, namespace, image, got))
    assert not disagreements, disagreements


@pytest.mark.parametrize("policy", ["allow", "deny"])
def test_every_spelling_of_a_registry_gets_the_hook_s_answer(
    loopback_harbor: Flask,  # noqa: F811
    policy: str,
) -> None:
    loopback_harbor.config["MIRROR_FOREIGN_IMAGES"] = policy
    plugin = loopback_harbor.extensions["mirror_plugin"].plugin
    hooks = {c: Webhook(loopback_harbor, c, register(loopback_harbor, c)) for c in ("prod", "dev")}
    for host in [*spellings(PORT), f"localhost:{PORT + 1}", f"127.0.0.1.evil.io:{PORT}"]:
        for namespace in (BOUND_NS, OTHER_NS, NO_WS_NS):
            for image in (f"{host}/alpha-private/web:1.0", f"{host}/library/nginx:1"):
                decision = plugin.check_image(namespace, image)
                cluster, kube_ns = namespace.split("/")
                got = hooks[cluster].pod(kube_ns, image)
                assert got["allowed"] is decision.allowed, (namespace, image)
                if not decision.allowed:
                    assert decision.reason.value in got["status"]["message"]


@pytest.mark.parametrize("kind", sorted(RESOURCES))
def test_every_container_of_every_kind_is_read(prod: Webhook, kind: str) -> None:
    good = "harbor.example.com/library/nginx:1.25"
    for images, init in (([good, BOUND], []), ([good], [BOUND])):
        obj = workload(kind, images, init)
        assert prod.answer(review(obj, namespace="a-web"))["allowed"] is True
        denied = prod.answer(review(obj, namespace="b-api"))
        assert denied["allowed"] is False and denied["status"]["code"] == 403
        assert f"{BOUND} ({Reason.SPACE_NOT_BOUND.value})" in denied["status"]["message"]
        assert good not in denied["status"]["message"]


def test_every_refused_image_is_listed(prod: Webhook) -> None:
    images = [BOUND, "harbor.example.com/lonely/app:1", "harbor.example.com/library/nginx"]
    denied = prod.answer(review(workload("Deployment", images), namespace="b-api"))
    message = denied["status"]["message"]
    assert "refused 2 image(s)" in message
    assert f"{BOUND} (space_not_bound)" in message
    assert "harbor.example.com/lonely/app:1 (space_not_bound)" in message


def test_an_update_judges_only_the_images_it_adds(prod: Webhook) -> None:
    before = workload("Deployment", [BOUND])
    scaled = workload("Deployment", [BOUND])
    scaled["spec"]["replicas"] = 5
    update = review(scaled, operation="UPDATE", old=before, namespace="b-api")
    assert prod.answer(update)["allowed"] is True  # an existing workload keeps scaling
    changed = workload("Deployment", [BOUND, "harbor.example.com/lonely/app:1"])
    answer = prod.answer(review(changed, operation="UPDATE", old=before, namespace="b-api"))
    assert answer["allowed"] is False
    assert "lonely/app:1" in answer["status"]["message"]
    assert BOUND not in answer["status"]["message"]


def test_ephemeral_containers_are_judged(prod: Webhook) -> None:
    pod = workload("Pod", ["harbor.example.com/library/nginx:1.25"])
    debugged = workload("Pod", ["harbor.example.com/library/nginx:1.25"])
    debugged["spec"]["ephemeralContainers"] = [{"name": "debugger", "image": BOUND}]
    body = review(
        debugged, operation="UPDATE", old=pod, namespace="b-api", sub_resource="ephemeralcontainers"
    )
    assert prod.answer(body)["allowed"] is False
    body = review(debugged, operation="UPDATE", old=pod, sub_resource="ephemeralcontainers")
    assert prod.answer(body)["allowed"] is True  # a-web: bound


def test_what_controllers_copy_from_a_judged_template_passes(prod: Webhook) -> None:
    pod = workload("Pod", [BOUND])
    controller = "system:serviceaccount:kube-system:replicaset-controller"
    assert prod.answer(review(pod, namespace="b-api", username=controller))["allowed"] is True
    assert prod.answer(review(pod, namespace="b-api", username="mallory"))["allowed"] is False


def test_exempt_namespaces_are_allowed_without_a_decision(prod: Webhook) -> None:
    assert prod.pod("kube-system", "harbor.example.com/lonely/app:1")["allowed"] is True
    assert counts("prod") == (0, 0, 0)


def test_decisions_are_counted_and_denials_audited_dry_runs_not(prod: Webhook) -> None:
    assert prod.pod("a-web", BOUND)["allowed"] is True
    assert prod.pod("b-api", BOUND, username="kube:mallory")["allowed"] is False
    assert counts("prod") == (1, 1, 0)
    event = session().query(AuditEvent).filter_by(action="admission.denied").one()
    assert event.actor == "kube:mallory" and event.workspace_ids == ["ws-b"]
    assert event.detail["images"] == [{"image": BOUND, "reason": "space_not_bound"}]
    assert event.detail["cluster"] == "prod" and event.detail["namespace"] == "b-api"
    dry = prod.pod("b-api", BOUND, dry_run=True)
    assert dry["allowed"] is False and "space_not_bound" in dry["status"]["message"]
    assert counts("prod") == (1, 1, 0)
    assert session().query(AuditEvent).filter_by(action="admission.denied").count() == 1


def test_warn_mode_allows_with_warnings_and_counts_them(platform: Flask) -> None:  # noqa: F811
    hook = Webhook(platform, "prod", register(platform, "prod", "--mode", "warn"))
    answer = hook.pod("b-api", BOUND)
    assert answer["allowed"] is True
    assert answer["warnings"] == [
        f"Mirror Warehouse would refuse {BOUND} (space_not_bound): "
        + platform.extensions["mirror_plugin"].plugin.check_image("prod/b-api", BOUND).message
    ]
    assert counts("prod") == (0, 0, 1)
    assert session().query(AuditEvent).filter_by(action="admission.warned").count() == 1


def test_an_unbind_applies_to_new_workloads(prod: Webhook) -> None:
    assert prod.pod("a-web", BOUND)["allowed"] is True
    session().query(Binding).filter_by(workspace_id="ws-a").delete()
    session().commit()
    assert prod.pod("a-web", BOUND)["allowed"] is False


def test_the_host_maps_namespaces_when_it_says_how(platform: Flask) -> None:  # noqa: F811
    host = platform.extensions["mirror_plugin"].host
    host.console_namespace = lambda cluster, ns: {"web": "prod/a-web"}.get(ns)
    hook = Webhook(platform, "eu-1", register(platform, "eu-1"))
    assert hook.pod("web", BOUND)["allowed"] is True
    unknown = hook.pod("a-web", BOUND)
    assert unknown["allowed"] is False and "unknown_namespace" in unknown["status"]["message"]


def test_workers_add_their_counts_in_batches(prod: Webhook) -> None:
    prod.app.config["MIRROR_ADMISSION_COUNT_SECONDS"] = 3600
    for _ in range(3):
        assert prod.pod("a-web", BOUND)["allowed"] is True
    assert prod.pod("b-api", BOUND)["allowed"] is False  # audited at once, counted later
    assert counts("prod") == (0, 0, 0)
    assert session().query(AuditEvent).filter_by(action="admission.denied").count() == 1
    prod.app.config["MIRROR_ADMISSION_COUNT_SECONDS"] = 0
    assert prod.pod("a-web", BOUND)["allowed"] is True
    assert counts("prod") == (4, 1, 0)


def test_admission_messages_stay_english_whatever_language_the_host_picks(
    prod: Webhook, adapter: FakeHostAdapter
) -> None:
    """The API server has no user language: its message reaches whoever ran kubectl."""
    adapter.language = "zh_Hans"  # a host whose locale() answers Chinese for every request
    answer = prod.answer(
        review(workload("Pod", [BOUND]), namespace="b-api", username="kube:mallory")
    )
    message = answer["status"]["message"]
    assert answer["allowed"] is False and "space_not_bound" in message
    assert "bound to workspace" in message and "工作空间" not in message
