"""Declarative base, the UTC datetime type, and engine/session factories."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Engine, Integer, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# 64-bit ids where rows pile up; SQLite only autoincrements a plain INTEGER PRIMARY KEY
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Store naive UTC on every backend; always hand back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


POOL_RECYCLE = 1800  # seconds a database connection serves before it is replaced


def make_engine(url: str, immediate: bool = False, **kwargs: Any) -> Engine:
    """Create an engine for PostgreSQL (production) or SQLite (the embedded default).

    No pre-ping: it would cost a round trip on every webhook request; connections are
    recycled instead, and a request on a connection the server dropped fails once (WeChat
    retries it). SQLite gets WAL, a busy timeout and foreign keys; with `immediate` its
    transactions start with BEGIN IMMEDIATE, so that jobs which read and then write queue
    for the write lock up front instead of failing when another writer got in between.
    """
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        if immediate:
            event.listen(engine, "connect", _sqlite_manual_transactions)
            event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_recycle", POOL_RECYCLE)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _binary_arrays)
    return engine


def _binary_arrays(dbapi_conn: Any, _record: Any) -> None:
    """Send Python lists (the drain's unnest() batches, = ANY(...) lists) as binary arrays: psycopg's
    text form checks every string against a quoting regex, four times slower for a batch."""
    from psycopg.types.array import ListBinaryDumper

    dbapi_conn.adapters.register_dumper(list, ListBinaryDumper)


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_manual_transactions(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # pysqlite stops issuing BEGIN; our "begin" listener does


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Any]:
    return sessionmaker(engine, expire_on_commit=False)
