"""Dialect-aware INSERT … ON CONFLICT, the one construct PostgreSQL and SQLite share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table, any_, bindparam, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_of(db: Session | Connection) -> str:
    bind = db.get_bind() if isinstance(db, Session) else db
    return bind.dialect.name


def upsert(db: Session | Connection, model: Any) -> Any:
    """An `insert()` with `on_conflict_do_nothing/update` for the dialect `db` talks to."""
    return insert_for(dialect_of(db), model)


def insert_for(dialect: str, model: Any) -> Any:
    """A Core insert (no ORM bulk machinery: it costs on the hot path) with ON CONFLICT support."""
    table = getattr(model, "__table__", model)
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def table_of(model: Any) -> Table:
    """The Core table behind a model: executemany UPDATEs keyed by a bindparam need it."""
    table: Table = model.__table__
    return table


# Set-based writes for the drain. On PostgreSQL a batch travels as one array per column through
# unnest(): one statement whose text never changes, so it is parsed and planned once, however
# many rows the batch has. SQLite gets executemany.


def bulk_insert(
    db: Session | Connection,
    model: Any,
    rows: list[dict[str, Any]],
    conflict: tuple[str, ...] = (),
    returning: tuple[Any, ...] = (),
) -> list[Any]:
    """Insert rows (all with the same keys); skip conflicts on `conflict`; return `returning` of new rows."""
    if not rows:
        return []
    names = tuple(rows[0])
    if dialect_of(db) == "postgresql":
        stmt = _unnest_insert(table_of(model), names, conflict, returning)
        result = db.execute(stmt, _columns(rows, names))
        return list(result.all()) if returning else []
    stmt = sqlite.insert(table_of(model))
    if conflict:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict))
    if returning:
        return list(db.execute(stmt.returning(*returning), rows).all())
    db.execute(stmt, rows)
    return []


def bulk_update(
    db: Session | Connection, model: Any, rows: list[dict[str, Any]], values: Callable[[Any], dict[str, Any]]
) -> None:
    """UPDATE rows by their "id": `values(src)` maps columns to expressions over `src[name]`."""
    if not rows:
        return
    names = tuple(rows[0])
    table = table_of(model)
    if dialect_of(db) == "postgresql":
        stmt = _unnest_update(table, names, values)
        db.execute(stmt, _columns(rows, names))
        return
    binds: dict[str, Any] = {n: bindparam(f"b_{n}") for n in names}  # a column's own name is reserved
    stmt = update(table).where(table.c.id == binds["id"]).values(values(binds))
    db.execute(stmt, [{f"b_{n}": v for n, v in r.items()} for r in rows])


def _columns(rows: list[dict[str, Any]], names: tuple[str, ...]) -> dict[str, list[Any]]:
    """One array per column, named as `_unnest` binds them."""
    return {f"b_{n}": [r[n] for r in rows] for n in names}


@lru_cache(maxsize=64)
def _unnest_insert(
    table: Table, names: tuple[str, ...], conflict: tuple[str, ...], returning: tuple[Any, ...]
) -> Any:
    src = _unnest(table, names)
    stmt = postgresql.insert(table).from_select(list(names), select(*[src.c[n] for n in names]))
    if conflict:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict))
    return stmt.returning(*returning) if returning else stmt


@lru_cache(maxsize=64)
def _unnest_update(table: Table, names: tuple[str, ...], values: Callable[[Any], dict[str, Any]]) -> Any:
    src = _unnest(table, names)
    columns = {n: src.c[n] for n in names}
    return update(table).where(table.c.id == src.c["id"]).values(values(columns))


def _unnest(table: Table, names: tuple[str, ...]) -> Any:
    arrays = [bindparam(f"b_{n}", type_=postgresql.ARRAY(table.c[n].type)) for n in names]
    return func.unnest(*arrays).table_valued(*names).render_derived(name="batch")


def one_of(db: Session | Connection, column: Any, values: Iterable[Any]) -> Any:
    """`column IN values`; on PostgreSQL `column = ANY(:array)`: one parameter however many values,
    so the statement's text stays the same and nobody renders or parses a thousand placeholders."""
    values = list(values)
    if dialect_of(db) == "postgresql":
        return column == any_(literal(values, type_=postgresql.ARRAY(column.type)))
    return column.in_(values)
