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
    # Who shows flash messages (a change saved, a sync's result): False, the host's layout,
    # as Flask layouts usually do (the plugin leaves them to it, so each shows once); True,
    # the plugin, at the top of its pages, for a host layout that shows none. The bundled
    # stand-alone layout always has the plugin show them.
    "MIRROR_RENDER_FLASHES": False,
    # Name of the ``flask`` command group (``flask mirror ...``).
    "MIRROR_CLI_GROUP": "mirror",
    # What check_image answers for images of registries nobody integrated:
    # "allow" (the console lets users type any image) or "deny" (locked-down platforms).
    "MIRROR_FOREIGN_IMAGES": "allow",
    # How the rule resolves host names of images to compare with the addresses integrations
    # recorded: seconds an answer is kept (failures a fifth of it), seconds a lookup may take,
    # and how many names are remembered.
    "MIRROR_RESOLVER_TTL": 60.0,
    "MIRROR_RESOLVER_TIMEOUT": 1.0,
    "MIRROR_RESOLVER_CACHE_SIZE": 4096,
    # Alembic version table of the plugin's own migration chain (never the host's).
    "MIRROR_VERSION_TABLE": "alembic_version_mirror_plugin",
    # Seconds allowed for connecting to and reading from a registry (each connect, each read).
    "MIRROR_REGISTRY_TIMEOUT": 10.0,
    # Seconds one registry request may take in total, retries, redirects and a slowly
    # trickled body included; also the total for one conversation outside a sync (a "Test
    # connection", a save's credential check, a picker refresh).
    "MIRROR_REGISTRY_DEADLINE": 30.0,
    # Seconds one sync of one registry may take in total; past it the sync stops and
    # changes nothing.
    "MIRROR_SYNC_DEADLINE": 300.0,
    # List pages (Harbor pages, Docker Registry ``Link`` pages) one sync may fetch; more
    # stops the sync with a message naming this key, and changes nothing.
    "MIRROR_SYNC_MAX_PAGES": 20000,
    # Spaces (Harbor projects) one sync may bring in; more stops the sync, changing nothing.
    "MIRROR_SYNC_MAX_SPACES": 10000,
    # Repositories one sync may bring in; more stops the sync, changing nothing.
    "MIRROR_SYNC_MAX_REPOSITORIES": 100000,
    # Networks registry URLs may point into although they are private, loopback or
    # link-local: CIDRs, each optionally limited to ports ("10.0.0.0/8:443,5000-5010",
    # "[fd00::5]:443"). Empty: only public addresses are accepted.
    "MIRROR_ALLOWED_NETWORKS": [],
    # The same for workspace warehouses, which Workspace Admins point anywhere (usually a
    # narrower list). None: MIRROR_ALLOWED_NETWORKS applies to them too.
    "MIRROR_WORKSPACE_ALLOWED_NETWORKS": None,
    # Seconds a worker's in-memory rule snapshot may go without checking the database for
    # changes made elsewhere (other workers, tools): the bound on revocation across processes.
    "MIRROR_RULE_REFRESH_SECONDS": 0.5,
    # Seconds the picker serves a repository's cached tags before asking the registry again.
    "MIRROR_CATALOGUE_TTL": 300,
    # Space-workspace pairs one bind/unbind request may change (spaces x workspaces).
    "MIRROR_MAX_BINDING_PAIRS": 20000,
    # Registry requests a sync runs at once (Harbor lists repositories project by project).
    "MIRROR_SYNC_WORKERS": 8,
    # "Test connection" calls one user may make per minute (per worker process).
    "MIRROR_TEST_CONNECTION_PER_MINUTE": 10,
    # Seconds between background health checks of every integration (0 turns them off).
    "MIRROR_HEALTH_INTERVAL": 300,
    # Content-Security-Policy of the plugin's responses ("" leaves it to the host). Pages and
    # the Select Image widget load scripts and styles from static files only.
    "MIRROR_CONTENT_SECURITY_POLICY": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    # Largest request body (bytes) the plugin's own routes read; bigger ones get 413 before
    # any parsing. The host's MAX_CONTENT_LENGTH still applies when it is smaller, and host
    # routes keep theirs.
    "MIRROR_MAX_REQUEST_BYTES": 1024 * 1024,
    # Images one POST /api/filter call may check (more: 422). Each decision costs a parse.
    "MIRROR_FILTER_MAX_IMAGES": 1000,
    # Fernet keys (urlsafe base64, newest first) that encrypt registry passwords at rest.
    "MIRROR_SECRET_KEYS": [],
}

FOREIGN_IMAGE_POLICIES = ("allow", "deny")
