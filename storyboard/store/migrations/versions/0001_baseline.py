"""Baseline: the schema of the last release before Alembic (PRAGMA user_version 2).

A SQLite file from that release (or an earlier one) is brought to this schema by the SQL it was
made with (schema.LEGACY) and stamped with this revision; a new database, on either engine, is
made by this file.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text() -> sa.types.TypeEngine[str]:
    # Byte order on PostgreSQL, as SQLite compares: ISO timestamps and key ranges sort the same.
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("id", _text(), primary_key=True),
        sa.Column("name", _text(), nullable=False),
        sa.Column("body", _text(), nullable=False),
        sa.Column("updated_at", _text(), nullable=False),
    )
    op.create_table(
        "jobs",
        sa.Column("id", _text(), primary_key=True),
        sa.Column("idempotency_key", _text(), nullable=False, unique=True),
        sa.Column("storyboard_id", _text(), nullable=False),
        sa.Column("provider", _text(), nullable=False),
        sa.Column("model", _text(), nullable=False),
        sa.Column("state", _text(), nullable=False),
        sa.Column("cost", _text(), nullable=False),
        sa.Column("body", _text(), nullable=False),
        sa.Column("details", _text(), nullable=False, server_default="{}"),
        sa.Column("created_at", _text(), nullable=False),
        sa.Column("updated_at", _text(), nullable=False),
    )
    op.create_index("jobs_state", "jobs", ["state"])
    op.create_index("jobs_created", "jobs", ["created_at"])
    op.create_table(
        "deleted_jobs",
        sa.Column("id", _text(), primary_key=True),
        sa.Column("idempotency_key", _text(), nullable=False, unique=True),
        sa.Column("storyboard_id", _text(), nullable=False),
        sa.Column("provider", _text(), nullable=False),
        sa.Column("state", _text(), nullable=False),
        sa.Column("cost", _text(), nullable=False),
        sa.Column("created_at", _text(), nullable=False),
        sa.Column("deleted_at", _text(), nullable=False),
        sa.Column("details", _text(), nullable=False, server_default="{}"),
    )
    op.create_index("deleted_jobs_created", "deleted_jobs", ["created_at"])
    op.create_table(
        "caps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("daily", _text()),
        sa.Column("session", _text()),
        sa.Column("session_since", _text()),
        sa.Column("damaged", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.CheckConstraint("id = 1", name="caps_one_row"),
    )


def downgrade() -> None:
    raise NotImplementedError("the store only moves forward; restore a backup to go back")
