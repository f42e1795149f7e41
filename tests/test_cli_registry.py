"""Operators' commands against the real Docker Registry."""

from __future__ import annotations

from flask import Flask

from mirror_plugin.models import Integration, Space

from .factories import session
from .registries import PASSWORD, USERNAME, RunningRegistry


def test_registry_add_list_test_sync_remove(app: Flask, registry_basic: RunningRegistry) -> None:
    registry_basic.push("clispace/app", "1")
    runner = app.test_cli_runner()
    added = runner.invoke(
        args=[
            "mirror",
            "registry",
            "add",
            "ops",
            registry_basic.url,
            "--kind",
            "docker",
            "--username",
            USERNAME,
            "--password-env",
            "REG_PASSWORD",
        ],
        env={"REG_PASSWORD": PASSWORD},
    )
    assert added.exit_code == 0, added.output
    assert "Connected ops" in added.output and "clispace" not in added.output
    assert session().query(Space).filter_by(name="clispace").count() == 1

    listed = runner.invoke(args=["mirror", "registry", "list"])
    assert "ops\tdocker" in listed.output and "healthy" in listed.output
    assert PASSWORD not in listed.output

    assert runner.invoke(args=["mirror", "registry", "test", "ops"]).exit_code == 0
    synced = runner.invoke(args=["mirror", "sync", "--registry", "ops"])
    assert synced.exit_code == 0 and "ops:" in synced.output

    removed = runner.invoke(args=["mirror", "registry", "remove", "ops", "--yes"])
    assert removed.exit_code == 0 and session().query(Integration).count() == 0


def test_password_from_stdin_and_bad_password(app: Flask, registry_basic: RunningRegistry) -> None:
    runner = app.test_cli_runner()
    args = [
        "mirror",
        "registry",
        "add",
        "viastdin",
        registry_basic.url,
        "--kind",
        "docker",
        "--username",
        USERNAME,
        "--password-stdin",
        "--no-sync",
    ]
    bad = runner.invoke(args=args, input="wrong\n")
    assert bad.exit_code == 1 and "password:" in bad.output
    good = runner.invoke(args=args, input=PASSWORD + "\n")
    assert good.exit_code == 0, good.output
    assert session().query(Integration).filter_by(name="viastdin").one().username == USERNAME


def test_unknown_registry_and_failed_sync_exit_nonzero(
    app: Flask, registry_open: RunningRegistry
) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["mirror", "registry", "test", "nope"]).exit_code == 1
    runner.invoke(
        args=[
            "mirror",
            "registry",
            "add",
            "down",
            registry_open.url,
            "--kind",
            "docker",
            "--no-sync",
        ]
    )
    row = session().query(Integration).filter_by(name="down").one()
    row.url = "http://127.0.0.1:9"
    session().commit()
    failed = runner.invoke(args=["mirror", "sync"])
    assert failed.exit_code == 1 and "could not be reached" in failed.output


def test_health_round_records_status_without_a_request(
    app: Flask, registry_open: RunningRegistry
) -> None:
    runner = app.test_cli_runner()
    runner.invoke(
        args=["mirror", "registry", "add", "up", registry_open.url, "--kind", "docker", "--no-sync"]
    )
    runner.invoke(
        args=[
            "mirror",
            "registry",
            "add",
            "flaky",
            registry_open.url,
            "--kind",
            "docker",
            "--no-sync",
            # A second platform integration of the same registry is refused: a workspace's.
            "--workspace",
            "ws-a",
        ]
    )
    flaky = session().query(Integration).filter_by(name="flaky").one()
    flaky.url = "http://127.0.0.1:9"
    session().commit()
    result = runner.invoke(args=["mirror", "health"])
    assert result.exit_code == 1
    assert "up\thealthy" in result.output and "flaky\tunhealthy" in result.output
    session().expire_all()
    flaky = session().query(Integration).filter_by(name="flaky").one()
    assert flaky.health == "unhealthy" and flaky.last_checked_at is not None


def test_monitor_thread_runs_in_the_background(app: Flask) -> None:
    monitor = app.extensions["mirror_plugin"].health
    app.config["MIRROR_HEALTH_INTERVAL"] = 0.05
    monitor.start_once()
    try:
        assert monitor.thread is not None and monitor.thread.is_alive()
        first = monitor.thread
        monitor.start_once()
        assert monitor.thread is first  # one thread per process
    finally:
        monitor.stop()
    assert not monitor.thread.is_alive()
