"""The SQLite access the server's stores (jobs, API keys) share; their files live in the data home."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def database(path: Path, *schema: str) -> Iterator[sqlite3.Connection]:
    """A connection for one transaction (committed on success, rolled back on error), then closed.
    A connection per use keeps threads apart; WAL lets readers go on while the job worker writes."""
    db = sqlite3.connect(path, timeout=30)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        with db:
            for statement in schema:  # CREATE ... IF NOT EXISTS: a fresh home needs no setup step
                db.execute(statement)
            yield db
    finally:
        db.close()
