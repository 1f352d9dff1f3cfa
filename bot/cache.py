"""A small per-process cache with a size bound and an expiry per entry.

Every cache a request can fill from its URL is bounded: an unknown appid in a thousand forged URLs
takes at most `size` slots and leaves within its (short) expiry, however many arrive.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")
MISSING = object()


class Bounded(Generic[K, V]):
    """Least-recently-used eviction past `size` entries; each entry lives `seconds` from being put."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> tuple[bool, V | None]:
        """(True, value) for a live entry, (False, None) otherwise."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return False, None
            if hit[0] <= time.monotonic():
                del self._entries[key]
                return False, None
            self._entries.move_to_end(key)
            return True, hit[1]

    def put(self, key: K, value: V, seconds: float) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def pop(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
