"""The market's database: the audit log's ($VOCALIS_DB_URL, default SQLite in the data home), its tables
brought to the newest migration (migrations/versions) by alembic once per URL and process."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from vocalis.database import migrated
from vocalis.trust.db import db_url, trust_db

VERSIONS = Path(__file__).parent / "migrations" / "versions"


def market_db() -> Engine:
    trust_db()  # the trust tables beside the market's (they are not alembic's)
    return migrated(db_url(), VERSIONS, "market_alembic_version")
