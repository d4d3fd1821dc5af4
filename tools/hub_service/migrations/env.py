"""alembic's environment for the hub service: run by tools.hub_service.db.migrate on its connection."""
from alembic import context

from tools.hub_service.db import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
