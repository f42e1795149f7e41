"""Every ``MIRROR_*`` configuration key the plugin reads, with its default.

``MirrorPlugin.init_app`` applies these with ``app.config.setdefault`` (the Flask-SQLAlchemy
habit), so the effective configuration is always visible in ``app.config``. The README's
configuration table is this dict, key for key.
"""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    # Where the plugin's pages and JSON API are mounted.
    "MIRROR_URL_PREFIX": "/mirror",
    # The host's layout template every plugin page extends. It must define the blocks
    # ``title``, ``head`` and ``content``. The bundled one is a minimal stand-alone layout.
    "MIRROR_BASE_TEMPLATE": "mirror_plugin/base.html",
    # Name of the ``flask`` command group (``flask mirror ...``).
    "MIRROR_CLI_GROUP": "mirror",
    # What check_image answers for images of registries nobody integrated:
    # "allow" (the console lets users type any image) or "deny" (locked-down platforms).
    "MIRROR_FOREIGN_IMAGES": "allow",
    # Alembic version table of the plugin's own migration chain (never the host's).
    "MIRROR_VERSION_TABLE": "alembic_version_mirror_plugin",
    # Seconds allowed for connecting to and reading from a registry.
    "MIRROR_REGISTRY_TIMEOUT": 10.0,
    # Networks (CIDR strings) registry URLs may point into although they are private,
    # loopback or link-local. Empty: only public addresses are accepted.
    "MIRROR_ALLOWED_NETWORKS": [],
    # Seconds a worker's in-memory rule snapshot may go without checking the database for
    # changes made elsewhere (other workers, tools): the bound on revocation across processes.
    "MIRROR_RULE_REFRESH_SECONDS": 0.5,
    # Seconds the picker serves a repository's cached tags before asking the registry again.
    "MIRROR_CATALOGUE_TTL": 300,
    # Space-workspace pairs one bind/unbind request may change (spaces x workspaces).
    "MIRROR_MAX_BINDING_PAIRS": 20000,
    # Registry requests a sync runs at once (Harbor lists repositories project by project).
    "MIRROR_SYNC_WORKERS": 8,
    # Calls that make the server contact a registry (test connection, create, edit, sync,
    # the picker's refresh and tag fetch, space create/delete/flip) one user may make per
    # minute, counted in MIRROR_RATELIMIT_STORAGE_URI.
    "MIRROR_REGISTRY_CALLS_PER_MINUTE": 30,
    # "Test connection" calls one user may make per minute (they also count as registry calls).
    "MIRROR_TEST_CONNECTION_PER_MINUTE": 10,
    # Flask-Limiter storage for those counts: "memory://" counts per process; point every
    # worker at one Redis ("redis://127.0.0.1:6379") for a limit that holds across them.
    "MIRROR_RATELIMIT_STORAGE_URI": "memory://",
    # Prefix of the limiter's keys in that storage (separates consoles sharing one Redis).
    "MIRROR_RATELIMIT_KEY_PREFIX": "mirror_plugin",
    # Seconds between background health checks of every integration (0 turns them off).
    "MIRROR_HEALTH_INTERVAL": 300,
    # Content-Security-Policy of the plugin's responses ("" leaves it to the host). Pages and
    # the Select Image widget load scripts and styles from static files only.
    "MIRROR_CONTENT_SECURITY_POLICY": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    # Fernet keys (urlsafe base64, newest first) that encrypt registry passwords at rest.
    "MIRROR_SECRET_KEYS": [],
}

FOREIGN_IMAGE_POLICIES = ("allow", "deny")
