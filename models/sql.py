"""Dialect-aware INSERT … ON CONFLICT, the one construct PostgreSQL and SQLite share."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def upsert(session: Session, model: Any) -> Any:
    """An `insert()` for `model` that has `on_conflict_do_nothing/update` on this session's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)
