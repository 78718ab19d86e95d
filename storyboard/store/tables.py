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
    sa.Column("author", text(), nullable=False, server_default=""),  # email; "" = people.SOLO
    sa.Column("updated_by", text(), nullable=False, server_default=""),
    sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),  # +1 on each save
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
    sa.Column("author", text(), nullable=False, server_default=""),
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
    sa.Column("author", text(), nullable=False, server_default=""),
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

# ---- a team (issue 13; migration 0004) --------------------------------------------------------------

members = sa.Table(
    "members",
    metadata,
    sa.Column("email", text(), primary_key=True),  # people.email_key
    sa.Column("name", text(), nullable=False, server_default=""),
    sa.Column("role", text(), nullable=False),  # people.Role
    sa.Column("added_by", text(), nullable=False, server_default=""),
    sa.Column("added_at", text(), nullable=False),
    sa.Column("joined_at", text()),  # NULL: invited, not signed in yet
    sa.Column("daily_cap", text()),  # USD a day for this person; NULL: none
)

presence = sa.Table(
    "presence",
    metadata,
    sa.Column("session", text(), primary_key=True),
    sa.Column("draft_id", text(), nullable=False),
    sa.Column("email", text(), nullable=False),
    sa.Column("name", text(), nullable=False),
    sa.Column("seen_at", text(), nullable=False),
)

reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("id", text(), primary_key=True),
    sa.Column("kind", text(), nullable=False),  # "storyboard" | "take"
    sa.Column("subject_id", text(), nullable=False),
    sa.Column("storyboard_id", text(), nullable=False),
    sa.Column("requested_by", text(), nullable=False),
    sa.Column("requested_at", text(), nullable=False),
    sa.Column("state", text(), nullable=False),  # "waiting" | "approved" | "changes requested"
    sa.Column("decided_by", text()),
    sa.Column("decided_at", text()),
    # a storyboard's draft version sent for review, then the one decided on; NULL for a take (0005)
    sa.Column("version", sa.Integer),
)

review_reviewers = sa.Table(
    "review_reviewers",
    metadata,
    sa.Column("review_id", text(), sa.ForeignKey("reviews.id"), primary_key=True),
    sa.Column("email", text(), primary_key=True),
)

comments = sa.Table(
    "comments",
    metadata,
    sa.Column("id", text(), primary_key=True),
    sa.Column("kind", text(), nullable=False),
    sa.Column("subject_id", text(), nullable=False),
    sa.Column("review_id", text()),
    sa.Column("author", text(), nullable=False),
    sa.Column("author_name", text(), nullable=False),
    sa.Column("body", text(), nullable=False),
    sa.Column("shot", sa.Integer),  # 0-based; NULL: not on a shot
    sa.Column("at_seconds", sa.Float),  # a moment of the video; NULL: not at a moment
    sa.Column("created_at", text(), nullable=False),
)

activity = sa.Table(
    "activity",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", text(), nullable=False),
    sa.Column("email", text(), nullable=False),
    sa.Column("name", text(), nullable=False),
    sa.Column("action", text(), nullable=False),
    sa.Column("subject", text(), nullable=False, server_default=""),
    sa.Column("summary", text(), nullable=False),
)
