"""Dialect-aware INSERT … ON CONFLICT, the one construct PostgreSQL and SQLite share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_of(db: Session | Connection) -> str:
    bind = db.get_bind() if isinstance(db, Session) else db
    return bind.dialect.name


def upsert(db: Session | Connection, model: Any) -> Any:
    """An `insert()` with `on_conflict_do_nothing/update` for the dialect `db` talks to."""
    table = getattr(model, "__table__", model)  # Core table: no ORM bulk machinery on the hot path
    if dialect_of(db) == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
