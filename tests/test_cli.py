"""``flask mirror check``: the deploy hook for scripts and admission tooling."""

from __future__ import annotations

import json

from flask import Flask

from .factories import integration, session, space


def test_check_exit_codes(app: Flask) -> None:
    harbor = integration("harbor", "https://harbor.example.com")
    space(harbor, "secret", bound=("ws-a",))
    session().commit()
    runner = app.test_cli_runner()

    allowed = runner.invoke(args=["mirror", "check", "prod/a-web", "harbor.example.com/secret/x:1"])
    assert allowed.exit_code == 0
    assert allowed.output.startswith("allowed (bound_to_workspace)")

    denied = runner.invoke(args=["mirror", "check", "prod/b-api", "harbor.example.com/secret/x:1"])
    assert denied.exit_code == 1
    assert "denied (space_not_bound)" in denied.output and "Team B" in denied.output

    bad = runner.invoke(args=["mirror", "check", "prod/b-api", "Not An Image"])
    assert bad.exit_code == 2 and "invalid_reference" in bad.output

    unknown = runner.invoke(args=["mirror", "check", "nope/nope", "nginx"])
    assert unknown.exit_code == 2 and "unknown_namespace" in unknown.output

    as_json = runner.invoke(
        args=["mirror", "check", "--json", "dev/sandbox", "harbor.example.com/secret/x:1"]
    )
    assert as_json.exit_code == 1
    assert json.loads(as_json.output)["reason"] == "namespace_not_in_workspace"
