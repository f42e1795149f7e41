"""An in-process emulator of Harbor's v2.0 REST API and registry, served over real HTTP.

Harbor cannot run where the plugin's tests, the demo and the benchmarks run, so this package
stands in for it::

    with HarborEmulator() as harbor:            # admin / Harbor12345 exists, as in a fresh Harbor
        harbor.add_user("alice", "secret")
        harbor.add_robot("robot$ci", "s3cret")
        harbor.add_project("team-a", public=True)
        harbor.add_repository("team-a", "tools/nginx", [{"tags": ["1.25"]}, {"tags": None}])
        requests.get(harbor.url + "/api/v2.0/projects", auth=("alice", "secret"))

It serves the endpoints the plugin uses and reproduces the behaviour of a real Harbor that a
client has to cope with, documented in ``shared/reference/notes/harbor-api.md`` and checked
against Harbor's swagger spec by tests/test_harbor_emulator.py: wrong credentials treated as
anonymous, ``metadata.public`` as a string, ``page_size`` capped at 100, relative ``Link``
headers, double-encoded repository names, ``tags: null``, the ``sid`` cookie that breaks
POST/PUT/DELETE with a CSRF error, and Harbor's error bodies and messages. Fault injection:
``latency`` (seconds slept before every request) and ``fail_next``.

One module per part of Harbor, each read on its own:

- :mod:`.emulator` -- :class:`HarborEmulator`, routing, ping/health/systeminfo
- :mod:`.server` -- the HTTP server, latency, injected faults, session cookie and CSRF
- :mod:`.store` -- the state and the set-up calls (``add_user``, ``add_project``, ...)
- :mod:`.auth` -- Basic auth, ``/users/current``, who may see and change a project
- :mod:`.projects` -- ``/projects`` and ``/search``
- :mod:`.repositories` -- repositories and artifacts
- :mod:`.robots` -- robot accounts (``/robots``)
- :mod:`.registry` -- the token service and ``/v2/`` pulls
- :mod:`.paging` and :mod:`.wire` -- Harbor's list conventions, error bodies and formats

Only the standard library is used, so host teams can use it without any test dependency.
"""

from mirror_plugin.testing.harbor.emulator import HarborEmulator

__all__ = ["HarborEmulator"]
