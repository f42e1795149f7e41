"""The visibility rule, as a pure function over facts the caller looks up.

For a namespace N whose workspace is W (or none)::

    visible(N) = public spaces of every platform integration
               ∪ private spaces of platform integrations that are bound to W
               ∪ every space of every workspace warehouse of W

Nothing here touches the database, Flask or the network: :func:`judge` is handed a
:class:`Facts` lookup and returns a :class:`Verdict`, the rule's answer before any sentence is
written. The deploy hook turns it into a :class:`Decision` (one message); only when a person
asks why does :func:`mirror_plugin.services.faq.explanation` write the FAQ checks of the source
document (is the namespace in a workspace? is the space bound to it? is it public?) from the
same verdict. There is one rule, so a decision and its explanation cannot disagree, and the
hook, called thousands of times a second, does not pay for sentences nobody reads.
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
from typing import Any, NamedTuple, Protocol

from mirror_plugin.policy.hostkey import address_keys, is_ip_literal, registry_key, split_key
from mirror_plugin.policy.reference import ImageReference, InvalidReference, parse_reference

#: Answers a host name's addresses (``mirror_plugin.registry.resolver.CachedResolver.resolve``).
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


#: The reasons that allow an image; every other reason denies it.
ALLOWING = frozenset(
    {
        Reason.PUBLIC_SPACE,
        Reason.BOUND_TO_WORKSPACE,
        Reason.WORKSPACE_WAREHOUSE,
        Reason.FOREIGN_ALLOWED,
    }
)


class Verdict(NamedTuple):
    """What the rule found for one image and namespace, before any sentence is written.

    A tuple, not a dataclass: the hook builds one per decision, and nothing in it is more
    than the rule already looked up.
    """

    reason: Reason
    #: The image as shown in sentences (a repr, cut short, when it was not a string).
    image: str
    namespace: str
    workspace_id: str | None
    #: The workspace's display name for sentences ("" when the namespace has none).
    workspace_label: str
    ref: ImageReference | None
    #: The integrations the image's registry is for this namespace (platform ones and the
    #: namespace's own workspace's warehouses), in the order the facts gave them.
    candidates: Sequence[RegistryFacts] = ()
    #: The parser's sentence (invalid reference), the warehouse's name (workspace warehouse,
    #: unknown space) or the outage sentence (unavailable); "" otherwise.
    detail: str = ""


def judge(
    facts: Facts,
    *,
    image: object,
    namespace: str,
    namespace_known: bool,
    workspace_id: str | None,
    workspace_name: str | None = None,
    foreign_policy: str = "allow",
    resolve: Resolve | None = None,
) -> Verdict:
    """Apply the rule to one image for one namespace; never raises on bad input.

    ``workspace_name`` is the display name used in sentences; codes and ids stay stable.
    ``resolve`` answers a host name's addresses (cached and bounded by the caller); without
    it, host names match integrations by name and alias only.
    """
    shown = image if isinstance(image, str) else shorten(repr(image))
    label = workspace_name or workspace_id or ""
    try:
        ref = parse_reference(image)  # type: ignore[arg-type]
    except InvalidReference as exc:
        return Verdict(
            Reason.INVALID_REFERENCE, shown, namespace, workspace_id, label, None, (), str(exc)
        )
    if not namespace_known:
        return Verdict(Reason.UNKNOWN_NAMESPACE, shown, namespace, workspace_id, label, ref)
    found = integrations_for(facts, ref, workspace_id, resolve)
    candidates = [r for r in found if r.workspace_id is None or r.workspace_id == workspace_id]
    if not candidates:
        reason = Reason.FOREIGN_DENIED if foreign_policy == "deny" else Reason.FOREIGN_ALLOWED
        return Verdict(reason, shown, namespace, workspace_id, label, ref)
    reason, warehouse = _visibility(candidates, workspace_id)
    return Verdict(reason, shown, namespace, workspace_id, label, ref, candidates, warehouse)


def _visibility(
    candidates: Sequence[RegistryFacts], workspace_id: str | None
) -> tuple[Reason, str]:
    """The rule for an integrated registry, in one pass: public beats bound beats the
    workspace's own warehouse. Answers the reason and the warehouse a sentence names."""
    bound = False
    on_platform = False
    own: RegistryFacts | None = None
    readable: RegistryFacts | None = None
    for registry in candidates:
        space = registry.space
        if registry.workspace_id is None:
            on_platform = True
            if space is not None:
                if space.public:
                    return Reason.PUBLIC_SPACE, ""
                if workspace_id is not None and workspace_id in space.bound_workspaces:
                    bound = True
        else:
            own = own or registry
            if readable is None and space is not None:
                readable = registry
    if bound:
        return Reason.BOUND_TO_WORKSPACE, ""
    if readable is not None:
        return Reason.WORKSPACE_WAREHOUSE, readable.name
    if not on_platform:
        assert own is not None  # candidates is not empty
        return Reason.UNKNOWN_SPACE, own.name
    # From here the space is, for this namespace, neither public nor bound. Whether it is a
    # private space of another tenant or no space at all is deliberately not said: a user
    # learns only what the picker would show them.
    if workspace_id is None:
        return Reason.NAMESPACE_NOT_IN_WORKSPACE, ""
    return Reason.SPACE_NOT_BOUND, ""


def unavailable(image: object, namespace: str, message: str) -> Verdict:
    """The denial while the rule cannot be checked (database unreachable, snapshot stale)."""
    shown = image if isinstance(image, str) else shorten(repr(image))
    return Verdict(Reason.UNAVAILABLE, shown, namespace, None, "", None, (), message)


def shorten(text: str) -> str:
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
