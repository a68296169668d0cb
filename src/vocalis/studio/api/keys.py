"""API keys (`vocalis keys create|revoke|list`), kept in $VOCALIS_HOME/api_keys.sqlite3. An operator key may
also accept written consent for a cloned voice (`POST /v1/voices/NAME/consent/document`).

Only a key's SHA-256 is stored: the secret is shown once, at creation. Secrets are random (32 bytes from
`secrets`) with a recognisable `vk_` prefix, so a plain hash is enough (no salt or slow hash needed: there
is nothing to guess) and a leaked one is easy to spot in logs and code."""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from vocalis.errors import VocalisError
from vocalis.home import data_home
from vocalis.studio.api.db import database

PREFIX = "vk_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_SCHEMA = """CREATE TABLE IF NOT EXISTS keys (
    name TEXT PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, hint TEXT NOT NULL, rate INTEGER,
    created_at REAL NOT NULL, revoked_at REAL, operator INTEGER NOT NULL DEFAULT 0)"""
_COLUMNS = "name, hint, rate, created_at, revoked_at, operator"


@dataclass(frozen=True)
class ApiKey:
    name: str
    hint: str  # the secret's first characters, to tell keys apart in a list
    rate: int | None  # requests per minute; None: the server's default
    created_at: float
    revoked_at: float | None
    operator: bool = False  # may accept written consent documents

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class KeyStore:
    def __init__(self, path: Path | None = None):
        self.path = path or data_home() / "api_keys.sqlite3"

    def _connect(self) -> AbstractContextManager[sqlite3.Connection]:
        return database(self.path, _SCHEMA, upgrade=_add_operator_column)

    def create(self, name: str, rate: int | None = None, operator: bool = False) -> str:
        """A new key's secret (shown once: only its hash is kept). A revoked key's name can be reused."""
        if not _NAME.match(name):
            raise VocalisError(f"key name {name!r} is not allowed: use 1-64 letters, digits, '_', '-', '.' or '@'")
        if rate is not None and rate < 1:
            raise VocalisError(f"rate {rate} is not allowed: give requests per minute, 1 or more")
        secret = PREFIX + secrets.token_urlsafe(32)
        with self._connect() as db:
            row = db.execute("SELECT revoked_at FROM keys WHERE name = ?", (name,)).fetchone()
            if row and row[0] is None:
                raise VocalisError(f"a key named {name!r} exists: revoke it first (vocalis keys revoke {name})")
            db.execute("INSERT OR REPLACE INTO keys (name, sha256, hint, rate, created_at, operator) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (name, _digest(secret), secret[:7], rate, time.time(), operator))
        return secret

    def revoke(self, name: str) -> None:
        with self._connect() as db:
            done = db.execute("UPDATE keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                              (time.time(), name)).rowcount
        if not done:
            raise VocalisError(f"no active key named {name!r} (see vocalis keys list)")

    def keys(self) -> list[ApiKey]:
        with self._connect() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM keys ORDER BY name").fetchall()
        return [_key(row) for row in rows]

    def any_active(self) -> bool:
        with self._connect() as db:
            return db.execute("SELECT 1 FROM keys WHERE revoked_at IS NULL LIMIT 1").fetchone() is not None

    def find(self, secret: str) -> ApiKey | None:
        """The key (active or revoked) whose secret this is."""
        with self._connect() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM keys WHERE sha256 = ?", (_digest(secret),)).fetchone()
        return _key(row) if row else None


def _add_operator_column(db: sqlite3.Connection) -> None:
    """A file made before keys had roles: its keys are not operators."""
    if "operator" not in {row[1] for row in db.execute("PRAGMA table_info(keys)")}:
        db.execute("ALTER TABLE keys ADD COLUMN operator INTEGER NOT NULL DEFAULT 0")


def _key(row: tuple) -> ApiKey:
    *fields, operator = row
    return ApiKey(*fields, operator=bool(operator))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
