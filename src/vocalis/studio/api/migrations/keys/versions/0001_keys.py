"""API keys, with roles. A key table an earlier version made (before migrations, maybe before roles) is kept
and brought up to date.

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
    inspector = sa.inspect(op.get_bind())
    if "keys" not in inspector.get_table_names():
        op.create_table(
            "keys",
            sa.Column("name", sa.String(64), primary_key=True),
            sa.Column("sha256", sa.String(64), nullable=False, unique=True),
            sa.Column("hint", sa.String(16), nullable=False),
            sa.Column("rate", sa.Integer),
            sa.Column("created_at", sa.Float, nullable=False),
            sa.Column("revoked_at", sa.Float),
            sa.Column("operator", sa.Boolean, nullable=False, server_default=sa.false()))
    elif "operator" not in {c["name"] for c in inspector.get_columns("keys")}:  # keys made before roles
        op.add_column("keys", sa.Column("operator", sa.Boolean, nullable=False, server_default=sa.false()))
