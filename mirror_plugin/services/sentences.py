"""The deploy decision's one sentence, in the language of whoever asked.

The rule (:mod:`mirror_plugin.policy.rule`) decides and says why in codes; people read this
sentence beside the code. It lives above the pure rule because it needs the request's
language, and it is written once per decision on the hook's path: keep it cheap.
"""

from __future__ import annotations

from mirror_plugin.i18n import gettext
from mirror_plugin.policy.rule import ALLOWING, Decision, Reason, Verdict, shorten


def decision(verdict: Verdict) -> Decision:
    """The hook's answer: allowed or not, the reason and one sentence."""
    ref = verdict.ref
    return Decision(
        allowed=verdict.reason in ALLOWING,
        reason=verdict.reason,
        message=_sentence(verdict),
        image=verdict.image,
        namespace=verdict.namespace,
        workspace_id=verdict.workspace_id,
        registry=ref.domain if ref is not None else None,
        space=ref.space if ref is not None else None,
    )


def _sentence(verdict: Verdict) -> str:
    """The decision's sentence for people, in the request's language."""
    reason, ref, label = verdict.reason, verdict.ref, verdict.workspace_label
    if ref is None:
        if reason is Reason.INVALID_REFERENCE:
            return gettext(
                "%(image)r is not a valid image reference (%(error)s). Use "
                "host/space/repository:tag or @sha256:digest.",
                image=shorten(verdict.image),
                error=verdict.detail,
            )
        return verdict.detail  # unavailable
    if reason is Reason.PUBLIC_SPACE:
        return gettext(
            "%(image)s is in public mirror space %(space)s.", image=ref.familiar, space=ref.space
        )
    if reason is Reason.BOUND_TO_WORKSPACE:
        return gettext(
            "%(image)s is in private mirror space %(space)s, bound to workspace %(workspace)s.",
            image=ref.familiar,
            space=ref.space,
            workspace=label,
        )
    if reason is Reason.WORKSPACE_WAREHOUSE:
        return gettext(
            "%(image)s comes from warehouse %(warehouse)s of workspace %(workspace)s.",
            image=ref.familiar,
            warehouse=verdict.detail,
            workspace=label,
        )
    if reason is Reason.FOREIGN_ALLOWED:
        return gettext(
            "%(registry)s is not an integrated registry; images from it are allowed.",
            registry=ref.domain,
        )
    if reason is Reason.FOREIGN_DENIED:
        return gettext(
            "%(registry)s is not an integrated registry; this platform only allows "
            "images from its Mirror Warehouse.",
            registry=ref.domain,
        )
    if reason is Reason.UNKNOWN_NAMESPACE:
        return gettext(
            "Namespace %(namespace)r does not exist; choose a namespace first.",
            namespace=verdict.namespace,
        )
    if reason is Reason.UNKNOWN_SPACE:
        return gettext(
            "Mirror space %(space)r does not exist in %(where)s (or its account cannot "
            "read it, or it was not synced yet); refresh the registry.",
            space=ref.space,
            where=gettext("warehouse %(name)s", name=verdict.detail),
        )
    if reason is Reason.NAMESPACE_NOT_IN_WORKSPACE:
        return gettext(
            "%(image)s is not in a public mirror space, and namespace %(namespace)s is not "
            "bound to a workspace, so only public mirror spaces are available to it; bind the "
            "namespace to a workspace the space is bound to.",
            image=ref.familiar,
            namespace=verdict.namespace,
        )
    return gettext(
        "%(image)s is not in a public mirror space nor in one bound to workspace "
        "%(workspace)s; check the space name, or ask the platform Admin to bind the space to "
        "the workspace.",
        image=ref.familiar,
        workspace=label,
    )
