"""The services the full path writes to: a PostgreSQL database and a Redis database of its own."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

import psycopg
from psycopg import sql
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy.engine import URL, make_url

from bench.baseline import FLOOR_DDL, FLOOR_TABLE
from models import migrate

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tiefen_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
PROTECTED_DATABASES = {"postgres", "test", "template0", "template1"}  # never dropped into
EVENTS_QUEUE = "events"


class Unavailable(Exception):
    """PostgreSQL or Redis does not answer, or a URL points somewhere the bench must not write."""


def libpq_url(url: URL, database: str | None = None) -> str:
    """The SQLAlchemy URL as a libpq URL psycopg accepts, optionally for another database."""
    plain = url.set(drivername="postgresql", database=database or url.database)
    return plain.render_as_string(hide_password=False)


def prepare_database(database_url: str) -> None:
    """Create the database if missing, empty its public schema, and migrate it to head."""
    url = make_url(database_url)
    if not url.database or url.database in PROTECTED_DATABASES:
        raise Unavailable(f"refusing to use database {url.database!r}: the bench drops its schema")
    try:
        with psycopg.connect(libpq_url(url, "postgres"), autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [url.database]).fetchone()
            if exists is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(url.database)))
        with psycopg.connect(libpq_url(url), autocommit=True, connect_timeout=3) as conn:
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
            conn.execute("CREATE SCHEMA public")
    except psycopg.OperationalError as exc:
        raise Unavailable(f"PostgreSQL at {url.render_as_string()} does not answer: {exc}") from None
    migrate.upgrade(database_url)


def prepare_redis(redis_url: str) -> None:
    """Check that Redis answers and empty the bench's database (only that one)."""
    if not urlsplit(redis_url).path.strip("/").isdigit():
        raise Unavailable(f"the Redis URL must name its database number (like /14), got {redis_url}")
    client = redis_client(redis_url)
    try:
        client.ping()
        client.flushdb()
    except RedisError as exc:
        raise Unavailable(f"Redis at {redis_url} does not answer: {exc}") from None


def flush_redis(redis_url: str) -> None:
    redis_client(redis_url).flushdb()


def redis_client(redis_url: str) -> Redis:
    return Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)


def row_count(database_url: str, table: str) -> int:
    with psycopg.connect(libpq_url(make_url(database_url))) as conn:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
    return int(row[0]) if row else 0


def stored_events(database_url: str) -> int:
    return row_count(database_url, "inbound_events")


def prepare_floor(database_url: str) -> str:
    """The floor server's table, in the bench's (already prepared) database; returns its libpq URL."""
    dsn = libpq_url(make_url(database_url))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(FLOOR_DDL)
    return dsn


def floor_rows(database_url: str) -> int:
    return row_count(database_url, FLOOR_TABLE)


def queued_jobs(redis_url: str) -> int:
    return int(Queue(EVENTS_QUEUE, connection=redis_client(redis_url)).count)


def settled(read: Callable[[], int], quiet: float = 1.0, timeout: float = 15.0) -> int:
    """Poll `read` until its value stops changing for `quiet` seconds (requests still in flight land)."""
    value, since, deadline = read(), time.monotonic(), time.monotonic() + timeout
    while time.monotonic() < deadline and time.monotonic() - since < quiet:
        time.sleep(0.1)
        latest = read()
        if latest != value:
            value, since = latest, time.monotonic()
    return value
