"""The sample builders the demo and the benchmarks send to the webhook
(``mirror_plugin.testing.admission``) write what a real client writes."""

from __future__ import annotations

import json

from mirror_plugin.admission.review import parse_review
from mirror_plugin.testing.admission import admission_review, deployment

from .admission_objects import kubectl

IMAGES = [
    "harbor.example.com/team/api:1.2",
    "nginx",
    "registry.local:5000/a/b/worker@sha256:" + "a" * 64,
]


def test_the_deployment_is_what_kubectl_create_deployment_prints() -> None:
    flags = [f"--image={image}" for image in IMAGES]
    made = json.loads(
        kubectl("create", "deployment", "web", *flags, "--dry-run=client", "-o", "json")
    )
    assert deployment("web", IMAGES) == made


def test_the_review_carries_every_image_and_init_container_to_the_webhook() -> None:
    body = admission_review(
        deployment("web", IMAGES, init=["busybox:1.36"]), namespace="a-web", username="alice"
    )
    parsed = parse_review(json.loads(json.dumps(body)))
    assert (parsed.kind, parsed.operation, parsed.namespace, parsed.name) == (
        "Deployment",
        "CREATE",
        "a-web",
        "web",
    )
    assert parsed.images == ("busybox:1.36", *IMAGES)  # init containers first, as they run
    assert parsed.username == "alice" and parsed.uid
    assert body["request"]["resource"] == {
        "group": "apps",
        "version": "v1",
        "resource": "deployments",
    }
