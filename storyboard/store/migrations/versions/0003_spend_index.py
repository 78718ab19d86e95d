"""Spend from the index alone: jobs(created_at, state, provider, cost) replaces jobs(created_at).

The cap check (every editor rerun) and the Takes page's totals read what the takes that count cost.
With only jobs(created_at) each such take was a visit to its row in the table, whose body (about
1 KB) puts nearly every take on its own page: with 100,000 takes in PostgreSQL the all-time totals
took 0.7 s and a 3-day session's spend 22 ms (bench/caps_check.py, bench/takes_page.py --postgres).
With the columns those queries read in the index, they are index-only scans. The new index starts
with created_at, so whatever went by jobs_created (the Takes list, newest first) goes by it.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("jobs_spend", "jobs", ["created_at", "state", "provider", "cost"])
    op.drop_index("jobs_created", table_name="jobs")


def downgrade() -> None:
    raise NotImplementedError("the store only moves forward; restore a backup to go back")
