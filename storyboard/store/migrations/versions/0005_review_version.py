"""reviews.version: the version of a storyboard a review was sent for, then the one decided on.

An approval of a storyboard holds for the version the reviewer saw: once the draft is saved again
(drafts.version, +1 on every save) the editor and the brief say it changed since. Takes are
snapshots, so their reviews leave it NULL; so do reviews made before this revision (nothing says
which version they saw, so nothing is claimed of them).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reviews", sa.Column("version", sa.Integer))  # SQLite adds a column in place


def downgrade() -> None:
    raise NotImplementedError("the store only moves forward; restore a backup to go back")
