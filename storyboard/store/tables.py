"""The tables as the latest migration leaves them, for the store's queries (SQLAlchemy Core).

Every column is text as in the first release, so both engines hand back the same values:
timestamps are ISO strings (UTC, so they sort as text), costs are decimal strings, details are
JSON text. On PostgreSQL text compares byte by byte (collation "C"), as SQLite's does: the key
ranges and the order of timestamps are the same on both engines whatever the server's locale.
A change here is made by a new revision in migrations/versions, never here alone.
"""

from __future__ import annotations

import sqlalchemy as sa


def text() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


metadata = sa.MetaData()

drafts = sa.Table(
    "drafts",
    metadata,
    sa.Column("id", text(), primary_key=True),
    sa.Column("name", text(), nullable=False),
    sa.Column("body", text(), nullable=False),
    sa.Column("updated_at", text(), nullable=False),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", text(), primary_key=True),
    sa.Column("idempotency_key", text(), nullable=False, unique=True),
    sa.Column("storyboard_id", text(), nullable=False),
    sa.Column("provider", text(), nullable=False),
    sa.Column("model", text(), nullable=False),
    sa.Column("state", text(), nullable=False),
    sa.Column("cost", text(), nullable=False),
    sa.Column("body", text(), nullable=False),
    sa.Column("details", text(), nullable=False, server_default="{}"),
    sa.Column("created_at", text(), nullable=False),
    sa.Column("updated_at", text(), nullable=False),
)

# Deleted takes: their keys are never used again, and what they cost still counts as spent.
deleted_jobs = sa.Table(
    "deleted_jobs",
    metadata,
    sa.Column("id", text(), primary_key=True),
    sa.Column("idempotency_key", text(), nullable=False, unique=True),
    sa.Column("storyboard_id", text(), nullable=False),
    sa.Column("provider", text(), nullable=False),
    sa.Column("state", text(), nullable=False),
    sa.Column("cost", text(), nullable=False),
    sa.Column("created_at", text(), nullable=False),
    sa.Column("deleted_at", text(), nullable=False),
    sa.Column("details", text(), nullable=False, server_default="{}"),
)

# The spending caps, beside the spend they are checked against (one row; budget.py reads it).
caps = sa.Table(
    "caps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("daily", text()),
    sa.Column("session", text()),
    sa.Column("session_since", text()),
    sa.Column("damaged", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.CheckConstraint("id = 1"),
)
