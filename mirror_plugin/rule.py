"""The visibility rule, as a pure function over facts the caller looks up.

For a namespace N whose workspace is W (or none)::

    visible(N) = public spaces of every platform integration
               ∪ private spaces of platform integrations that are bound to W
               ∪ every space of every workspace warehouse of W

Nothing here touches the database, Flask or the network: :func:`decide` is handed a
:class:`Facts` lookup and returns an :class:`Explanation` whose checks mirror the FAQ of the
source document (is the namespace in a workspace? is the space bound to it? is it public?).
Registries are matched on the parsed host[:port] of the reference, never on string prefixes.

A workspace warehouse grants its workspace the spaces its own sync found, that is what its
account can read in the registry. Connecting the platform's own Harbor as a warehouse with
weaker (or anonymous) credentials therefore grants nothing the platform Admin did not bind.
Workspace warehouses widen visibility for their own workspace only. For every other namespace
an image of another workspace's warehouse is judged like an image of a registry nobody
integrated (``MIRROR_FOREIGN_IMAGES``): a Workspace Admin connecting, say, Docker Hub must not
lock the rest of the platform out of it, and a denial must not reveal another tenant's setup.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .hostkey import address_keys, is_ip_literal, registry_key, split_key
from .i18n import N_, gettext
from .reference import ImageReference, InvalidReference, parse_reference

#: Answers a host name's addresses (``mirror_plugin.resolver.CachedResolver.resolve``).
Resolve = Callable[[str], tuple[str, ...]]


class Reason(enum.StrEnum):
    """Stable reason codes: hosts and scripts may branch on them."""

    PUBLIC_SPACE = "public_space"
    BOUND_TO_WORKSPACE = "bound_to_workspace"
    WORKSPACE_WAREHOUSE = "workspace_warehouse"
    FOREIGN_ALLOWED = "foreign_registry_allowed"
    FOREIGN_DENIED = "foreign_registry_denied"
    INVALID_REFERENCE = "invalid_reference"
    UNKNOWN_NAMESPACE = "unknown_namespace"
    NAMESPACE_NOT_IN_WORKSPACE = "namespace_not_in_workspace"
    SPACE_NOT_BOUND = "space_not_bound"
    UNKNOWN_SPACE = "unknown_space"
    #: The database could not be reached and the last rule snapshot is too old to trust.
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class Decision:
    """What the deploy hook answers: allowed or not, a stable code and a sentence for people."""

    allowed: bool
    reason: Reason
    message: str
    image: str
    namespace: str
    workspace_id: str | None = None
    registry: str | None = None
    space: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "reason": self.reason.value,
            "message": self.message,
            "image": self.image,
            "namespace": self.namespace,
            "workspace_id": self.workspace_id,
            "registry": self.registry,
            "space": self.space,
        }


class CheckStatus(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Check:
    """One FAQ question answered for a namespace and an image."""

    key: str
    question: str
    status: CheckStatus
    answer: str

    def to_dict(self) -> dict[str, str]:
        return {
            "key": self.key,
            "question": self.question,
            "status": self.status.value,
            "answer": self.answer,
        }


@dataclass(frozen=True, slots=True)
class Explanation:
    decision: Decision
    checks: list[Check] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision.to_dict(),
            "checks": [check.to_dict() for check in self.checks],
        }


@dataclass(frozen=True, slots=True)
class SpaceFacts:
    name: str
    public: bool
    bound_workspaces: frozenset[str]


@dataclass(frozen=True, slots=True)
class RegistryFacts:
    """An integration at the image's host, with the facts of the one space the image names."""

    name: str
    workspace_id: str | None  # None for platform integrations
    space: SpaceFacts | None  # None when the space is not (or not yet) known
    #: How the image's host led here: "" (its own host), "alias K" or "address K".
    matched: str = ""


