"""The visibility rule of PRODUCT.md, case by case, through the public Python API."""

from __future__ import annotations

import pytest
from flask import Flask

from mirror_plugin import Reason
from mirror_plugin.models import Binding
from mirror_plugin.services.sentences import decision

from .factories import integration, session, space

DIGEST = "sha256:" + "a" * 64


@pytest.fixture
def platform(app: Flask) -> Flask:
    harbor = integration("harbor", "https://harbor.example.com")
    space(harbor, "library", public=True)
    space(harbor, "secret", bound=("ws-a",))
    space(harbor, "lonely")
    space(harbor, "shared", bound=("ws-a", "ws-b"))
    ported = integration("ported", "http://registry.local:5000", kind="docker")
    space(ported, "team", public=False, bound=("ws-b",))
    space(ported, "open", public=True)
    warehouse_a = integration("a-own", "https://wsa.registry.io", workspace_id="ws-a")
    space(warehouse_a, "apps")
    integration("b-own", "https://wsb.registry.io", workspace_id="ws-b")
    space(harbor, "readable")
    space(harbor, "shared-b", bound=("ws-b",))
    a_on_platform = integration("a-on-harbor", "https://harbor.example.com", workspace_id="ws-a")
    space(a_on_platform, "readable")
    space(a_on_platform, "library", public=True)
    session().commit()
    return app


def check(app: Flask, namespace: str, image: object):  # type: ignore[no-untyped-def]
    return app.extensions["mirror_plugin"].plugin.check_image(namespace, image)


