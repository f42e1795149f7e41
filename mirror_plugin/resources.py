"""Where the templates and migrations are, installed or running from a checkout.

The design card keeps ``templates/`` and ``migrations/`` at the top of the checkout; setup.cfg
maps them into the wheel as ``mirror_plugin.templates`` and ``mirror_plugin.migrations``. An
editable install maps them to the folders of the checkout it was made from, which is wrong
for code imported from another checkout (a git worktree, ``python -m bench --compare``): so
code running from a checkout (``setup.cfg`` beside its ``mirror_plugin``) uses that checkout's
folders, and an installed package its own.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def _package_or_checkout(package: str, folder: str) -> Path:
    if (_CHECKOUT / "setup.cfg").is_file() and (_CHECKOUT / folder).is_dir():
        return _CHECKOUT / folder
    try:
        spec = importlib.util.find_spec(package)
    except ModuleNotFoundError:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    path = _CHECKOUT / folder
    if not path.is_dir():
        raise RuntimeError(
            f"mirror_plugin cannot find its {folder!r} folder: neither the {package!r} package "
            f"nor {path} exists. Reinstall the package (pip install mirror_plugin)."
        )
    return path


def static_dir() -> Path:
    """The scripts and stylesheets: always inside the package, beside this module."""
    return Path(__file__).resolve().parent / "static"


def templates_dir() -> Path:
    return _package_or_checkout("mirror_plugin.templates", "templates")


def migrations_dir() -> Path:
    return _package_or_checkout("mirror_plugin.migrations", "migrations")
