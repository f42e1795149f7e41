"""Registered clusters: their bearer tokens, settings and decision counters.

A cluster's API server is the only caller of its webhook URL. The token is random (256 bits
from :func:`secrets.token_urlsafe`), shown once by ``flask mirror cluster add|rotate`` and
stored as its sha256: a stolen database does not let anyone call the webhook, and a fast hash
is safe for a random secret (slow hashes are for passwords people choose).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import ServiceUnavailable

from mirror_plugin.i18n import N_, _
from mirror_plugin.models import Cluster, utcnow
from mirror_plugin.services.dbfaults import UNAVAILABLE_MESSAGE, RuleUnavailable
from mirror_plugin.state import mirror_state

MODES = ("warn", "enforce")
FAILURE_POLICIES = ("Fail", "Ignore")
DEFAULT_EXEMPT = ["kube-system", "kube-public", "kube-node-lease"]
OUTCOMES = ("allowed", "denied", "warned")
#: A DNS label (RFC 1123): what Kubernetes allows for namespace names, and safe in a URL path.
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
#: Compared against when a cluster does not exist, so both failures take the same time.
_NO_CLUSTER_HASH = hashlib.sha256(b"no such cluster").hexdigest()


class ClusterError(ValueError):
    """Bad input for a cluster command; the text says what to fix."""


@dataclass(frozen=True, slots=True)
class Issued:
    """A cluster and its new token (the only time the token exists outside the API server)."""

    cluster: Cluster
    token: str


def session() -> Any:
    return mirror_state().db.session


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _name(value: str, what: str = N_("The cluster name")) -> str:
    if not DNS_LABEL.fullmatch(value or ""):
        raise ClusterError(
            _(
                "%(what)s %(value)r must be a DNS label: lower-case letters, digits and '-', "
                "starting and ending with a letter or digit, at most 63 characters.",
                what=_(what),
                value=value,
            )
        )
    return value


def _url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise ClusterError(
            _(
                "--url %(value)r must be the console's https:// address as the API server "
                "reaches it (Kubernetes calls webhooks over HTTPS only).",
                value=value,
            )
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ClusterError(_("--url must have no query, fragment or user name."))
    return value.strip().rstrip("/")


def _settings(
    *,
    mode: str,
    exempt: list[str] | None,
    failure_policy: str,
    timeout: int,
    ca_bundle: str,
) -> dict[str, Any]:
    if mode not in MODES:
        raise ClusterError(_("--mode must be 'warn' or 'enforce', not %(mode)r.", mode=mode))
    if failure_policy not in FAILURE_POLICIES:
        raise ClusterError(
            _("--failure-policy must be 'Fail' or 'Ignore', not %(policy)r.", policy=failure_policy)
        )
    if not 1 <= timeout <= 30:
        raise ClusterError(
            _(
                "--timeout must be 1 to 30 seconds (Kubernetes' range), not %(timeout)s.",
                timeout=timeout,
            )
        )
    namespaces = list(DEFAULT_EXEMPT if exempt is None else exempt)
    for namespace in namespaces:
        _name(namespace, N_("The exempt namespace"))
    return {
        "mode": mode,
        "exempt_namespaces": sorted(set(namespaces)),
        "failure_policy": failure_policy,
        "timeout_seconds": timeout,
        "ca_bundle": ca_bundle,
    }


def get(name: str) -> Cluster | None:
    return session().scalar(select(Cluster).where(Cluster.name == name))  # type: ignore[no-any-return]


def require(name: str) -> Cluster:
    cluster = get(name)
    if cluster is None:
        raise ClusterError(
            _("No cluster %(name)r; `flask mirror cluster list` shows them.", name=name)
        )
    return cluster


def all_clusters() -> list[Cluster]:
    return list(session().scalars(select(Cluster).order_by(Cluster.name)))


def add(
    name: str,
    url: str,
    *,
    mode: str = "enforce",
    exempt: list[str] | None = None,
    failure_policy: str = "Fail",
    timeout: int = 5,
    ca_bundle: str = "",
    mutate: bool = False,
) -> Issued:
    """Register a cluster and mint its token (``mutate``: also the mutating webhook)."""
    _name(name)
    if get(name) is not None:
        raise ClusterError(
            _(
                "A cluster %(name)r exists; `%(command)s` gives a new token.",
                name=name,
                command=f"cluster rotate {name}",
            )
        )
    token = secrets.token_urlsafe(32)
    cluster = Cluster(
        name=name,
        url=_url(url),
        token_hash=hash_token(token),
        **_settings(
            mode=mode,
            exempt=exempt,
            failure_policy=failure_policy,
            timeout=timeout,
            ca_bundle=ca_bundle,
        ),
        mutate=mutate,
    )
    session().add(cluster)
    session().commit()
    _forget()
    return Issued(cluster, token)


def rotate(name: str) -> Issued:
    """A new token; the old one stops working at once."""
    cluster = require(name)
    token = secrets.token_urlsafe(32)
    cluster.token_hash = hash_token(token)
    cluster.rotated_at = utcnow()
    session().commit()
    _forget()
    return Issued(cluster, token)


def remove(name: str) -> None:
    session().delete(require(name))
    session().commit()
    _forget()


@dataclass(frozen=True, slots=True)
class Caller:
    """What the webhook needs of a cluster, as this worker last read it."""

    id: int
    name: str
    token_hash: str
    mode: str
    exempt_namespaces: frozenset[str]
    mutate: bool = False


def _cluster_rows() -> list[Any]:
    """Every cluster's row; a connection the server dropped is retried once on a new one."""
    columns = (Cluster.id, Cluster.name, Cluster.token_hash, Cluster.mode, Cluster.mutate)
    query = select(*columns, Cluster.exempt_namespaces)
    try:
        return list(session().execute(query).all())
    except DBAPIError as error:
        session().rollback()
        if not error.connection_invalidated:
            raise
        return list(session().execute(query).all())


