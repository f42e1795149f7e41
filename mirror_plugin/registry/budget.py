"""How long, and how much, one conversation with a registry may take.

A registry is a tenant's input: a Workspace Admin can point a warehouse at a server they
control. Per-read timeouts alone let such a server hold a worker indefinitely (one byte every
few seconds), and a list that never ends (a lying ``X-Total-Count``, an endless ``Link:
rel="next"`` chain) can cost thousands of requests. So every conversation carries a
:class:`Budget`: a total deadline, and a cap on the list pages it may fetch. The HTTP layer
holds each request to the smaller of its own deadline and the budget's, and enforces it with a
watchdog that shuts the socket down when time is up (a read blocked on a trickling server
returns at once), so the deadline is total, not per read.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from mirror_plugin.i18n import N_, _, ngettext
from mirror_plugin.registry.errors import Category, RegistryError

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Budget:
    """A total deadline (seconds from creation) and a cap on list pages, shared by threads.

    ``what`` names the conversation in messages ("the sync", "the connection test"), a msgid
    translated when a message is made, and ``setting`` the configuration keys that raise the
    limits, so a refusal tells the Admin the way out.
    """

    seconds: float | None = None
    max_pages: int | None = None
    max_spaces: int | None = None
    max_repositories: int | None = None
    what: str = N_("the registry conversation")
    deadline_setting: str = "MIRROR_REGISTRY_DEADLINE"
    expires: float | None = field(init=False)
    pages: int = field(default=0, init=False)
    counted: dict[str, int] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.expires = None if self.seconds is None else time.monotonic() + self.seconds

    def remaining(self) -> float | None:
        return None if self.expires is None else self.expires - time.monotonic()

    def check(self) -> None:
        """Raise ``DEADLINE`` once the time is up (between pages, before a request)."""
        remaining = self.remaining()
        if remaining is not None and remaining <= 0:
            raise self.expired()

    def expired(self) -> RegistryError:
        return RegistryError(
            Category.DEADLINE,
            _(
                "The registry took too long: %(what)s stopped after %(seconds)s s "
                "(%(setting)s); nothing was changed.",
                what=_(self.what),
                seconds=f"{self.seconds:g}",
                setting=self.deadline_setting,
            ),
        )

    def count_page(self) -> None:
        """Account for one more list page; raise ``LIMIT`` past the cap, ``DEADLINE`` late."""
        self.check()
        with self._lock:
            self.pages += 1
            over = self.max_pages is not None and self.pages > self.max_pages
        if over:
            raise self._limit(
                ngettext("%(num)s list page", "%(num)s list pages", self.max_pages or 0),
                "MIRROR_SYNC_MAX_PAGES",
            )

    def count(self, kind: str, n: int) -> None:
        """Account for ``n`` more ``"spaces"`` or ``"repositories"``; raise ``LIMIT`` past
        the cap (counted as they arrive, so a lying registry cannot make us hold more)."""
        cap = {"spaces": self.max_spaces, "repositories": self.max_repositories}[kind]
        with self._lock:
            self.counted[kind] = total = self.counted.get(kind, 0) + n
        if cap is not None and total > cap:
            counted = (
                ngettext("%(num)s space", "%(num)s spaces", cap)
                if kind == "spaces"
                else ngettext("%(num)s repository", "%(num)s repositories", cap)
            )
            raise self._limit(counted, f"MIRROR_SYNC_MAX_{kind.upper()}")

    def _limit(self, what: str, setting: str) -> RegistryError:
        return RegistryError(
            Category.LIMIT,
            _(
                "The registry lists more than %(what)s (%(setting)s): %(conversation)s stopped "
                "and nothing was changed.",
                what=what,
                setting=setting,
                conversation=_(self.what),
            ),
        )


def bounded_map(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """``fn`` over ``items``, ``workers`` calls running at once, results in order.

    Unlike ``ThreadPoolExecutor.map``, which submits every item up front, this never holds
    more than ``2 * workers`` futures, and on an error (a deadline, a cap) or an early stop it
    cancels what has not started instead of running the rest to completion. The second
    ``workers`` are queued, not running: while the oldest call is still out, threads that
    finished theirs start the next item instead of idling behind it.
    """
    source = iter(items)
    pending: deque[Future[R]] = deque()
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        for item in source:
            pending.append(pool.submit(fn, item))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class Watchdog:
    """One daemon thread that runs callbacks at their deadlines, unless cancelled first.

    Cheaper than a ``threading.Timer`` (a thread) per request: a sync makes thousands.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int]] = []
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._ids = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def schedule(self, at: float, callback: Callable[[], None]) -> int:
        with self._wake:
            handle = next(self._ids)
            self._callbacks[handle] = callback
            earliest = not self._heap or at < self._heap[0][0]
            heapq.heappush(self._heap, (at, handle))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="mirror-registry-watchdog", daemon=True
                )
                self._thread.start()
            if earliest:  # else the watchdog already wakes no later than this deadline
                self._wake.notify()
        return handle

    def cancel(self, handle: int) -> None:
        with self._wake:
            self._callbacks.pop(handle, None)

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._heap and self._heap[0][1] not in self._callbacks:
                    heapq.heappop(self._heap)  # cancelled
                if not self._heap:
                    self._wake.wait(timeout=60)
                    continue
                at, handle = self._heap[0]
                delay = at - time.monotonic()
                if delay > 0:
                    self._wake.wait(timeout=delay)
                    continue
                heapq.heappop(self._heap)
                callback = self._callbacks.pop(handle, None)
            if callback is not None:
                try:
                    callback()
                except Exception:  # noqa: BLE001 - a dead socket must not stop the watchdog
                    pass


WATCHDOG = Watchdog()


class SocketReaper:
    """The sockets one request uses, shut down if its deadline passes while it is blocked.

    ``shutdown`` (not ``close``) wakes a thread blocked in ``recv`` or ``connect`` at once,
    and leaves the file descriptor for urllib3 to close as usual.
    """

    def __init__(self, at: float) -> None:
        self.at = at
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._handle = WATCHDOG.schedule(at, self._fire)

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            fired = self.fired
        if fired:
            _shutdown(sock)

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    def done(self) -> None:
        WATCHDOG.cancel(self._handle)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
