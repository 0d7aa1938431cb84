"""Alembic environment for the replyassist store.

Migrations run only through :meth:`replyassist.service.store.Store.migrate`, which hands over
an open connection (already holding the migration lock) in ``config.attributes["connection"]``.
No logging configuration is loaded: the host application owns logging.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from replyassist.service._store_schema import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations with Store.migrate() or `replyassist db upgrade`, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite alters tables by copying them; batch mode lets later migrations do that.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
