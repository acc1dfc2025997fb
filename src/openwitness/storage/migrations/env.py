"""Alembic environment: always run with a connection handed over by ``Database.migrate``."""

from alembic import context

from openwitness.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through openwitness.storage.db.Database.migrate()")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
