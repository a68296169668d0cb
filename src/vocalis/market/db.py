"""The market's database: the audit log's ($VOCALIS_DB_URL, default SQLite in the data home), its tables
brought to the newest migration by alembic once per URL and process."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine

from vocalis.trust.db import db_url, trust_db

_upgraded: set[str] = set()
_lock = threading.Lock()


def market_db() -> Engine:
    engine = trust_db()
    with _lock:
        url = db_url()
        if url not in _upgraded:
            upgrade(engine)
            _upgraded.add(url)
    return engine


def upgrade(engine: Engine) -> None:
    """Run the market's migrations up to the newest (a no-op when the database is there already)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
