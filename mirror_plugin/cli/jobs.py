"""``flask mirror jobs run|work|rq-worker``: run background jobs outside the web workers.

``run`` empties the queue once (cron, or a one-off after an outage); ``work`` is a dedicated
worker process for platforms that set ``MIRROR_JOBS_POLL_INTERVAL = 0`` so their web workers
never run jobs; ``rq-worker`` serves the RQ backend. Any number of each may run beside the
embedded runners: claiming is safe.
"""

from __future__ import annotations

import time

import click
from flask import current_app

from mirror_plugin.cli.base import group, option
from mirror_plugin.i18n import _, ngettext
from mirror_plugin.i18n import lazy_gettext as _l
from mirror_plugin.services.jobs import run_pending
from mirror_plugin.state import session


@group("jobs", help=_l("Run queued background jobs (syncs)."))
def jobs_cli() -> None: ...


@jobs_cli.command("run", help=_l("Run every queued job once, then exit."))
def run_command() -> None:
    ran = run_pending()
    click.echo(ngettext("Ran %(num)s job.", "Ran %(num)s jobs.", ran))


@jobs_cli.command("work", help=_l("Run queued jobs until stopped (Ctrl-C, SIGTERM)."))
@option(
    "--interval",
    type=float,
    default=1.0,
    show_default=True,
    help=_l("Seconds between looks for queued jobs."),
)
def work_command(interval: float) -> None:
    current_app.logger.info("mirror jobs worker started")
    try:
        while True:
            try:
                run_pending()
            except Exception:  # noqa: BLE001 - a worker must outlive any single failure
                current_app.logger.exception("mirror_plugin job round failed")
                session().rollback()
            time.sleep(max(interval, 0.05))
    except KeyboardInterrupt:
        click.echo(_("Stopped."))


@jobs_cli.command(
    "rq-worker", help=_l('Run an RQ worker for MIRROR_JOBS_BACKEND = "rq" (needs pip install rq).')
)
@option("--burst", is_flag=True, help=_l("Exit once the queue is empty."))
def rq_worker_command(burst: bool) -> None:
    """Run an RQ worker for MIRROR_JOBS_BACKEND = "rq" (needs pip install rq)."""
    from mirror_plugin.services.jobs_rq import work

    work(burst=burst)


def register(mirror: click.Group) -> None:
    mirror.add_command(jobs_cli)
