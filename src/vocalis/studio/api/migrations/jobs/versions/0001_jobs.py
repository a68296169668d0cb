"""The job queue, with leases. A queue an earlier version made (before migrations and leases) is kept and given
the lease columns: its running jobs have no worker, so the next server takes them up.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

LEASE = (("worker", sa.String(128)), ("heartbeat_at", sa.Float))


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if "jobs" in inspector.get_table_names():
        present = {c["name"] for c in inspector.get_columns("jobs")}
        for name, kind in LEASE:
            if name not in present:
                op.add_column("jobs", sa.Column(name, kind))
        return
    op.create_table(
        "jobs",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(32), nullable=False, unique=True),
        sa.Column("owner", sa.String(64)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("fraction", sa.Float, nullable=False, server_default="0"),
        sa.Column("errors", sa.Text, nullable=False, server_default="[]"),
        sa.Column("result", sa.Text),
        sa.Column("media_type", sa.String(64)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("started_at", sa.Float),
        sa.Column("finished_at", sa.Float),
        *(sa.Column(name, kind) for name, kind in LEASE),
        sqlite_autoincrement=True)
    op.create_index("jobs_by_status", "jobs", ["status", "seq"])
