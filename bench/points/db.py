"""Small database helpers: a plain psycopg connection, a session factory, a stopwatch."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bench.stack import libpq_url
from models import make_engine, make_session_factory

T = TypeVar("T")


def connect(database_url: str, autocommit: bool = True) -> psycopg.Connection[Any]:
    """A psycopg connection to the bench's database (autocommit unless asked otherwise)."""
    return psycopg.connect(libpq_url(make_url(database_url)), autocommit=autocommit)


def one(conn: psycopg.Connection[Any], sql: str, params: Any = None) -> Any:
    """The first column of the first row of `sql`."""
    row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


def count(conn: psycopg.Connection[Any], sql: str, params: Any = None) -> int:
    """`one` as an int (sums of bigint columns come back as Decimal)."""
    return int(one(conn, sql, params) or 0)


@contextmanager
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Tiefen's own session factory on the bench's database; its pool is closed afterwards."""
    engine = make_engine(database_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """(seconds, result) of calling `fn`."""
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def analyze(conn: psycopg.Connection[Any], tables: list[str], vacuum: bool = False) -> None:
    verb = "VACUUM ANALYZE" if vacuum else "ANALYZE"
    for table in tables:
        conn.execute(f"{verb} {table}")


def in_tx(sessions: sessionmaker[Session], work: Callable[[Session], Any]) -> Any:
    with sessions.begin() as session:
        return work(session)


def repeated(times: int, work: Callable[[], Any]) -> dict[str, float]:
    """One untimed run (warm), then `times` timed ones: median and max seconds."""
    work()
    runs = []
    for _ in range(times):
        started = time.perf_counter()
        work()
        runs.append(time.perf_counter() - started)
    return {"median_s": round(statistics.median(runs), 3), "max_s": round(max(runs), 3)}
