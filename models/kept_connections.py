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
    `recycle` seconds, like the pool's own recycling, and when its thread has ended. At most
    `limit` connections are kept (by default the pool's size); a thread beyond that checks one out
    for each request, as before, so no threading model can drain the pool. A forked child never
    uses its parent's.
    """

    def __init__(self, engine: Engine, recycle: float = POOL_RECYCLE, limit: int | None = None) -> None:
        self.engine, self.recycle = engine, recycle
        self.limit = limit if limit is not None else _pool_size(engine)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._kept: dict[Connection, tuple[int, threading.Thread]] = {}  # and the process and thread

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        conn = self._take()
        if conn is None:  # other threads keep all there may be: a connection for this request only
            with self.engine.connect() as once:
                yield once
            return
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

    def _take(self) -> Connection | None:
        local, pid = self._local, os.getpid()
        conn: Connection | None = getattr(local, "conn", None)
        if conn is not None and local.pid == pid:
            if time.monotonic() < local.until and not conn.invalidated:
                return conn
            self._give_back(conn)
        self._give_back_orphans(pid)
        with self._lock:
            if len(self._kept) >= self.limit:
                return None
        conn = self.engine.connect()
        with self._lock:
            self._kept[conn] = (pid, threading.current_thread())
        local.conn, local.pid, local.until = conn, pid, time.monotonic() + self.recycle
        return conn

    def _give_back_orphans(self, pid: int) -> None:
        """Give back what threads that have ended kept: a server with a thread per request
        (werkzeug's) would otherwise hold a connection for every request it served. What a
        parent process kept is forgotten here, not closed: it is the parent's."""
        with self._lock:
            ended = [c for c, (p, thread) in self._kept.items() if p == pid and not thread.is_alive()]
            for conn in [c for c, (p, _) in self._kept.items() if p != pid] + ended:
                del self._kept[conn]
        for conn in ended:
            conn.close()

    def _give_back(self, conn: Connection) -> None:
        self._local.conn = None
        with self._lock:
            self._kept.pop(conn, None)
        conn.close()


def _pool_size(engine: Engine) -> int:
    size = getattr(engine.pool, "size", None)
    return int(size()) if callable(size) else 1
