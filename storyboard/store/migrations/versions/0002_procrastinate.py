"""Procrastinate's tables, on PostgreSQL only: where the takes' queue lives (storyboard.runner.queue).

Takes are run by `storyboard-worker` processes only on PostgreSQL; SQLite keeps them in the app's
threads, so nothing is made there. The schema is Procrastinate 3.10.0's, kept beside the migrations
(procrastinate-3.10.0.sql) rather than read from the installed package: this revision must make
the same tables on a new database whatever Procrastinate is installed by then. Moving to a later
Procrastinate is a new revision running its `sql/migrations/*.sql` files
(`procrastinate schema --migrations-path`), so the queue's schema moves with the store's, in the
same transaction, by the same process that opens the store.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = Path(__file__).resolve().parent.parent / "procrastinate-3.10.0.sql"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # On psycopg's own cursor, in the migration's transaction, with no parameters: sent as it is
    # (several statements; its `%` are not placeholders, as SQLAlchemy would make them).
    cursor = op.get_bind().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(SCHEMA.read_text(encoding="utf-8"))


def downgrade() -> None:
    raise NotImplementedError("the store only moves forward; restore a backup to go back")
