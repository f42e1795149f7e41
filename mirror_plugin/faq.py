"""The FAQ checks of a rule verdict: why an image may or may not be deployed, step by step.

Written only when a person asks (the explain page, ``/api/explain``, the picker's "why"):
the deploy hook answers with :meth:`mirror_plugin.rule.Verdict.decision` and never pays for
these sentences. Every check is read off the verdict :func:`mirror_plugin.rule.judge`
returned, never worked out again, so an explanation cannot tell a different story than the
decision it explains.
"""

from __future__ import annotations

from collections.abc import Sequence

from .reference import ImageReference
from .rule import Check, CheckStatus, Explanation, Reason, RegistryFacts, Verdict

Q_REFERENCE = "Is the image reference valid?"
Q_REGISTRY = "Is the registry integrated?"
Q_NAMESPACE = "Is the Kubernetes namespace bound to a workspace?"
Q_VISIBILITY = "Is the mirror space public or private?"
Q_BOUND = "Is the mirror space bound to the namespace's workspace?"
Q_DATABASE = "Could the rule be checked?"

PASS, FAIL, SKIP = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.SKIP


def explanation(verdict: Verdict) -> Explanation:
    """The verdict's decision with the checks that led to it."""
    return Explanation(verdict.decision(), checks(verdict))


def checks(verdict: Verdict) -> list[Check]:
    """The FAQ questions the rule answered for this verdict, in the order it asked them."""
    reason, ref = verdict.reason, verdict.ref
    if reason is Reason.UNAVAILABLE:
        return [Check("database", Q_DATABASE, FAIL, verdict.detail)]
    if ref is None:
        return [Check("reference", Q_REFERENCE, FAIL, verdict.detail)]
    found = [Check("reference", Q_REFERENCE, PASS, f"It names {ref.string}.")]
    namespace, label = verdict.namespace, verdict.workspace_label
    if reason is Reason.UNKNOWN_NAMESPACE:
        answer = f"The console knows no namespace {namespace!r}."
        found.append(Check("namespace", Q_NAMESPACE, FAIL, answer))
        return found
    if verdict.workspace_id is not None:
        answer = f"Namespace {namespace} belongs to workspace {label}."
        found.append(Check("namespace", Q_NAMESPACE, PASS, answer))
    else:
        answer = (
            f"Namespace {namespace} is not bound to any workspace, so only public "
            "mirror spaces are available to it."
        )
        found.append(Check("namespace", Q_NAMESPACE, FAIL, answer))
    if reason is Reason.FOREIGN_DENIED:
        answer = (
            f"{ref.domain} is not an integrated registry, and this platform only allows "
            "images from integrated registries."
        )
        found.append(Check("registry", Q_REGISTRY, FAIL, answer))
        return found
    if reason is Reason.FOREIGN_ALLOWED:
        answer = f"{ref.domain} is not an integrated registry; such images are allowed here."
        found.append(Check("registry", Q_REGISTRY, SKIP, answer))
        return found
    found.append(Check("registry", Q_REGISTRY, PASS, _integrated(ref, verdict.candidates)))
    found += _space_checks(verdict, ref, label)
    return found


def _space_checks(verdict: Verdict, ref: ImageReference, label: str) -> list[Check]:
    """The visibility and binding checks of an integrated registry's space."""
    reason = verdict.reason
    if reason is Reason.PUBLIC_SPACE:
        return [Check("visibility", Q_VISIBILITY, PASS, f"Mirror space {ref.space} is public.")]
    if reason is Reason.BOUND_TO_WORKSPACE:
        return [
            Check(
                "visibility",
                Q_VISIBILITY,
                FAIL,
                f"Mirror space {ref.space} is private: only workspaces it is bound to may use it.",
            ),
            Check(
                "bound",
                Q_BOUND,
                PASS,
                f"Mirror space {ref.space} is bound to workspace {label}.",
            ),
        ]
    if reason is Reason.WORKSPACE_WAREHOUSE:
        answer = (
            f"Space {ref.space} is in {verdict.detail}, a warehouse of workspace {label}: "
            "its spaces are available to the workspace's namespaces."
        )
        return [Check("bound", Q_BOUND, PASS, answer)]
    if reason is Reason.UNKNOWN_SPACE:
        answer = f"Mirror space {ref.space!r} is not known in warehouse {verdict.detail}."
        return [Check("visibility", Q_VISIBILITY, FAIL, answer)]
    not_public = Check(
        "visibility",
        Q_VISIBILITY,
        FAIL,
        f"{ref.space!r} is not a public mirror space of {ref.domain}.",
    )
    if reason is Reason.NAMESPACE_NOT_IN_WORKSPACE:
        answer = "The namespace has no workspace a private space could be bound to."
        return [not_public, Check("bound", Q_BOUND, SKIP, answer)]
    answer = f"No mirror space {ref.space!r} is bound to workspace {label}."
    return [not_public, Check("bound", Q_BOUND, FAIL, answer)]


def _integrated(ref: ImageReference, candidates: Sequence[RegistryFacts]) -> str:
    """The registry check's answer, saying which integration an alias or address matched."""
    direct = next((r for r in candidates if not r.matched), None)
    if direct is not None:
        return f"{ref.domain} is integrated."
    first = candidates[0]
    how, _, key = first.matched.partition(" ")
    if how == "alias":
        return f"{ref.domain} is integrated: it is an alias of registry {first.name}."
    return f"{ref.domain} is integrated: it reaches {key}, an address of registry {first.name}."
