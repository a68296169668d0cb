"""The server's own tables, API keys and the job queue, through SQLAlchemy. On a shared database
($VOCALIS_DB_URL) several servers use them together: a key made on one opens all, and each job is claimed by
exactly one worker. Without it, each is a SQLite file in the data home, as older versions kept them (same
tables: an existing home carries on)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
    inspect,
    text,
)

from vocalis.database import engine_for, shared_url, sqlite_url
from vocalis.home import data_home

keys_metadata, jobs_metadata = MetaData(), MetaData()

keys_table = Table(
    "keys", keys_metadata,
    Column("name", String(64), primary_key=True),
    Column("sha256", String(64), nullable=False, unique=True),  # only the secret's hash is kept
    Column("hint", String(16), nullable=False),
    Column("rate", Integer),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float),
    Column("operator", Boolean, nullable=False, server_default=false()),
)

jobs_table = Table(
    "jobs", jobs_metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),  # the queue's order
    Column("id", String(32), nullable=False, unique=True),
    Column("owner", String(64)),
    Column("kind", String(16), nullable=False),
    Column("spec", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("done", Integer, nullable=False, server_default="0"),
    Column("total", Integer, nullable=False),
    Column("fraction", Float, nullable=False, server_default="0"),
    Column("errors", Text, nullable=False, server_default="[]"),
    Column("result", Text),
    Column("media_type", String(64)),
    Column("created_at", Float, nullable=False),
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("worker", String(128)),  # who runs it: host:pid:token (see jobqueue.JobQueue)
    Column("heartbeat_at", Float),  # when that worker last said it still does
    Index("jobs_by_status", "status", "seq"),
    sqlite_autoincrement=True,
)


def keys_db() -> Engine:
    return engine_for(shared_url() or sqlite_url(data_home() / "api_keys.sqlite3"), keys_metadata, add_operator_column)


def jobs_db() -> Engine:
    folder = data_home() / "jobs"
    folder.mkdir(exist_ok=True)
    return engine_for(shared_url() or sqlite_url(folder / "queue.sqlite3"), jobs_metadata, add_lease_columns)


def add_lease_columns(connection: Connection) -> None:
    """A queue made before jobs had leases: its running jobs have no worker, so the next server takes them up."""
    columns = {c["name"] for c in inspect(connection).get_columns("jobs")}
    for name, kind in (("worker", "VARCHAR(128)"), ("heartbeat_at", "FLOAT")):
        if name not in columns:
            connection.execute(text(f"ALTER TABLE jobs ADD COLUMN {name} {kind}"))


def add_operator_column(connection: Connection) -> None:
    """A key table made before keys had roles: its keys are not operators."""
    if "operator" not in {c["name"] for c in inspect(connection).get_columns("keys")}:
        connection.execute(text("ALTER TABLE keys ADD COLUMN operator BOOLEAN NOT NULL DEFAULT FALSE"))
