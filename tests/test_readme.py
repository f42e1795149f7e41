"""The README documents every configuration key with its real default, and its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

from mirror_plugin.config import DEFAULTS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_config_key_is_documented_with_its_default() -> None:
    rows = dict(re.findall(r"^\| `(MIRROR_[A-Z_]+)` \| `([^`]*)` \|", README, re.MULTILINE))
    assert set(rows) == set(DEFAULTS)
    for key, default in DEFAULTS.items():
        assert rows[key] == str(default), key


def test_readme_starts_with_the_two_commands() -> None:
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split()[0:2] for line in first_block.strip().splitlines()] == [
        ["make", "demo"],
        ["make", "test"],
    ]


def test_documented_cli_commands_exist(app: Flask) -> None:
    group = app.cli.commands["mirror"]
    for command in re.findall(r"`flask mirror ([a-z]+)", README):
        assert command in group.commands, command  # type: ignore[attr-defined]
