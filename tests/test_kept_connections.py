"""The webhook's kept connections: one per thread, given back on error, recycled, all closed on dispose."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from bot.protocol import parse
from models.kept_connections import KeptConnections
from services.accounts.registry import save_account
from services.inbound import outbox as inbound
from tests.bot.test_parse import callback
from tests.conftest import REAL


@pytest.fixture
def kept(hot_engine):
    kept = KeptConnections(hot_engine)
    yield kept
    kept.close_all()


def checked_out(engine) -> int:
    return engine.pool.checkedout()


def test_a_thread_keeps_one_connection_and_another_thread_gets_its_own(hot_engine, kept):
    with kept.connection() as first:
        first.execute(text("SELECT 1"))
    with kept.connection() as again:
        assert again is first and not again.closed
    seen = []
    worker = threading.Thread(target=lambda: seen.append(kept._take()))
    worker.start()
    worker.join()
    assert seen[0] is not first and checked_out(hot_engine) == 2
    kept.close_all()
    assert first.closed and seen[0].closed and checked_out(hot_engine) == 0


def test_an_error_gives_the_connection_back_and_the_next_request_gets_another(hot_engine, kept):
    with pytest.raises(ZeroDivisionError), kept.connection() as conn:
        raise ZeroDivisionError
    assert conn.closed and checked_out(hot_engine) == 0
    with kept.connection() as fresh:
        assert fresh is not conn and fresh.execute(text("SELECT 1")).scalar() == 1


def test_a_kept_connection_is_replaced_after_the_recycle_time(hot_engine):
    kept = KeptConnections(hot_engine, recycle=0)
    with kept.connection() as first:
        pass
    with kept.connection() as second:
        assert second is not first
    assert first.closed and checked_out(hot_engine) == 1
    kept.close_all()
    assert second.closed


@pytest.mark.skipif(not REAL, reason="a server that drops the connection: PostgreSQL only")
def test_a_connection_the_server_dropped_fails_one_callback_and_the_next_is_stored(session, kept):
    account, _ = save_account(session, "wxkept0000000001", "保持连接", "kepttoken")
    session.commit()
    with kept.connection() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    first = parse(callback("text", Content="一", MsgId="31"))
    with pytest.raises(Exception), kept.connection() as conn:  # noqa: B017 (the driver's own error)
        inbound.record_inbound(conn, account.id, first, None)
    with kept.connection() as conn:
        assert inbound.record_inbound(conn, account.id, first, None) is not None


def test_what_an_ended_thread_kept_goes_back_to_the_pool(hot_engine, kept):
    """A server with a thread per request must not hold a connection for every request it served."""
    for _ in range(25):  # more than the pool's 5 + 10 overflow
        worker = threading.Thread(target=kept._take)
        worker.start()
        worker.join()
    assert checked_out(hot_engine) <= 1


def test_threads_beyond_the_limit_use_a_connection_per_request(hot_engine):
    """No threading model (greenlets that never end, say) can make the kept connections drain the pool."""
    kept = KeptConnections(hot_engine, limit=2)
    release, got = threading.Event(), []

    def hold():
        with kept.connection() as conn:
            got.append(conn)
        release.wait(timeout=10)

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for thread in holders:
        thread.start()
    while len(got) < 2:
        threading.Event().wait(0.01)
    with kept.connection() as extra:
        assert extra not in got and extra.execute(text("SELECT 1")).scalar() == 1
        assert checked_out(hot_engine) == 3
    assert extra.closed and checked_out(hot_engine) == 2  # handed back after the request
    release.set()
    for thread in holders:
        thread.join()
    kept.close_all()
    assert checked_out(hot_engine) == 0


def test_a_forked_child_forgets_its_parents_connections_without_closing_them(hot_engine, kept, monkeypatch):
    with kept.connection() as parents:
        pass
    monkeypatch.setattr("models.kept_connections.os.getpid", lambda: -1)  # as in a child after fork
    with kept.connection() as childs:
        assert childs is not parents
    assert not parents.closed and list(kept._kept) == [childs]
    monkeypatch.undo()
    parents.close()
    childs.close()
