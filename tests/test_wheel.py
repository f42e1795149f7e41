"""The built wheel carries templates and migrations, and works outside the source tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SMOKE = textwrap.dedent(
    """
    import mirror_plugin, pathlib, sys
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy
    from mirror_plugin import MirrorPlugin, dbmigrate
    from mirror_plugin.resources import migrations_dir, templates_dir
    from mirror_plugin.testing import FakeHostAdapter

    assert "site-packages" in mirror_plugin.__file__, mirror_plugin.__file__
    assert "site-packages" in str(templates_dir()) and "site-packages" in str(migrations_dir())
    app = Flask("wheel_host")
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + sys.argv[1]
    from cryptography.fernet import Fernet
    app.config["MIRROR_SECRET_KEYS"] = [Fernet.generate_key().decode()]
    SQLAlchemy(app)
    adapter = FakeHostAdapter(platform_admins={"root"})
    adapter.login("root")
    MirrorPlugin(app, host=adapter)
    with app.app_context():
        dbmigrate.upgrade()
        ok, sentence = dbmigrate.check()
        assert ok, sentence
        page = app.test_client().get("/mirror/")
        assert page.status_code == 200 and "Mirror Warehouse" in page.get_data(as_text=True)
        css = app.test_client().get("/mirror/static/mirror_plugin/mirror.css")
        assert css.status_code == 200
        # The picker's entry module: a browser runs a module only if it comes as JavaScript.
        entry = app.test_client().get("/mirror/static/mirror_plugin/picker/main.js")
        assert entry.status_code == 200, entry.status_code
        assert entry.mimetype in ("text/javascript", "application/javascript"), entry.mimetype
        # The catalogues ship as .po and are compiled in memory: Chinese works from the wheel.
        chinese = app.test_client().get("/mirror/", headers={"Accept-Language": "zh-CN"})
        text = chinese.get_data(as_text=True)
        assert '<html lang="zh-Hans">' in text and "仓库集成" in text and "使用摘要" in text
    print("WHEEL OK")
    """
)


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    shutil.rmtree(ROOT / "build", ignore_errors=True)  # a stale build/lib would leak old files
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = dist.glob("mirror_plugin-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "mirror_plugin/templates/mirror_plugin/index.html" in names
    assert "mirror_plugin/migrations/env.py" in names
    assert "mirror_plugin/migrations/script.py.mako" in names
    assert any(n.startswith("mirror_plugin/migrations/versions/0001") for n in names)
    # setup.cfg lists every sub-package; one left out is missing from the wheel.
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "mirror_plugin").rglob("*.py")}
    assert sorted(modules - set(names)) == []
    assert "mirror_plugin/static/mirror_plugin/mirror.css" in names
    assert "mirror_plugin/static/mirror_plugin/i18n.js" in names
    # Every module of the picker (the entry imports the others): one missing breaks it all.
    modules = sorted((ROOT / "mirror_plugin/static/mirror_plugin/picker").glob("*.js"))
    assert len(modules) > 1
    for module in modules:
        assert f"mirror_plugin/static/mirror_plugin/picker/{module.name}" in names
    for domain in ("mirror_plugin", "mirror_plugin_js"):
        assert f"mirror_plugin/translations/zh_Hans/LC_MESSAGES/{domain}.po" in names

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    # Dependencies come from the running interpreter's environment via a path file, so the
    # test needs no network; the plugin itself comes only from the wheel.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    deps = [p for p in sys.path if p.endswith("site-packages")]
    Path(site, "host_deps.pth").write_text("\n".join(deps) + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    script = tmp_path / "smoke.py"
    script.write_text(SMOKE)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [str(python), str(script), str(tmp_path / "wheel.db")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "WHEEL OK" in result.stdout
