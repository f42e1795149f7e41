"""One daemon thread per worker process that runs a round every ``interval`` seconds.

Started on the first request (``start_once``), so it is created after gunicorn's fork and
each process has its own; ``stop`` ends it. The health monitor and the pull-access worker
are both this loop around their own ``run_once``.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from flask import Flask


class PeriodicThread:
    #: Thread name, and the config key holding the seconds between rounds (0: off).
    name = "mirror-periodic"
    interval_key = ""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._pid: int | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.thread: threading.Thread | None = None

    @property
    def interval(self) -> float:
        return float(self.app.config[self.interval_key])

    def start_once(self) -> None:
        """Start the thread in this process if it is not running (cheap when it is)."""
        if self._pid == os.getpid() or self.interval <= 0:
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._stop.clear()
            self.thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self.thread is not None:
            self.thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.run_once()

    def run_once(self) -> Any:
        raise NotImplementedError
