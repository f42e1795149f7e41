"""The FAQ checks of a rule verdict: why an image may or may not be deployed, step by step.

Written only when a person asks (the explain page, ``/api/explain``, the picker's "why"):
the deploy hook answers with :func:`mirror_plugin.services.sentences.decision` and never pays for
these sentences. Every check is read off the verdict :func:`mirror_plugin.policy.rule.judge`
returned, never worked out again, so an explanation cannot tell a different story than the
decision it explains.
"""

from __future__ import annotations

from collections.abc import Sequence

from mirror_plugin.i18n import N_, gettext
from mirror_plugin.policy.reference import ImageReference
from mirror_plugin.policy.rule import (
    Check,
    CheckStatus,
    Explanation,
    Reason,
    RegistryFacts,
    Verdict,
)
from mirror_plugin.services.sentences import decision

Q_REFERENCE = N_("Is the image reference valid?")
Q_REGISTRY = N_("Is the registry integrated?")
Q_NAMESPACE = N_("Is the Kubernetes namespace bound to a workspace?")
Q_VISIBILITY = N_("Is the mirror space public or private?")
Q_BOUND = N_("Is the mirror space bound to the namespace's workspace?")
Q_DATABASE = N_("Could the rule be checked?")

PASS, FAIL, SKIP = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.SKIP


def explanation(verdict: Verdict) -> Explanation:
    """The verdict's decision with the checks that led to it."""
    return Explanation(decision(verdict), checks(verdict))


def _check(key: str, question: str, status: CheckStatus, answer: str) -> Check:
    """One check, its question in the request's language."""
    return Check(key, gettext(question), status, answer)


def checks(verdict: Verdict) -> list[Check]:
    """The FAQ questions the rule answered for this verdict, in the order it asked them."""
    reason, ref = verdict.reason, verdict.ref
    if reason is Reason.UNAVAILABLE:
        return [_check("database", Q_DATABASE, FAIL, verdict.detail)]
    if ref is None:
        return [_check("reference", Q_REFERENCE, FAIL, verdict.detail)]
    found = [
        _check(
            "reference", Q_REFERENCE, PASS, gettext("It names %(reference)s.", reference=ref.string)
        )
    ]
    namespace, label = verdict.namespace, verdict.workspace_label
    if reason is Reason.UNKNOWN_NAMESPACE:
        answer = gettext("The console knows no namespace %(namespace)r.", namespace=namespace)
        found.append(_check("namespace", Q_NAMESPACE, FAIL, answer))
        return found
    if verdict.workspace_id is not None:
        answer = gettext(
            "Namespace %(namespace)s belongs to workspace %(workspace)s.",
            namespace=namespace,
            workspace=label,
        )
        found.append(_check("namespace", Q_NAMESPACE, PASS, answer))
    else:
        answer = gettext(
            "Namespace %(namespace)s is not bound to any workspace, so only public "
            "mirror spaces are available to it.",
            namespace=namespace,
        )
        found.append(_check("namespace", Q_NAMESPACE, FAIL, answer))
    if reason is Reason.FOREIGN_DENIED:
        answer = gettext(
            "%(registry)s is not an integrated registry, and this platform only allows "
            "images from integrated registries.",
            registry=ref.domain,
        )
        found.append(_check("registry", Q_REGISTRY, FAIL, answer))
        return found
    if reason is Reason.FOREIGN_ALLOWED:
        answer = gettext(
            "%(registry)s is not an integrated registry; such images are allowed here.",
            registry=ref.domain,
        )
        found.append(_check("registry", Q_REGISTRY, SKIP, answer))
        return found
    found.append(_check("registry", Q_REGISTRY, PASS, _integrated(ref, verdict.candidates)))
    found += _space_checks(verdict, ref, label)
    return found


def _space_checks(verdict: Verdict, ref: ImageReference, label: str) -> list[Check]:
    """The visibility and binding checks of an integrated registry's space."""
    reason = verdict.reason
    if reason is Reason.PUBLIC_SPACE:
        return [
            _check(
                "visibility",
                Q_VISIBILITY,
                PASS,
                gettext("Mirror space %(space)s is public.", space=ref.space),
            )
        ]
    if reason is Reason.BOUND_TO_WORKSPACE:
        return [
            _check(
                "visibility",
                Q_VISIBILITY,
                FAIL,
                gettext(
                    "Mirror space %(space)s is private: only workspaces it is bound to may use it.",
                    space=ref.space,
                ),
            ),
            _check(
                "bound",
                Q_BOUND,
                PASS,
                gettext(
                    "Mirror space %(space)s is bound to workspace %(workspace)s.",
                    space=ref.space,
                    workspace=label,
                ),
            ),
        ]
    if reason is Reason.WORKSPACE_WAREHOUSE:
        answer = gettext(
            "Space %(space)s is in %(warehouse)s, a warehouse of workspace %(workspace)s: "
            "its spaces are available to the workspace's namespaces.",
            space=ref.space,
            warehouse=verdict.detail,
            workspace=label,
        )
        return [_check("bound", Q_BOUND, PASS, answer)]
    if reason is Reason.UNKNOWN_SPACE:
        answer = gettext(
            "Mirror space %(space)r is not known in %(where)s.",
            space=ref.space,
            where=gettext("warehouse %(name)s", name=verdict.detail),
        )
        return [_check("visibility", Q_VISIBILITY, FAIL, answer)]
    not_public = _check(
        "visibility",
        Q_VISIBILITY,
        FAIL,
        gettext(
            "%(space)r is not a public mirror space of %(registry)s.",
            space=ref.space,
            registry=ref.domain,
        ),
    )
    if reason is Reason.NAMESPACE_NOT_IN_WORKSPACE:
        answer = gettext("The namespace has no workspace a private space could be bound to.")
        return [not_public, _check("bound", Q_BOUND, SKIP, answer)]
    answer = gettext(
        "No mirror space %(space)r is bound to workspace %(workspace)s.",
        space=ref.space,
        workspace=label,
    )
    return [not_public, _check("bound", Q_BOUND, FAIL, answer)]


def _integrated(ref: ImageReference, candidates: Sequence[RegistryFacts]) -> str:
    """The registry check's answer, saying which integration an alias or address matched."""
    direct = next((r for r in candidates if not r.matched), None)
    if direct is not None:
        return gettext("%(registry)s is integrated.", registry=ref.domain)
    first = candidates[0]
    how, _, key = first.matched.partition(" ")
    if how == "alias":
        return gettext(
            "%(registry)s is integrated: it is an alias of registry %(name)s.",
            registry=ref.domain,
            name=first.name,
        )
    return gettext(
        "%(registry)s is integrated: it reaches %(address)s, an address of registry %(name)s.",
        registry=ref.domain,
        address=key,
        name=first.name,
    )
