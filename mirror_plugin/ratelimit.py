"""A per-user sliding-window limit for "Test connection" (it makes the server call out).

Kept in process memory: each worker enforces the limit on its own, which bounds abuse by the
number of workers; that is the point of the limit (not billing), so no shared store is needed.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from flask import abort, current_app

_lock = threading.Lock()
_calls: dict[tuple[int, str], deque[float]] = defaultdict(deque)
WINDOW = 60.0


def limit_test_connection(user_id: str) -> None:
    """Abort 429 once ``MIRROR_TEST_CONNECTION_PER_MINUTE`` tests ran in the last minute."""
    allowed = int(current_app.config["MIRROR_TEST_CONNECTION_PER_MINUTE"])
    now = time.monotonic()
    key = (id(current_app._get_current_object()), user_id)
    with _lock:
        calls = _calls[key]
        while calls and calls[0] <= now - WINDOW:
            calls.popleft()
        if len(calls) >= allowed:
            wait = int(calls[0] + WINDOW - now) + 1
            abort(429, description=f"Too many connection tests; try again in {wait} s.")
        calls.append(now)
