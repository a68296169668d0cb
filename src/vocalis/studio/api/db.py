"""The SQLite access the server's stores (jobs, API keys) share; their files live in the data home."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from vocalis.home import private_file

# Files whose journal mode and tables are set up. Once per file and process, not on every connection:
# API keys are looked up on every /v1 request.
_READY: set[Path] = set()


@contextmanager
def database(path: Path, *schema: str,
             upgrade: Callable[[sqlite3.Connection], None] | None = None) -> Iterator[sqlite3.Connection]:
    """A connection for one transaction (committed on success, rolled back on error), then closed.
    A connection per use keeps threads apart; WAL lets readers go on while the job worker writes.
    `upgrade` brings a file made by an older version up to `schema` (after it, in the same setup)."""
    db = sqlite3.connect(private_file(path) if path not in _READY else path, timeout=30)
    try:
        if path not in _READY:
            db.execute("PRAGMA journal_mode=WAL")  # a property of the file: it stays
            with db:
                for statement in schema:  # CREATE ... IF NOT EXISTS: a fresh home needs no setup step
                    db.execute(statement)
                if upgrade:
                    upgrade(db)
            _READY.add(path)
        with db:
            yield db
    finally:
        db.close()
