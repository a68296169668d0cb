"""The web UI's history records (their audio stays in the data home's history folder).

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webui_history",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("audio", sa.String(255), nullable=False),
        sa.Column("subtitles", sa.String(255)),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("render_s", sa.Float, nullable=False),
    )