CASES = [
    # (namespace, image, allowed, reason)
    ("prod/a-web", "harbor.example.com/library/nginx:1.25", True, Reason.PUBLIC_SPACE),
    ("dev/sandbox", "harbor.example.com/library/nginx:1.25", True, Reason.PUBLIC_SPACE),
    ("prod/b-api", "harbor.example.com/library/nginx", True, Reason.PUBLIC_SPACE),
    ("prod/a-web", "harbor.example.com/secret/app:1", True, Reason.BOUND_TO_WORKSPACE),
    ("prod/a-jobs", "harbor.example.com/secret/app:1", True, Reason.BOUND_TO_WORKSPACE),
    ("prod/b-api", "harbor.example.com/secret/app:1", False, Reason.SPACE_NOT_BOUND),
    ("prod/a-web", "harbor.example.com/lonely/app:1", False, Reason.SPACE_NOT_BOUND),
    ("dev/sandbox", "harbor.example.com/secret/app:1", False, Reason.NAMESPACE_NOT_IN_WORKSPACE),
    ("prod/b-api", "harbor.example.com/shared/tool:2", True, Reason.BOUND_TO_WORKSPACE),
    # a space that does not exist answers like a private one bound elsewhere (no oracle)
    ("prod/a-web", "harbor.example.com/nowhere/app:1", False, Reason.SPACE_NOT_BOUND),
    ("dev/sandbox", "harbor.example.com/nowhere/app:1", False, Reason.NAMESPACE_NOT_IN_WORKSPACE),
    # workspace warehouses: the right workspace, another workspace, no workspace
    ("prod/a-web", "wsa.registry.io/apps/web:3", True, Reason.WORKSPACE_WAREHOUSE),
    ("prod/a-web", "wsa.registry.io/not-synced-yet/web:3", False, Reason.UNKNOWN_SPACE),
    ("prod/b-api", "wsa.registry.io/apps/web:3", True, Reason.FOREIGN_ALLOWED),
    ("dev/sandbox", "wsb.registry.io/x/y:1", True, Reason.FOREIGN_ALLOWED),
    ("prod/b-api", "wsb.registry.io/x/y:1", False, Reason.UNKNOWN_SPACE),
    # a warehouse on the platform's own Harbor grants what its account can read, nothing more
    ("prod/a-web", "harbor.example.com/readable/app:1", True, Reason.WORKSPACE_WAREHOUSE),
    ("prod/a-web", "harbor.example.com/shared-b/app:1", False, Reason.SPACE_NOT_BOUND),
    ("prod/b-api", "harbor.example.com/readable/app:1", False, Reason.SPACE_NOT_BOUND),
    # host:port forms are matched on parsed host and port
    ("prod/b-api", "registry.local:5000/team/api:7", True, Reason.BOUND_TO_WORKSPACE),
    ("prod/a-web", "registry.local:5000/team/api:7", False, Reason.SPACE_NOT_BOUND),
    ("prod/a-web", "registry.local:5001/team/api:7", True, Reason.FOREIGN_ALLOWED),
    ("prod/a-web", "registry.local/team/api:7", True, Reason.FOREIGN_ALLOWED),
    ("prod/a-web", "harbor.example.com:443/secret/app:1", True, Reason.BOUND_TO_WORKSPACE),
    ("prod/b-api", "HARBOR.example.com/secret/app:1", False, Reason.SPACE_NOT_BOUND),
    # lookalikes are other registries, not prefixes of ours
    ("prod/b-api", "harbor.example.com.evil.io/secret/app:1", True, Reason.FOREIGN_ALLOWED),
    ("prod/b-api", "evil.io/harbor.example.com/secret/app", True, Reason.FOREIGN_ALLOWED),
    ("prod/b-api", "harbor.example.co/secret/app:1", True, Reason.FOREIGN_ALLOWED),
    # digests and nested repositories: the space is the first path segment
    ("prod/a-web", f"harbor.example.com/secret/app@{DIGEST}", True, Reason.BOUND_TO_WORKSPACE),
    ("prod/b-api", f"harbor.example.com/secret/app:1@{DIGEST}", False, Reason.SPACE_NOT_BOUND),
    ("prod/a-web", "harbor.example.com/secret/team/deep/app:1", True, Reason.BOUND_TO_WORKSPACE),
    ("prod/b-api", "harbor.example.com/library/secret/app:1", True, Reason.PUBLIC_SPACE),
    ("prod/b-api", "harbor.example.com/secret", False, Reason.SPACE_NOT_BOUND),
    # Docker Hub and other registries nobody integrated
    ("prod/a-web", "nginx:1.25", True, Reason.FOREIGN_ALLOWED),
    ("dev/sandbox", "quay.io/prometheus/node-exporter:v1", True, Reason.FOREIGN_ALLOWED),
    # invalid references and unknown namespaces are decisions, not exceptions
    ("prod/a-web", "", False, Reason.INVALID_REFERENCE),
    ("prod/a-web", "Harbor.example.com/UPPER/app", False, Reason.INVALID_REFERENCE),
    ("prod/a-web", "harbor.example.com/secret/app:", False, Reason.INVALID_REFERENCE),
    ("prod/a-web", "harbor.example.com/secret/app@sha256:abc", False, Reason.INVALID_REFERENCE),
    ("prod/a-web", " harbor.example.com/library/nginx", False, Reason.INVALID_REFERENCE),
    ("prod/a-web", None, False, Reason.INVALID_REFERENCE),
    ("no/such-ns", "harbor.example.com/library/nginx:1", False, Reason.UNKNOWN_NAMESPACE),
    ("", "harbor.example.com/library/nginx:1", False, Reason.UNKNOWN_NAMESPACE),
]


@pytest.mark.parametrize(("namespace", "image", "allowed", "reason"), CASES)
def test_rule(
    platform: Flask, namespace: str, image: object, allowed: bool, reason: Reason
) -> None:
    decision = check(platform, namespace, image)
    assert (decision.allowed, decision.reason) == (allowed, reason), decision.message
    assert decision.message and decision.message.endswith(".")


def test_foreign_registries_follow_the_deny_setting(platform: Flask) -> None:
    platform.config["MIRROR_FOREIGN_IMAGES"] = "deny"
    for image in (
        "nginx:1.25",
        "harbor.example.com.evil.io/secret/app:1",
        "wsa.registry.io/apps/web:3",
    ):
        decision = check(platform, "prod/b-api", image)
        assert not decision.allowed
        assert decision.reason is Reason.FOREIGN_DENIED
        assert "not an integrated registry" in decision.message
    assert check(platform, "prod/a-web", "wsa.registry.io/apps/web:3").allowed
    assert check(platform, "prod/b-api", "harbor.example.com/library/nginx").allowed


