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
    # Seconds a worker keeps deciding from its last rule snapshot while the database cannot
    # be reached (counted from the snapshot's last successful check); past it check_image
    # denies with reason "unavailable" until the database answers again.
    "MIRROR_RULE_STALE_SECONDS": 30.0,
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
    # Background work that asks every registry (the health probes, the pull worker's drift
    # check) runs in one process of the whole deployment, the holder of a lease in the
    # database. The holder renews it at each round; this many seconds after a round it
    # missed (it died, it hangs), another process takes the lease and the work over. Keep it
    # above the time a busy worker may lag behind its schedule, and the replicas' clocks
    # within it of each other.
    "MIRROR_LEADER_GRACE_SECONDS": 30.0,
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
    # Largest AdmissionReview (bytes) the admission webhook reads; more is a 400. A review
    # carries the object and, on UPDATE, its old version (etcd stores objects up to 1.5 MiB).
    "MIRROR_ADMISSION_MAX_REQUEST_BYTES": 6 * 1024 * 1024,
    # Seconds a worker keeps admission decision counts in memory before adding them to the
    # cluster's row (0: every review commits its count; denials are audited at once anyway).
    "MIRROR_ADMISSION_COUNT_SECONDS": 5.0,
    # Name of the Kubernetes Secret mirror.pull_secret(), ``flask mirror pull-secret`` and the
    # cluster agent endpoint render (type kubernetes.io/dockerconfigjson), and the name the
    # mutating webhook adds to a Pod's imagePullSecrets.
    "MIRROR_PULL_SECRET_NAME": "mirror-pull",
    # Days a pull robot lives in Harbor (Harbor's duration; -1: never expires). The
    # reconciler replaces a robot before it expires.
    "MIRROR_PULL_ROBOT_DAYS": 90,
    # Days after which a pull robot's secret is refreshed by the reconciler (0: only on
    # demand, ``flask mirror pull rotate``).
    "MIRROR_PULL_ROTATE_DAYS": 30,
    # Seconds between background rounds applying queued robot changes (0: off; run
    # ``flask mirror pull reconcile`` from cron instead). Off while app.testing.
    "MIRROR_PULL_RECONCILE_INTERVAL": 2.0,
    # Seconds between background checks of every robot against Harbor (drift repair,
    # scheduled rotation).
    "MIRROR_PULL_DRIFT_INTERVAL": 300,
    # Longest wait (seconds) between retries of a robot change Harbor refused or missed.
    "MIRROR_PULL_RETRY_MAX_SECONDS": 300,
    # Who runs background jobs (a sync): "database", a runner thread in every worker process
    # claiming jobs from the job table (nothing else to start); "rq", RQ workers started with
    # ``flask mirror jobs rq-worker``, reached through MIRROR_JOBS_REDIS_URL (pip install rq).
    "MIRROR_JOBS_BACKEND": "database",
    # The Redis of the "rq" backend, and the name of its queue.
    "MIRROR_JOBS_REDIS_URL": "redis://127.0.0.1:6379/0",
    "MIRROR_JOBS_RQ_QUEUE": "mirror_plugin",
    # Seconds between the embedded runner's looks for queued jobs (0: no runner thread in
    # the web workers; run ``flask mirror jobs work`` instead). Off while app.testing.
    "MIRROR_JOBS_POLL_INTERVAL": 1.0,
    # Seconds the picker's Refresh (a job re-listing one space) is awaited in the request;
    # past it the request answers 202 with the job and the picker polls it.
    "MIRROR_REFRESH_WAIT": 3.0,
    # Seconds between a running job's progress writes (its heartbeat).
    "MIRROR_JOBS_HEARTBEAT_SECONDS": 2.0,
    # A running job whose heartbeat is older than this (seconds) lost its worker (a restart,
    # a crash) and is taken over by another one.
    "MIRROR_JOBS_STALE_SECONDS": 60.0,
    # Workspaces whose robots one reconcile round changes at once (threads, each with its
    # own database connection: keep it below the host's pool size). Also how many robots
    # are deleted at once when a platform Harbor integration is removed.
    "MIRROR_PULL_CONCURRENCY": 8,
    # Fernet keys (urlsafe base64, newest first) that encrypt registry passwords at rest.
    "MIRROR_SECRET_KEYS": [],
}

FOREIGN_IMAGE_POLICIES = ("allow", "deny")
JOBS_BACKENDS = ("database", "rq")
