"""The webhook's few statements: built by SQLAlchemy once per dialect, sent straight to the driver.

SQLAlchemy's per-execution work (cache key, parameter processing, result wrapping) costs
about 240 µs of CPU per statement here, more than the driver and the round trip together;
on a path that runs thousands of times a second that is the difference that counts. The SQL
is still SQLAlchemy's: nothing here writes SQL by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect


@dataclass(frozen=True)
class FastStatement:
    sql: str
    order: tuple[str, ...] | None  # parameter names in order for positional drivers (SQLite)
    constants: dict[str, Any]  # values written into the statement (`following=True`)
    returns_rows: bool  # a SELECT, or DML with RETURNING

    @classmethod
    def compile(cls, stmt: Any, dialect: Dialect) -> FastStatement:
        compiled = stmt.compile(dialect=dialect)
        order = tuple(compiled.positiontup) if compiled.positional else None
        constants = {k: v for k, v in compiled.params.items() if v is not None}
        returns_rows = bool(getattr(stmt, "is_select", False) or compiled.effective_returning)
        return cls(str(compiled), order, constants, returns_rows)

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run on `conn`'s driver connection; returns the rows (RETURNING), if any."""
        values = {**self.constants, **{name: _plain(value) for name, value in params.items()}}
        args: Any = values if self.order is None else tuple(values[name] for name in self.order)
        cursor = _cursor(conn)
        cursor.execute(self.sql, args)
        return list(cursor.fetchall()) if self.returns_rows else []


def _cursor(conn: Connection) -> Any:
    """One driver cursor per database connection, kept for its life: a fresh cursor per statement
    cost its creation and, on psycopg, the look-up of every parameter's dumper again. The pool
    clears `info` when it replaces the driver connection, and a connection serves one thread at
    a time."""
    pooled = conn.connection
    cursor = pooled.info.get(_CURSOR)
    if cursor is None:
        cursor = pooled.info[_CURSOR] = pooled.dbapi_connection.cursor()  # type: ignore[union-attr]
    return cursor


def _plain(value: Any) -> Any:
    """What `UTCDateTime` would bind: naive UTC."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


_CURSOR = "tiefen.fast.cursor"
_CACHE: dict[tuple[str, str], FastStatement] = {}


def fast(conn: Connection, name: str, build: Callable[[str], Any]) -> FastStatement:
    """The statement `name`, built by `build(dialect_name)` and compiled the first time it is asked for."""
    key = (conn.dialect.name, name)
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = FastStatement.compile(build(conn.dialect.name), conn.dialect)
    return found
