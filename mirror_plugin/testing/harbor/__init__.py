"""An in-process emulator of Harbor's v2.0 REST API and registry, served over real HTTP.

Harbor cannot run where the plugin's tests, demo and benchmarks run, so this package stands
in for it::

    with HarborEmulator() as harbor:            # admin / Harbor12345 exists, as in a fresh Harbor
        harbor.add_user("alice", "secret")
        harbor.add_project("team-a", public=True)
        harbor.add_repository("team-a", "tools/nginx", [{"tags": ["1.25"]}, {"tags": None}])
        requests.get(harbor.url + "/api/v2.0/projects", auth=("alice", "secret"))

Its behaviour is checked against Harbor's swagger spec and the quirks documented in
``shared/reference/notes/harbor-api.md`` (tests/test_harbor_emulator.py). Only the standard
library is used, so host teams can use it without any test dependency.
"""

from .emulator import HarborEmulator

__all__ = ["HarborEmulator"]
