"""The migrations build exactly the schema the models describe, and can be walked back."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from models import Base, migrate


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_migrations_go_down_and_up_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'walk.sqlite'}"
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    migrate.upgrade(url)