def test_a_space_turned_private_keeps_its_bindings(platform: Flask) -> None:
    from mirror_plugin.models import Space

    library = session().query(Space).filter_by(name="library", integration_id=1).one()
    session().add(Binding(space=library, workspace_id="ws-b"))
    library.public = False
    session().commit()
    assert check(platform, "prod/b-api", "harbor.example.com/library/nginx").allowed
    denied = check(platform, "dev/sandbox", "harbor.example.com/library/nginx")
    assert denied.reason is Reason.NAMESPACE_NOT_IN_WORKSPACE
    # ws-a reads library through its own warehouse on the same Harbor.
    assert check(platform, "prod/a-web", "harbor.example.com/library/nginx").reason is (
        Reason.WORKSPACE_WAREHOUSE
    )


def test_unbinding_denies_at_once(platform: Flask) -> None:
    assert check(platform, "prod/a-web", "harbor.example.com/secret/app:1").allowed
    session().query(Binding).filter_by(workspace_id="ws-a").delete()
    session().commit()
    assert not check(platform, "prod/a-web", "harbor.example.com/secret/app:1").allowed


def test_messages_name_workspaces_by_display_name(platform: Flask) -> None:
    decision = check(platform, "prod/b-api", "harbor.example.com/secret/app:1")
    assert "Team B" in decision.message and "secret" in decision.message
    assert decision.workspace_id == "ws-b"
    assert decision.to_dict()["reason"] == "space_not_bound"


def test_filter_images_splits_allowed_from_denied(platform: Flask) -> None:
    plugin = platform.extensions["mirror_plugin"].plugin
    result = plugin.filter_images(
        "prod/b-api",
        ["harbor.example.com/library/nginx:1", "harbor.example.com/secret/app:1", "bad image"],
    )
    assert result.allowed == ["harbor.example.com/library/nginx:1"]
    assert [d.reason for d in result.denied] == [Reason.SPACE_NOT_BOUND, Reason.INVALID_REFERENCE]


def test_explain_walks_the_faq_checks(platform: Flask) -> None:
    plugin = platform.extensions["mirror_plugin"].plugin
    explanation = plugin.explain("dev/sandbox", "harbor.example.com/secret/app:1")
    by_key = {check.key: check for check in explanation.checks}
    assert by_key["namespace"].status.value == "fail"
    assert "not bound to any workspace" in by_key["namespace"].answer
    assert by_key["visibility"].status.value == "fail"
    assert "not a public mirror space" in by_key["visibility"].answer
    assert not explanation.decision.allowed

    bound = plugin.explain("prod/a-web", "harbor.example.com/secret/app:1")
    assert [c.key for c in bound.checks] == [
        "reference",
        "namespace",
        "registry",
        "visibility",
        "bound",
    ]
    assert all(c.status.value == "pass" for c in bound.checks if c.key != "visibility")
    assert bound.to_dict()["decision"]["allowed"] is True


@pytest.mark.parametrize("policy", ["allow", "deny"])
def test_check_and_explain_reach_one_decision(platform: Flask, policy: str) -> None:
    """check_image skips the FAQ sentences; explain writes them from the same verdict, so
    the page that says why can never tell a different answer than the hook gave."""
    platform.config["MIRROR_FOREIGN_IMAGES"] = policy
    plugin = platform.extensions["mirror_plugin"].plugin
    for namespace, image, _, _ in CASES:
        explanation = plugin.explain(namespace, image)
        assert explanation.decision == plugin.check_image(namespace, image), (namespace, image)
        statuses = {check.key: check.status.value for check in explanation.checks}
        if explanation.decision.allowed:
            assert "fail" not in {statuses.get("registry"), statuses.get("bound")}, image
        else:
            assert "fail" in statuses.values() or "skip" in statuses.values(), image


def test_snapshot_agrees_with_the_database_reference(platform: Flask) -> None:
    """The in-memory snapshot and the plain database lookups give the same decision."""
    from mirror_plugin.policy.rule import judge
    from mirror_plugin.services.facts import DatabaseFacts

    state = platform.extensions["mirror_plugin"]
    for namespace, image, _, _ in CASES:
        try:
            workspace = state.host.workspace_of_namespace(namespace)
            known = True
        except LookupError:
            workspace, known = None, False
        reference = judge(
            DatabaseFacts(session()),
            image=image,
            namespace=namespace,
            namespace_known=known and bool(namespace),
            workspace_id=workspace,
            workspace_name={"ws-a": "Team A", "ws-b": "Team B"}.get(workspace or ""),
        )
        assert decision(reference) == check(platform, namespace, image), (namespace, image)