class Facts(Protocol):
    def registries_at(
        self, host_key: str, space: str, workspace_id: str | None
    ) -> Sequence[RegistryFacts]:
        """Integrations whose registry_key is ``host_key``, with the facts of ``space``.

        ``bound_workspaces`` needs to hold ``workspace_id`` only when the space is bound to it:
        a lookup need not load every binding of a space shared with thousands of workspaces.
        Integrations found through an alias say so in ``matched`` (``"alias <key>"``).
        """
        ...

    def address_ports(self) -> Collection[str]:
        """Canonical ports ("" for default) under which any integration recorded addresses.

        An image on another port cannot match by address, so its host is never resolved.
        """
        ...

    def registries_at_addresses(
        self, address_keys: Collection[str], space: str, workspace_id: str | None
    ) -> Sequence[RegistryFacts]:
        """Integrations that recorded one of ``address_keys``, ``matched`` ``"address <key>"``."""
        ...


Q_REFERENCE = N_("Is the image reference valid?")
Q_REGISTRY = N_("Is the registry integrated?")
Q_NAMESPACE = N_("Is the Kubernetes namespace bound to a workspace?")
Q_VISIBILITY = N_("Is the mirror space public or private?")
Q_BOUND = N_("Is the mirror space bound to the namespace's workspace?")


@dataclass(slots=True)
class _Context:
    image: str
    namespace: str
    workspace_id: str | None
    workspace_label: str
    checks: list[Check] = field(default_factory=list)
    ref: ImageReference | None = None

    def check(self, key: str, question: str, status: CheckStatus, answer: str) -> None:
        self.checks.append(Check(key, gettext(question), status, answer))

    def finish(self, allowed: bool, reason: Reason, message: str) -> Explanation:
        ref = self.ref
        decision = Decision(
            allowed=allowed,
            reason=reason,
            message=message,
            image=self.image,
            namespace=self.namespace,
            workspace_id=self.workspace_id,
            registry=ref.domain if ref else None,
            space=ref.space if ref else None,
        )
        return Explanation(decision, list(self.checks))


