"""Alembic's entry for every store's migrations (the market's, the API keys', the job queue's): run on the
connection `database.migrated` hands over, with the version table it names (each store keeps its own: they may
share one database, or each have a SQLite file)."""

from alembic import context

context.configure(connection=context.config.attributes["connection"],
                  version_table=context.config.attributes["version_table"])
with context.begin_transaction():
    context.run_migrations()
