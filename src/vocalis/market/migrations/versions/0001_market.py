"""The market: accounts, listings, licences and the hash-chained ledger.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

WEI = sa.String(78)  # market.schema.Wei: 78 zero-padded digits


def upgrade() -> None:
    op.create_table(
        "market_accounts",
        sa.Column("id", sa.String(128), primary_key=True), sa.Column("wallet", sa.String(42)),
        sa.Column("balance", WEI, nullable=False), sa.Column("earned", WEI, nullable=False),
        sa.Column("spent", WEI, nullable=False), sa.Column("created_at", sa.String(32), nullable=False))
    op.create_table(
        "market_listings",
        sa.Column("cid", sa.String(100), primary_key=True),
        sa.Column("creator", sa.String(128), nullable=False, index=True),
        sa.Column("voice", sa.String(64), nullable=False),
        sa.Column("voice_id", sa.String(32), nullable=False, index=True),
        sa.Column("listing", sa.Text, nullable=False), sa.Column("terms", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False), sa.Column("published_at", sa.String(32), nullable=False),
        sa.Column("delisted_at", sa.String(32)), sa.Column("delisted_why", sa.Text))
    op.create_table(
        "market_licences",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("cid", sa.String(100), nullable=False, index=True),
        sa.Column("buyer", sa.String(128), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False), sa.Column("terms", sa.Text, nullable=False),
        sa.Column("granted_at", sa.String(32), nullable=False), sa.Column("expires_at", sa.String(32)),
        sa.Column("chars_used", sa.BigInteger, nullable=False), sa.Column("uses", sa.Integer, nullable=False),
        sa.Column("revoked_at", sa.String(32)))
    op.create_table(
        "market_ledger",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("time", sa.String(32), nullable=False), sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("account", sa.String(128), nullable=False, index=True),
        sa.Column("amount", WEI, nullable=False), sa.Column("moves", sa.Text, nullable=False),
        sa.Column("licence_id", sa.String(32)), sa.Column("cid", sa.String(100)),
        sa.Column("idempotency_key", sa.String(200), unique=True),
        sa.Column("chars", sa.Integer), sa.Column("seconds", sa.Float),
        sa.Column("mark_id", sa.BigInteger, index=True),
        sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("hash", sa.String(64), nullable=False))
    op.create_table(
        "market_ledger_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False), sa.Column("hash", sa.String(64), nullable=False))


def downgrade() -> None:
    for table in ("market_ledger_head", "market_ledger", "market_licences", "market_listings", "market_accounts"):
        op.drop_table(table)
