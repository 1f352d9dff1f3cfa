"""Dialect-aware INSERT … ON CONFLICT, the one construct PostgreSQL and SQLite share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_of(db: Session | Connection) -> str:
    bind = db.get_bind() if isinstance(db, Session) else db
    return bind.dialect.name


def upsert(db: Session | Connection, model: Any) -> Any:
    """An `insert()` with `on_conflict_do_nothing/update` for the dialect `db` talks to."""
    return insert_for(dialect_of(db), model)


_PREPARED: dict[tuple[str, str], Any] = {}


def prepared(db: Session | Connection, name: str, build: Callable[[str], Any]) -> Any:
    """Build a statement once per dialect (with bindparams) and reuse it: the webhook runs the
    same few statements thousands of times a second, and building them costs more than sending."""
    key = (dialect_of(db), name)
    stmt = _PREPARED.get(key)
    if stmt is None:
        stmt = _PREPARED[key] = build(key[0])
    return stmt


def insert_for(dialect: str, model: Any) -> Any:
    """A Core insert (no ORM bulk machinery: it costs on the hot path) with ON CONFLICT support."""
    table = getattr(model, "__table__", model)
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
