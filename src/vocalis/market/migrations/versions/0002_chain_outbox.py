"""The on-chain mirror's outbox, and each listing's token.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "market_chain_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("cid", sa.String(100), nullable=False, index=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("tx_hash", sa.String(66)),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("done_at", sa.String(32)))
    with op.batch_alter_table("market_listings") as table:  # batch: SQLite alters by copying the table
        table.add_column(sa.Column("token_id", sa.BigInteger))


def downgrade() -> None:
    with op.batch_alter_table("market_listings") as table:
        table.drop_column("token_id")
    op.drop_table("market_chain_outbox")