def decide(
    facts: Facts,
    *,
    image: object,
    namespace: str,
    namespace_known: bool,
    workspace_id: str | None,
    workspace_name: str | None = None,
    foreign_policy: str = "allow",
    resolve: Resolve | None = None,
) -> Explanation:
    """Apply the rule to one image for one namespace; never raises on bad input.

    ``workspace_name`` is the display name used in sentences; codes and ids stay stable.
    ``resolve`` answers a host name's addresses (cached and bounded by the caller); without
    it, host names match integrations by name and alias only.
    """
    ctx = _Context(
        image=image if isinstance(image, str) else _shown(repr(image)),
        namespace=namespace,
        workspace_id=workspace_id,
        workspace_label=workspace_name or workspace_id or "",
    )
    try:
        ctx.ref = parse_reference(image)  # type: ignore[arg-type]
    except InvalidReference as exc:
        ctx.check("reference", Q_REFERENCE, CheckStatus.FAIL, str(exc))
        return ctx.finish(
            False,
            Reason.INVALID_REFERENCE,
            gettext(
                "%(image)r is not a valid image reference (%(error)s). Use "
                "host/space/repository:tag or @sha256:digest.",
                image=_shown(ctx.image),
                error=exc,
            ),
        )
    ref = ctx.ref
    ctx.check(
        "reference",
        Q_REFERENCE,
        CheckStatus.PASS,
        gettext("It names %(reference)s.", reference=ref.string),
    )

    if not namespace_known:
        ctx.check(
            "namespace",
            Q_NAMESPACE,
            CheckStatus.FAIL,
            gettext("The console knows no namespace %(namespace)r.", namespace=namespace),
        )
        return ctx.finish(
            False,
            Reason.UNKNOWN_NAMESPACE,
            gettext(
                "Namespace %(namespace)r does not exist; choose a namespace first.",
                namespace=namespace,
            ),
        )

    in_workspace = workspace_id is not None
    if in_workspace:
        ctx.check(
            "namespace",
            Q_NAMESPACE,
            CheckStatus.PASS,
            gettext(
                "Namespace %(namespace)s belongs to workspace %(workspace)s.",
                namespace=namespace,
                workspace=ctx.workspace_label,
            ),
        )
    else:
        ctx.check(
            "namespace",
            Q_NAMESPACE,
            CheckStatus.FAIL,
            gettext(
                "Namespace %(namespace)s is not bound to any workspace, so only public "
                "mirror spaces are available to it.",
                namespace=namespace,
            ),
        )

    candidates = [
        registry
        for registry in integrations_for(facts, ref, workspace_id, resolve)
        if registry.workspace_id is None or registry.workspace_id == workspace_id
    ]
    if not candidates:
        return _foreign(ctx, foreign_policy)
    ctx.check("registry", Q_REGISTRY, CheckStatus.PASS, _integrated(ref, candidates))

    own = [r for r in candidates if r.workspace_id is not None]
    platform = [r for r in candidates if r.workspace_id is None]
    public = next((r for r in platform if r.space and r.space.public), None)
    if public is not None:
        ctx.check(
            "visibility",
            Q_VISIBILITY,
            CheckStatus.PASS,
            gettext("Mirror space %(space)s is public.", space=ref.space),
        )
        return ctx.finish(
            True,
            Reason.PUBLIC_SPACE,
            gettext(
                "%(image)s is in public mirror space %(space)s.",
                image=ref.familiar,
                space=ref.space,
            ),
        )
    bound = in_workspace and any(
        r.space and workspace_id in r.space.bound_workspaces for r in platform
    )
    if bound:
        ctx.check(
            "visibility",
            Q_VISIBILITY,
            CheckStatus.FAIL,
            gettext(
                "Mirror space %(space)s is private: only workspaces it is bound to may use it.",
                space=ref.space,
            ),
        )
        ctx.check(
            "bound",
            Q_BOUND,
            CheckStatus.PASS,
            gettext(
                "Mirror space %(space)s is bound to workspace %(workspace)s.",
                space=ref.space,
                workspace=ctx.workspace_label,
            ),
        )
        return ctx.finish(
            True,
            Reason.BOUND_TO_WORKSPACE,
            gettext(
                "%(image)s is in private mirror space %(space)s, bound to workspace "
                "%(workspace)s.",
                image=ref.familiar,
                space=ref.space,
                workspace=ctx.workspace_label,
            ),
        )
    readable = next((r for r in own if r.space is not None), None)
    if readable is not None:
        ctx.check(
            "bound",
            Q_BOUND,
            CheckStatus.PASS,
            gettext(
                "Space %(space)s is in %(warehouse)s, a warehouse of workspace %(workspace)s: "
                "its spaces are available to the workspace's namespaces.",
                space=ref.space,
                warehouse=readable.name,
                workspace=ctx.workspace_label,
            ),
        )
        return ctx.finish(
            True,
            Reason.WORKSPACE_WAREHOUSE,
            gettext(
                "%(image)s comes from warehouse %(warehouse)s of workspace %(workspace)s.",
                image=ref.familiar,
                warehouse=readable.name,
                workspace=ctx.workspace_label,
            ),
        )
    if not platform:
        where = gettext("warehouse %(name)s", name=own[0].name)
        ctx.check(
            "visibility",
            Q_VISIBILITY,
            CheckStatus.FAIL,
            gettext(
                "Mirror space %(space)r is not known in %(where)s.", space=ref.space, where=where
            ),
        )
        return ctx.finish(
            False,
            Reason.UNKNOWN_SPACE,
            gettext(
                "Mirror space %(space)r does not exist in %(where)s (or its account cannot "
                "read it, or it was not synced yet); refresh the registry.",
                space=ref.space,
                where=where,
            ),
        )
    # From here the space is, for this namespace, neither public nor bound. Whether it is a
    # private space of another tenant or no space at all is deliberately not said: a user
    # learns only what the picker would show them.
    ctx.check(
        "visibility",
        Q_VISIBILITY,
        CheckStatus.FAIL,
        gettext(
            "%(space)r is not a public mirror space of %(registry)s.",
            space=ref.space,
            registry=ref.domain,
        ),
    )
    if not in_workspace:
        ctx.check(
            "bound",
            Q_BOUND,
            CheckStatus.SKIP,
            gettext("The namespace has no workspace a private space could be bound to."),
        )
        return ctx.finish(
            False,
            Reason.NAMESPACE_NOT_IN_WORKSPACE,
            gettext(
                "%(image)s is not in a public mirror space, and namespace %(namespace)s is "
                "not bound to a workspace, so only public mirror spaces are available to it; "
                "bind the namespace to a workspace the space is bound to.",
                image=ref.familiar,
                namespace=namespace,
            ),
        )
    ctx.check(
        "bound",
        Q_BOUND,
        CheckStatus.FAIL,
        gettext(
            "No mirror space %(space)r is bound to workspace %(workspace)s.",
            space=ref.space,
            workspace=ctx.workspace_label,
        ),
    )
    return ctx.finish(
        False,
        Reason.SPACE_NOT_BOUND,
        gettext(
            "%(image)s is not in a public mirror space nor in one bound to workspace "
            "%(workspace)s; check the space name, or ask the platform Admin to bind the space "
            "to the workspace.",
            image=ref.familiar,
            workspace=ctx.workspace_label,
        ),
    )


