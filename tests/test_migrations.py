"""The migrations build exactly the schema the models describe, and can be walked back."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from models import Base, make_engine, migrate
from tests.conftest import real_only


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_migrations_go_down_and_up_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'walk.sqlite'}"
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    migrate.upgrade(url)


@real_only
def test_the_query_index_is_built_concurrently_again_after_a_failed_build(database_url):
    """Migration 0030 builds its unique index CONCURRENTLY (no lock on the webhook's INSERTs). A
    build that failed half-way (here on duplicate keys) leaves the column and an INVALID index;
    once the duplicates are gone, running the migration again drops that index and builds it."""
    schema = "migration_walk"
    admin = make_engine(database_url)
    url = database_url + ("&" if "?" in database_url else "?") + f"options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    scratch = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        migrate.upgrade(url, "0029")
        with scratch.connect() as conn:
            account = conn.execute(
                text(
                    "INSERT INTO accounts (appid, name, token, timezone, created_at) "
                    "VALUES ('wxwalk', 'walk', 't', 'Asia/Shanghai', now()) RETURNING id"
                )
            ).scalar_one()
            conn.execute(text("ALTER TABLE inbound_events ADD COLUMN query_key VARCHAR(32)"))
            for dedup in ("a", "b"):
                conn.execute(
                    text(
                        "INSERT INTO inbound_events (account_id, dedup_key, openid, msg_type, payload, "
                        "create_time, status, attempts, received_at, query_key) "
                        "VALUES (:a, :d, 'o', 'text', '', now(), 'pending', 0, now(), 'same')"
                    ),
                    {"a": account, "d": dedup},
                )
            with pytest.raises(IntegrityError):
                conn.execute(
                    text(
                        "CREATE UNIQUE INDEX CONCURRENTLY uq_inbound_events_query "
                        "ON inbound_events (account_id, query_key) WHERE query_key IS NOT NULL"
                    )
                )
            assert _index_valid(conn) is False
            conn.execute(text("UPDATE inbound_events SET query_key = dedup_key"))
        migrate.upgrade(url, "0030")
        with scratch.connect() as conn:
            assert _index_valid(conn) is True
            with pytest.raises(IntegrityError):
                conn.execute(text("UPDATE inbound_events SET query_key = 'again'"))
    finally:
        scratch.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def _index_valid(conn) -> bool | None:
    return conn.execute(
        text(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = 'uq_inbound_events_query' AND n.nspname = current_schema()"
        )
    ).scalar()
