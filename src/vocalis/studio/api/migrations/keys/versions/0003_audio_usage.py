"""Audio seconds per client, for servers that share a database: the hourly budget per key holds across them.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audio_usage",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
    )
    op.create_index("ix_audio_usage_client_at", "audio_usage", ["client", "at"])
    op.create_index("ix_audio_usage_at", "audio_usage", ["at"])