def unavailable(image: object, namespace: str, message: str) -> Explanation:
    """The denial while the rule cannot be checked (database unreachable, snapshot stale)."""
    ctx = _Context(
        image=image if isinstance(image, str) else _shown(repr(image)),
        namespace=namespace,
        workspace_id=None,
        workspace_label="",
    )
    ctx.check("database", N_("Could the rule be checked?"), CheckStatus.FAIL, message)
    return ctx.finish(False, Reason.UNAVAILABLE, message)


def _shown(text: str) -> str:
    """``text`` cut to a length a sentence can carry (references may be megabytes long)."""
    return text if len(text) <= 120 else text[:117] + "..."


def integrations_for(
    facts: Facts, ref: ImageReference, workspace_id: str | None, resolve: Resolve | None
) -> Sequence[RegistryFacts]:
    """Every integration the image's registry may be, by host, alias or address.

    Matching by address looks the host up (``resolve``) only when some integration recorded
    addresses on the image's port and the host is a name: IP literals and ``localhost`` are
    their own addresses.
    """
    key, host, port, literal = _key_parts(ref.domain)
    by_name = facts.registries_at(key, ref.space, workspace_id)
    if port not in facts.address_ports():
        return by_name
    resolved = resolve(host) if resolve is not None and not literal else ()
    keys = address_keys(key, resolved)
    found = {(r.workspace_id, r.name): r for r in by_name}
    if keys:
        for registry in facts.registries_at_addresses(keys, ref.space, workspace_id):
            found.setdefault((registry.workspace_id, registry.name), registry)
    return list(found.values())


@functools.lru_cache(maxsize=4096)
def _key_parts(domain: str) -> tuple[str, str, str, bool]:
    """An image domain's registry key, its host and port, and whether the host is its own
    address (an IP literal or ``localhost``): worked out once per domain, not per decision.
    Domains are at most 255 characters (the reference grammar's limit)."""
    key = registry_key(domain)
    host, port = split_key(key)
    return key, host, port, is_ip_literal(key) or host == "localhost"


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


def _foreign(ctx: _Context, foreign_policy: str) -> Explanation:
    ref = ctx.ref
    assert ref is not None
    if foreign_policy == "deny":
        ctx.check(
            "registry",
            Q_REGISTRY,
            CheckStatus.FAIL,
            gettext(
                "%(registry)s is not an integrated registry, and this platform only allows "
                "images from integrated registries.",
                registry=ref.domain,
            ),
        )
        return ctx.finish(
            False,
            Reason.FOREIGN_DENIED,
            gettext(
                "%(registry)s is not an integrated registry; this platform only allows "
                "images from its Mirror Warehouse.",
                registry=ref.domain,
            ),
        )
    ctx.check(
        "registry",
        Q_REGISTRY,
        CheckStatus.SKIP,
        gettext(
            "%(registry)s is not an integrated registry; such images are allowed here.",
            registry=ref.domain,
        ),
    )
    return ctx.finish(
        True,
        Reason.FOREIGN_ALLOWED,
        gettext(
            "%(registry)s is not an integrated registry; images from it are allowed.",
            registry=ref.domain,
        ),
    )
