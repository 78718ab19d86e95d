"""Alembic's entry point, run by storyboard.store.schema on the store's own connection, inside the
transaction the store opened (so a migration and the caps it carries in commit together)."""

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit(
        "The store runs its migrations itself when it opens a database; "
        "see storyboard/store/schema.py to run or write one."
    )
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
