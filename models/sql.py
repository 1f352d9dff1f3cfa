"""Dialect-aware INSERT … ON CONFLICT, the one construct PostgreSQL and SQLite share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
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
