"""The trust database (audit log, consent records) behind SQLAlchemy, so that one setting moves it from the
SQLite file in the data home to a server shared by several machines:

    VOCALIS_DB_URL=postgresql+psycopg://user@host/vocalis   (default: sqlite:///$VOCALIS_HOME/trust.sqlite3)
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Engine, Integer, MetaData, String, Table, Text

from vocalis.database import engine_for, shared_url, sqlite_url
from vocalis.database import release as release_url
from vocalis.home import data_home

metadata = MetaData()

audit_table = Table(
    "audit_log", metadata,
    # Assigned by the writer as the last seq + 1, so two writers racing for the same place collide on the key
    # and one retries: the chain never forks.
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("time", String(32), nullable=False),  # ISO 8601, UTC
    Column("event", String(32), nullable=False),  # synthesis, consent.spoken, consent.written, consent.revoked
    Column("who", String(128), nullable=False),  # user:NAME, key:NAME, address:IP, webui:IP
    Column("voice", String(64)),
    Column("voice_id", String(32)),
    Column("text", Text),  # None when texts are kept as hashes only (VOCALIS_AUDIT_TEXT=hash)
    Column("text_sha256", String(64)),
    Column("params", Text, nullable=False),  # JSON, keys sorted
    Column("output_sha256", String(64)),  # SHA-256 of the output's 16-bit PCM samples (see trust.audit)
    Column("mark_id", BigInteger, index=True),  # the id carried by the output's watermark
    Column("prev_hash", String(64), nullable=False, unique=True),
    Column("hash", String(64), nullable=False),
)

# The newest record's seq and hash, written in the same transaction as the record: without it, deleting the
# last records would leave a chain that still checks.
audit_head_table = Table(
    "audit_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

consent_table = Table(
    "consent", metadata,
    Column("voice_id", String(32), primary_key=True),  # the voice's content (see Voice.id): renames keep it
    Column("voice", String(64), nullable=False),  # its name when consent was given
    Column("kind", String(16), nullable=False),  # spoken | written
    Column("granted_at", String(32), nullable=False),
    Column("granted_by", String(128), nullable=False),
    Column("evidence", Text, nullable=False),  # JSON: what was checked (transcript, scores, document hash)
    Column("revoked_at", String(32)),
    Column("revoked_by", String(128)),
)

# The phrase a voice's owner is asked to say; one open challenge per voice.
challenge_table = Table(
    "consent_challenge", metadata,
    Column("voice_id", String(32), primary_key=True),
    Column("voice", String(64), nullable=False),
    Column("phrase", Text, nullable=False),
    Column("language", String(8), nullable=False),
    Column("issued_at", String(32), nullable=False),
)

def db_url() -> str:
    """Read at each use: the data home may change (tests give each test its own)."""
    return shared_url() or sqlite_url(data_home() / "trust.sqlite3")


def trust_db() -> Engine:
    """The engine for the configured database, its tables created on first use (once per URL and process)."""
    return engine_for(db_url(), metadata)


def release() -> None:
    """Close the trust database's pooled connections (before its SQLite file is replaced)."""
    release_url(db_url())
