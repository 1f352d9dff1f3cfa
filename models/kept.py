"""The webhook's autocommit connections, each kept by its serving thread between requests."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from models.base import POOL_RECYCLE


class KeptConnections:
    """One connection of `engine` per thread, taken from the pool once and used for every request.

    Checking a connection out of the pool and back in costs SQLAlchemy's Connection object and the
    pool's reset on return, about 60 µs of CPU per callback here, a tenth of the webhook's own work.
    A kept connection goes back to the pool after any error inside `connection()` (the pool's reset
    then finds a broken one and discards it, so the next callback gets a fresh one) and after
    `recycle` seconds, like the pool's own recycling, and when its thread has ended. A forked
    child never uses its parent's.
    """

    def __init__(self, engine: Engine, recycle: float = POOL_RECYCLE) -> None:
        self.engine, self.recycle = engine, recycle
        self._local = threading.local()
        self._lock = threading.Lock()
        self._kept: dict[Connection, tuple[int, threading.Thread]] = {}  # and the process and thread

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        conn = self._take()
        try:
            yield conn
        except BaseException:
            self._give_back(conn)
            raise

    def close_all(self) -> None:
        """Give every kept connection back to the pool (tests, shutdown: no request may be running)."""
        with self._lock:
            kept, self._kept = self._kept, {}
            self._local = threading.local()
        for conn, (pid, _) in kept.items():
            if pid == os.getpid():  # a parent's connection is the parent's to close
                conn.close()

    def _take(self) -> Connection:
        local, pid = self._local, os.getpid()
        conn: Connection | None = getattr(local, "conn", None)
        if conn is not None and local.pid == pid:
            if time.monotonic() < local.until and not conn.invalidated:
                return conn
            self._give_back(conn)
        self._give_back_orphans(pid)
        conn = self.engine.connect()
        local.conn, local.pid, local.until = conn, pid, time.monotonic() + self.recycle
        with self._lock:
            self._kept[conn] = (pid, threading.current_thread())
        return conn

    def _give_back_orphans(self, pid: int) -> None:
        """Give back what threads that have ended kept: a server with a thread per request
        (werkzeug's) would otherwise hold a connection for every request it served."""
        with self._lock:
            orphans = [c for c, (p, thread) in self._kept.items() if p == pid and not thread.is_alive()]
            for conn in orphans:
                del self._kept[conn]
        for conn in orphans:
            conn.close()

    def _give_back(self, conn: Connection) -> None:
        self._local.conn = None
        with self._lock:
            self._kept.pop(conn, None)
        conn.close()