def _callers() -> dict[str, Caller]:
    """Every cluster, as this worker last read them; re-read when the rule generation moved.

    A query per review cost more than the seven decisions of a Deployment, and a re-read on
    a timer still put one on the API server's path several times a second per worker. The
    rule snapshot already checks the generation counter at most every
    ``MIRROR_RULE_REFRESH_SECONDS`` (at once after a commit in this process), and database
    triggers bump it whenever a cluster is added, removed, rotated or reconfigured by any
    process (migration 0008), so that interval bounds how long an old token keeps working
    elsewhere, and between changes a review asks the database nothing. While the database
    is unreachable the snapshot is used for ``MIRROR_RULE_STALE_SECONDS`` and so are these
    clusters; past that a review gets 503 and the cluster's ``failurePolicy`` applies.
    """
    state = mirror_state()
    try:
        state.rules.facts(state.db, state.host)
    except RuleUnavailable:
        raise ServiceUnavailable(UNAVAILABLE_MESSAGE) from None
    generation = state.rules.generation
    cached = state.extras.get("admission_callers")
    if cached is None or cached[0] != generation:
        callers = {
            row.name: Caller(
                row.id, row.name, row.token_hash, row.mode, frozenset(row[5]), bool(row.mutate)
            )
            for row in _cluster_rows()
        }
        cached = state.extras["admission_callers"] = (generation, callers)
    return cached[1]


def _forget() -> None:
    mirror_state().extras.pop("admission_callers", None)


def set_mode(name: str, mode: str) -> Cluster:
    """Switch a cluster between ``warn`` and ``enforce`` (same token, same configuration)."""
    if mode not in MODES:
        raise ClusterError(_("The mode must be 'warn' or 'enforce', not %(mode)r.", mode=mode))
    cluster = require(name)
    cluster.mode = mode
    session().commit()
    _forget()
    return cluster


def set_mutate(name: str, mutate: bool) -> Cluster:
    """Turn the cluster's mutating webhook on or off (its configuration must be re-applied)."""
    cluster = require(name)
    cluster.mutate = mutate
    session().commit()
    _forget()
    return cluster


def authenticate(name: str, authorization: str | None) -> Caller | None:
    """The cluster whose token ``authorization`` (``Bearer <token>``) carries, else ``None``.

    An unknown cluster and a wrong token take the same path and the same time.
    """
    scheme, _, token = (authorization or "").partition(" ")
    cluster = _callers().get(name)
    expected = cluster.token_hash if cluster is not None else _NO_CLUSTER_HASH
    given = hash_token(token.strip()) if scheme.lower() == "bearer" else ""
    if hmac.compare_digest(expected, given) and cluster is not None:
        return cluster
    return None


class Counts:
    """Decisions counted in this worker and not yet added to the database.

    Writing a counter on every review would put a commit (an fsync) on the API server's
    path for every Pod; instead each worker adds its counts to the shared row at most every
    ``MIRROR_ADMISSION_COUNT_SECONDS`` (0: on every review), in the transaction of the next
    review past that time (denials commit their audit event anyway).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: Counter[tuple[int, str]] = Counter()
        self.flushed = time.monotonic()

    def add(self, cluster_id: int, outcome: str, interval: float) -> dict[tuple[int, str], int]:
        """Count one decision; the counts due for the database now (empty: not yet)."""
        with self.lock:
            self.pending[cluster_id, outcome] += 1
            now = time.monotonic()
            if now - self.flushed < interval:
                return {}
            due, self.pending, self.flushed = dict(self.pending), Counter(), now
            return due


def count(cluster: Caller, outcome: str) -> bool:
    """Count a decision (see :class:`Counts`); True when counts were written to the session."""
    extras = mirror_state().extras
    counts: Counts = extras.setdefault("admission_counts", Counts())
    due = counts.add(
        cluster.id, outcome, float(current_app.config["MIRROR_ADMISSION_COUNT_SECONDS"])
    )
    for (cluster_id, kind), n in due.items():
        column = getattr(Cluster, f"{kind}_count")
        session().execute(
            update(Cluster).where(Cluster.id == cluster_id).values({column: column + n})
        )
    return bool(due)
