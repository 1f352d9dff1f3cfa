"""ix_members_first_followed, a BRIN index on members.first_followed_at: an incremental scoring run
marks the reads whose reader first followed since its last run, and scanned every member of the
account to find those followers (80 ms at a million members, on the run's critical path; 1.5 ms
with the index).

BRIN, not a B-tree: members are inserted in the order people first follow, so a block range's
summary finds the recent ones, and the index (24 kB at a million members) costs next to nothing on
the member updates every award, check-in and expiry makes. A B-tree cost a new entry on each
non-HOT update: the expiry of 315,000 lots wrote 5 % more WAL and took about 10 % longer with it.
`autosummarize` lets autovacuum summarise the ranges new members fill.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_members_first_followed",
        "members",
        ["first_followed_at"],
        unique=False,
        postgresql_using="brin",
        postgresql_with={"autosummarize": "on"},
    )


def downgrade() -> None:
    op.drop_index("ix_members_first_followed", table_name="members")
