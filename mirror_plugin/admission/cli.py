"""``flask mirror cluster add|list|rotate|remove|config``: clusters that ask the webhook.

``add`` and ``rotate`` print the cluster's token once, inside the kubeconfig the API server
reads (stdout carries only the YAML, so it can be redirected to a file); ``config`` prints
the same files again with a placeholder where the token goes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from mirror_plugin.admission import clusters, manifests
from mirror_plugin.cli.base import option
from mirror_plugin.i18n import _
from mirror_plugin.i18n import lazy_gettext as _l

cluster_cli = click.Group(
    "cluster", help=_l("Kubernetes clusters whose API server asks the admission webhook.")
)


@contextmanager
def _cluster_errors(*more: type[Exception]) -> Iterator[None]:
    """A cluster command's bad input (:class:`clusters.ClusterError`, and ``more``) ends it
    the click way: its sentence on stderr, exit status 1, no traceback."""
    errors: tuple[type[Exception], ...] = (clusters.ClusterError, *more)
    try:
        yield
    except errors as exc:
        raise click.ClickException(str(exc)) from None


@cluster_cli.command(
    "add", help=_l("Register cluster NAME: print its token and webhook configuration.")
)
@click.argument("name")
@option("--url", required=True, help=_l("The console's https:// address seen from the cluster."))
@option("--mode", type=click.Choice(clusters.MODES), default="enforce", show_default=True)
@option(
    "--exempt",
    multiple=True,
    metavar="NAMESPACE",
    help=_l(
        "A namespace answered allowed without a decision (repeatable; default: %(namespaces)s).",
        namespaces=", ".join(clusters.DEFAULT_EXEMPT),
    ),
)
@option("--ca-bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@option(
    "--failure-policy",
    type=click.Choice(clusters.FAILURE_POLICIES),
    default="Fail",
    show_default=True,
)
@option("--timeout", type=int, default=5, show_default=True, help=_l("Seconds, 1-30."))
@option(
    "--mutate",
    type=click.Choice(["on", "off"]),
    default="off",
    show_default=True,
    help=_l("Also a mutating webhook adding the namespace's pull secret to new Pods."),
)
def add_command(
    name: str,
    url: str,
    mode: str,
    exempt: tuple[str, ...],
    ca_bundle: Path | None,
    failure_policy: str,
    timeout: int,
    mutate: str,
) -> None:
    with _cluster_errors(ValueError):
        bundle = manifests.ca_bundle_from_pem(ca_bundle.read_bytes()) if ca_bundle else ""
        issued = clusters.add(
            name,
            url,
            mode=mode,
            exempt=list(exempt) if exempt else None,
            failure_policy=failure_policy,
            timeout=timeout,
            ca_bundle=bundle,
            mutate=mutate == "on",
        )
    click.echo(
        _(
            "Cluster %(name)r registered (%(mode)s). Its token is in the kubeconfig below (3.) "
            "and is shown only this once.",
            name=name,
            mode=mode,
        ),
        err=True,
    )
    click.echo(manifests.render(issued.cluster, issued.token), nl=False)


@cluster_cli.command(
    "list", help=_l("List clusters with their mode, exempt namespaces and decision counts.")
)
def list_command() -> None:
    rows = clusters.all_clusters()
    for cluster in rows:
        click.echo(
            f"{cluster.name}\t{cluster.mode}\t{manifests.endpoint(cluster)}\t"
            f"exempt: {', '.join(cluster.exempt_namespaces) or 'none'}\t"
            f"allowed {cluster.allowed_count}, denied {cluster.denied_count}, "
            f"warned {cluster.warned_count}\tmutate {'on' if cluster.mutate else 'off'}\t"
            f"rotated {cluster.rotated_at:%Y-%m-%d %H:%M}"
        )
    if not rows:
        click.echo(_("No clusters (flask mirror cluster add NAME --url https://...)."))


@cluster_cli.command(
    "mode", help=_l("Switch NAME to MODE: warn (allowed with warnings) or enforce (refused).")
)
@click.argument("name")
@click.argument("mode", type=click.Choice(clusters.MODES))
def mode_command(name: str, mode: str) -> None:
    with _cluster_errors():
        clusters.set_mode(name, mode)
    click.echo(_("Cluster %(name)r is in %(mode)s mode.", name=name, mode=mode))


@cluster_cli.command(
    "mutate", help=_l("Turn NAME's mutating webhook (pull secrets added to new Pods) on or off.")
)
@click.argument("name")
@click.argument("state", type=click.Choice(["on", "off"]))
def mutate_command(name: str, state: str) -> None:
    with _cluster_errors():
        clusters.set_mutate(name, state == "on")
    if state == "on":
        click.echo(
            _(
                "Mutating webhook of %(name)r is on. Apply its configuration and update the "
                "API server's admission configuration: %(command)s",
                name=name,
                command=f"flask mirror cluster config {name}",
            )
        )
    else:
        click.echo(
            _(
                "Mutating webhook of %(name)r is off (it now adds nothing). Remove it from the "
                "cluster: %(command)s",
                name=name,
                command=f"kubectl delete mutatingwebhookconfiguration mirror-plugin-{name}",
            )
        )


@cluster_cli.command(
    "rotate", help=_l("Issue a new token for NAME (the old one stops working at once).")
)
@click.argument("name")
def rotate_command(name: str) -> None:
    with _cluster_errors():
        issued = clusters.rotate(name)
    click.echo(
        _(
            "New token for %(name)r in the kubeconfig below (3.), shown only this once; the old "
            "one no longer works.",
            name=name,
        ),
        err=True,
    )
    click.echo(manifests.to_yaml(manifests.kubeconfig(issued.cluster, issued.token)), nl=False)


@cluster_cli.command(
    "remove",
    help=_l("Forget cluster NAME (delete its webhook configuration from the cluster first)."),
)
@click.argument("name")
def remove_command(name: str) -> None:
    with _cluster_errors():
        mutating = clusters.require(name).mutate
        clusters.remove(name)
    kinds = "validatingwebhookconfiguration" + (",mutatingwebhookconfiguration" if mutating else "")
    click.echo(
        _(
            "Removed %(name)r. Its token no longer works: with failurePolicy Fail the cluster "
            "refuses workloads until you run: %(command)s",
            name=name,
            command=f"kubectl delete {kinds} mirror-plugin-{name}",
        )
    )


@cluster_cli.command(
    "config",
    help=_l("Print NAME's webhook configuration again (the token is not stored: a placeholder)."),
)
@click.argument("name")
def config_command(name: str) -> None:
    with _cluster_errors():
        cluster = clusters.require(name)
    click.echo(manifests.render(cluster, None), nl=False)


def register(mirror: click.Group) -> None:
    mirror.add_command(cluster_cli)
