"""The databases Vocalis keeps, through SQLAlchemy: one engine per URL and process, its tables created on first
use. `VOCALIS_DB_URL` (e.g. `postgresql+psycopg://user@host/vocalis`) puts everything several servers must
share in one database; without it, each store is a SQLite file in the data home."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import Engine, MetaData, create_engine, event

from vocalis.home import private_file

DB_URL_ENV = "VOCALIS_DB_URL"

_engines: dict[str, Engine] = {}
MIGRATION_ENV = Path(__file__).parent / "migration_env"  # alembic's env.py, the same for every store

_created: set[tuple[str, int]] = set()  # (url, id(metadata)) whose tables exist
_migrated: set[tuple[str, str]] = set()  # (url, versions folder) brought to the newest revision
_lock = threading.Lock()


def shared_url() -> str | None:
    """The shared database's URL, or None: read at each use (tests give each test its own data home)."""
    return os.environ.get(DB_URL_ENV) or None


def sqlite_url(path: Path) -> str:
    """A SQLite file's URL, the file made private (0600) before SQLite creates it."""
    return f"sqlite:///{private_file(path)}"


def engine_for(url: str, metadata: MetaData | None = None) -> Engine:
    """The engine for `url`, with `metadata`'s tables created once per URL and process."""
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_engine(url)
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_setup)
            _engines[url] = engine
        if metadata is not None and (url, id(metadata)) not in _created:
            metadata.create_all(engine)
            _created.add((url, id(metadata)))
        return engine


def migrated(url: str, versions: Path, version_table: str) -> Engine:
    """The engine for `url`, its tables brought to the newest revision in the alembic `versions` folder once per
    URL and process (a no-op when they are there already). `version_table`: where alembic keeps the revision
    (each store its own, since several may share one database)."""
    from alembic import command
    from alembic.config import Config

    engine = engine_for(url)
    with _lock:
        if (url, str(versions)) in _migrated:
            return engine
        config = Config()
        config.set_main_option("script_location", str(MIGRATION_ENV))
        config.set_main_option("version_locations", str(versions))
        with engine.begin() as connection:
            config.attributes.update(connection=connection, version_table=version_table)
            command.upgrade(config, "head")
        _migrated.add((url, str(versions)))
    return engine


def release(url: str) -> None:
    """Close `url`'s pooled connections (before its SQLite file is replaced); the next use opens it afresh."""
    with _lock:
        engine = _engines.pop(url, None)
        _created.difference_update({key for key in _created if key[0] == url})
        _migrated.difference_update({key for key in _migrated if key[0] == url})
    if engine is not None:
        engine.dispose()


def _sqlite_setup(connection: sqlite3.Connection, _record: object) -> None:
    # WAL: readers go on while one writer writes; wait for a busy writer rather than fail.
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA busy_timeout=30000")
