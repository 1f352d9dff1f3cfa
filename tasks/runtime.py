"""What jobs run with: one Redis connection, the queues, a session factory; built once per process."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis import Redis
from rq import Queue
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config import Settings, refuse_insecure
from logs import REQUEST_ID
from logs import configure as configure_logs
from models import make_engine, make_session_factory
from models.kept_connections import KeptConnections

INSTANCE_PATH = Path(__file__).resolve().parent.parent / "instance"
QUEUES = ("events", "campaigns", "scheduled")  # by purpose; workers listen in this order


@dataclass
class Runtime:
    settings: Settings
    redis: Redis
    sessions: sessionmaker[Session]
    job_sessions: sessionmaker[Session]  # on SQLite, transactions that take the write lock up front
    hot_engine: Engine  # the webhook's: autocommit, one round trip per statement (no BEGIN/COMMIT)
    kept: KeptConnections  # hot_engine's connections, one kept by each serving thread
    last_saw_drain_waiting: float = float("-inf")  # monotonic; see tasks.wake_drainer
    _queues: dict[str, Queue] = field(default_factory=dict)

    @property
    def engine(self) -> Engine:
        return self.sessions.kw["bind"]  # type: ignore[no-any-return]

    @property
    def embedded(self) -> bool:
        """No REDIS_URL: an in-process Redis stand-in, and jobs run right away in this process."""
        return self.settings.embedded_queue

    def dispose(self) -> None:
        """Close every pooled database connection (tests, and before a fork)."""
        self.kept.close_all()
        for engine in {self.engine, self.job_sessions.kw["bind"], self.hot_engine}:
            engine.dispose()

    def queue(self, name: str) -> Queue:
        if name not in QUEUES:
            raise ValueError(f"unknown queue {name!r}; queues are {QUEUES}")
        if name not in self._queues:
            self._queues[name] = TracedQueue(name, connection=self.redis, is_async=not self.embedded)
        return self._queues[name]


class TracedQueue(Queue):
    """A queue whose jobs carry the request id they were enqueued under (logs.REQUEST_ID)."""

    def create_job(self, *args: Any, meta: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        request_id = REQUEST_ID.get()
        if request_id:
            meta = {**(meta or {}), "request_id": request_id}
        return super().create_job(*args, meta=meta, **kwargs)  # type: ignore[misc]  # rq passes meta by name


_current: Runtime | None = None


def build(settings: Settings) -> Runtime:
    url = settings.database_url
    sessions = make_session_factory(make_engine(url))
    job_sessions = (
        make_session_factory(make_engine(url, immediate=True)) if url.startswith("sqlite") else sessions
    )
    hot_engine = make_engine(url, isolation_level="AUTOCOMMIT")
    kept = KeptConnections(hot_engine)
    return Runtime(settings, connect_redis(settings.redis_url), sessions, job_sessions, hot_engine, kept)


def connect_redis(url: str | None) -> Redis:
    if url:
        return Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    import fakeredis  # the embedded default: one in-process server per runtime

    fake: Any = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    return fake  # type: ignore[no-any-return]


def install(runtime: Runtime) -> Runtime:
    """Make `runtime` the one jobs in this process use (the app does this for the embedded mode)."""
    global _current
    _current = runtime
    return runtime


def current() -> Runtime:
    """The installed runtime, or one built from the environment (an `rq` worker process)."""
    if _current is None:
        settings = Settings.from_env(os.environ, INSTANCE_PATH)
        refuse_insecure(settings)
        if not settings.testing:
            configure_logs(settings.log_format, settings.log_level)
        install(build(settings))
    assert _current is not None
    return _current
