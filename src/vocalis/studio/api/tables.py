"""The server's own tables, API keys and the job queue, through SQLAlchemy, their schemas kept by alembic
(migrations/keys, migrations/jobs; the definitions below are what the code queries). On a shared database
($VOCALIS_DB_URL) several servers use them together: a key made on one opens all, and each job is claimed by
exactly one worker. Without it, each is a SQLite file in the data home, as older versions kept them (same
tables: an existing home carries on)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
)

from vocalis.database import migrated, shared_url, sqlite_url
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

# Rate-limit token buckets of servers sharing a database (see ratelimit.SharedBuckets); kept with the keys.
buckets_table = Table(
    "rate_buckets", keys_metadata,
    Column("client", String(200), primary_key=True),  # key:NAME or address:IP
    Column("rate", Integer, nullable=False),
    Column("tokens", Float, nullable=False),
    Column("updated", Float, nullable=False),  # wall-clock seconds: the servers share no monotonic clock
)

# Audio seconds each client made, a row per chunk, kept an hour (see usage.SharedUsage); kept with the keys.
usage_table = Table(
    "audio_usage", keys_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client", String(200), nullable=False),  # key:NAME or address:IP
    Column("at", Float, nullable=False),  # wall-clock seconds
    Column("seconds", Float, nullable=False),
    Index("ix_audio_usage_client_at", "client", "at"),
    Index("ix_audio_usage_at", "at"),
)


KEYS_VERSIONS = Path(__file__).parent / "migrations" / "keys" / "versions"
JOBS_VERSIONS = Path(__file__).parent / "migrations" / "jobs" / "versions"


def keys_db(path: Path | None = None) -> Engine:
    """The keys' database: the SQLite file `path`, else the shared one, else the data home's file."""
    url = sqlite_url(path) if path is not None else shared_url() or sqlite_url(data_home() / "api_keys.sqlite3")
    return migrated(url, KEYS_VERSIONS, "keys_alembic_version")


def jobs_db() -> Engine:
    folder = data_home() / "jobs"
    folder.mkdir(exist_ok=True)
    return migrated(shared_url() or sqlite_url(folder / "queue.sqlite3"), JOBS_VERSIONS, "jobs_alembic_version")
