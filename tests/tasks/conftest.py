"""Fixtures for job tests."""

import pytest
from redis import Redis

from services.segments import increments as segment_increments


@pytest.fixture
def redis_down(app, monkeypatch):
    """Make the app's Redis unreachable (connection refused), as if the server had stopped."""
    runtime = app.extensions["tiefen"].runtime

    def stop() -> None:
        if runtime.embedded:
            runtime.redis.connection_pool.connection_kwargs["server"].connected = False
        else:
            dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
            monkeypatch.setattr(runtime, "redis", dead)
            runtime._queues.clear()

    def start() -> None:
        if runtime.embedded:
            runtime.redis.connection_pool.connection_kwargs["server"].connected = True
        else:
            monkeypatch.undo()
            runtime._queues.clear()

    return stop, start


@pytest.fixture(params=["one connection", "two connections"])
def scoring_connections(request, monkeypatch):
    """A scoring test also with the touched members' counts split over two connections (on
    PostgreSQL): the bench's incremental runs split them; a test's runs are too small to, unless told."""
    if request.param == "two connections":
        monkeypatch.setattr(segment_increments, "SPLIT_MIN", 1)
    return request.param
