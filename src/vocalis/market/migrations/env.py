"""Alembic's entry for the market's migrations: run on the connection `market.db` hands over, with a version
table of the market's own (the trust tables beside it are not alembic's)."""

from alembic import context

context.configure(connection=context.config.attributes["connection"], version_table="market_alembic_version")
with context.begin_transaction():
    context.run_migrations()
