"""A team: members and roles, who made what, versions of storyboards, who has one open, review and
comments, and the activity log (issue 13).

Single-person stores gain the tables empty and the new columns blank: `author` "" is the one
person of the single-person app (people.SOLO), `version` starts at 1 for every draft.
The activity log is never edited: triggers refuse UPDATE and DELETE on it, on both engines.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "members",
        sa.Column("email", _text(), primary_key=True),
        sa.Column("name", _text(), nullable=False, server_default=""),
        sa.Column("role", _text(), nullable=False),
        sa.Column("added_by", _text(), nullable=False, server_default=""),
        sa.Column("added_at", _text(), nullable=False),
        sa.Column("joined_at", _text()),
        sa.Column("daily_cap", _text()),
        sa.CheckConstraint("role IN ('owner', 'admin', 'editor', 'reviewer')", name="members_role"),
    )
    with op.batch_alter_table("drafts") as t:
        t.add_column(sa.Column("author", _text(), nullable=False, server_default=""))
        t.add_column(sa.Column("updated_by", _text(), nullable=False, server_default=""))
        t.add_column(sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")))
    with op.batch_alter_table("jobs") as t:
        t.add_column(sa.Column("author", _text(), nullable=False, server_default=""))
    with op.batch_alter_table("deleted_jobs") as t:
        t.add_column(sa.Column("author", _text(), nullable=False, server_default=""))
    # a person's spend today (their cap, checked on every Generate), from the index alone
    op.create_index("jobs_author_spend", "jobs", ["author", "created_at", "state", "cost"])
    op.create_index("deleted_jobs_author", "deleted_jobs", ["author", "created_at"])

    # who has a storyboard open now: one row per browser session, seen_at renewed while it is open
    op.create_table(
        "presence",
        sa.Column("session", _text(), primary_key=True),
        sa.Column("draft_id", _text(), nullable=False),
        sa.Column("email", _text(), nullable=False),
        sa.Column("name", _text(), nullable=False),
        sa.Column("seen_at", _text(), nullable=False),
    )
    op.create_index("presence_draft", "presence", ["draft_id", "seen_at"])

    # a storyboard or a take sent for review; `state`: waiting, approved, changes requested
    op.create_table(
        "reviews",
        sa.Column("id", _text(), primary_key=True),
        sa.Column("kind", _text(), nullable=False),  # "storyboard" or "take"
        sa.Column("subject_id", _text(), nullable=False),  # the draft's or the take's id
        sa.Column("storyboard_id", _text(), nullable=False),
        sa.Column("requested_by", _text(), nullable=False),
        sa.Column("requested_at", _text(), nullable=False),
        sa.Column("state", _text(), nullable=False),
        sa.Column("decided_by", _text()),
        sa.Column("decided_at", _text()),
        sa.CheckConstraint("kind IN ('storyboard', 'take')", name="reviews_kind"),
        sa.CheckConstraint("state IN ('waiting', 'approved', 'changes requested')", name="reviews_state"),
    )
    op.create_index("reviews_subject", "reviews", ["subject_id", "requested_at"])
    op.create_index("reviews_storyboard", "reviews", ["storyboard_id", "requested_at"])
    op.create_table(
        "review_reviewers",
        sa.Column("review_id", _text(), sa.ForeignKey("reviews.id"), primary_key=True),
        sa.Column("email", _text(), primary_key=True),
    )
    op.create_index("review_reviewers_email", "review_reviewers", ["email"])
    # a comment on a storyboard or a take: on a shot (`shot`, 0-based) or at a moment (`at_seconds`)
    op.create_table(
        "comments",
        sa.Column("id", _text(), primary_key=True),
        sa.Column("kind", _text(), nullable=False),
        sa.Column("subject_id", _text(), nullable=False),
        sa.Column("review_id", _text()),
        sa.Column("author", _text(), nullable=False),
        sa.Column("author_name", _text(), nullable=False),
        sa.Column("body", _text(), nullable=False),
        sa.Column("shot", sa.Integer),
        sa.Column("at_seconds", sa.Float),
        sa.Column("created_at", _text(), nullable=False),
    )
    op.create_index("comments_subject", "comments", ["subject_id", "created_at"])

    # who did what: appended to, never edited
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", _text(), nullable=False),
        sa.Column("email", _text(), nullable=False),
        sa.Column("name", _text(), nullable=False),
        sa.Column("action", _text(), nullable=False),
        sa.Column("subject", _text(), nullable=False, server_default=""),
        sa.Column("summary", _text(), nullable=False),
    )
    op.create_index("activity_at", "activity", ["at"])
    if postgres:
        op.execute(
            """CREATE FUNCTION activity_never_edited() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'the activity log is never edited'; END $$"""
        )
        op.execute(
            "CREATE TRIGGER activity_never_edited BEFORE UPDATE OR DELETE ON activity "
            "FOR EACH ROW EXECUTE FUNCTION activity_never_edited()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER activity_never_{verb.lower()}d BEFORE {verb} ON activity "
                "BEGIN SELECT RAISE(ABORT, 'the activity log is never edited'); END"
            )


def downgrade() -> None:
    raise NotImplementedError("the store only moves forward; restore a backup to go back")
