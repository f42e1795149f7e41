"""A bounded, cached host-name resolver for the visibility rule's address matching.

An image may name an integrated registry by a host name nobody listed as an alias (an
``/etc/hosts`` entry, a second DNS name). The rule compares the addresses such a name resolves
to with the addresses each integration recorded when it was saved or synced. That needs a
lookup, and the deploy hook answers thousands of decisions a second, so lookups are:

- cached per host name for ``MIRROR_RESOLVER_TTL`` seconds (failures too, for a fifth of it),
  in an LRU of at most ``MIRROR_RESOLVER_CACHE_SIZE`` names: a decision is a dict read;
- bounded in time (``MIRROR_RESOLVER_TIMEOUT``) and in concurrency (a few lookups at once, in
  daemon threads; past that a lookup answers "no addresses" at once rather than queueing), so a
  flood of made-up names cannot hold workers.

A name that does not resolve within the bound matches no integration by address; it can
still match by name or alias. The README's Security section says what that means.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

__all__ = ["CachedResolver", "resolve_addresses"]

_MAX_CONCURRENT_LOOKUPS = 4


def resolve_addresses(host: str) -> tuple[str, ...]:
    """Every address ``host`` resolves to (brackets stripped), sorted; () when it does not."""
    name = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError):
        return ()
    return tuple(sorted({str(info[4][0]) for info in infos}))


class CachedResolver:
    """``resolve(host)`` answers from memory when it can, from a bounded lookup otherwise."""

    def __init__(self, *, ttl: float, timeout: float, max_entries: int) -> None:
        self.ttl = ttl
        self.timeout = timeout
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, tuple[str, ...]]] = OrderedDict()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(_MAX_CONCURRENT_LOOKUPS)
        self._pool = ThreadPoolExecutor(
            max_workers=_MAX_CONCURRENT_LOOKUPS, thread_name_prefix="mirror-resolver"
        )

    def resolve(self, host: str) -> tuple[str, ...]:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(host)
            if entry is not None and entry[0] > now:
                self._entries.move_to_end(host)
                return entry[1]
        addresses = self._lookup(host)
        ttl = self.ttl if addresses else self.ttl / 5
        with self._lock:
            self._entries[host] = (time.monotonic() + ttl, addresses)
            self._entries.move_to_end(host)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return addresses

    def _lookup(self, host: str) -> tuple[str, ...]:
        if not self._slots.acquire(blocking=False):
            return ()
        future = self._pool.submit(resolve_addresses, host)
        future.add_done_callback(lambda _: self._slots.release())
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            return ()

    def forget(self) -> None:
        """Drop every cached answer (tests, and after an integration's addresses changed)."""
        with self._lock:
            self._entries.clear()
