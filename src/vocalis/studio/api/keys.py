"""API keys (`vocalis keys create|revoke|list`), kept in $VOCALIS_HOME/api_keys.sqlite3 or the shared database
(see tables.py). An operator key may also accept written consent for a cloned voice
(`POST /v1/voices/NAME/consent/document`).

Only a key's SHA-256 is stored: the secret is shown once, at creation. Secrets are random (32 bytes from
`secrets`) with a recognisable `vk_` prefix, so a plain hash is enough (no salt or slow hash needed: there
is nothing to guess) and a leaked one is easy to spot in logs and code."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from vocalis.errors import VocalisError
from vocalis.studio.api.tables import keys_db
from vocalis.studio.api.tables import keys_table as keys

PREFIX = "vk_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_COLUMNS = (keys.c.name, keys.c.hint, keys.c.rate, keys.c.created_at, keys.c.revoked_at, keys.c.operator)


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
    """The keys in the configured database (see tables.py), or in the SQLite file `path`."""

    def __init__(self, path: Path | None = None):
        self._path = path

    @property
    def db(self) -> Engine:  # looked up at each use: the data home and the database URL may change
        return keys_db(self._path)

    @property
    def where(self) -> str:
        """Where the keys are kept, for people: a file, or the database's URL without its password."""
        url = self.db.url
        return url.database if url.get_backend_name() == "sqlite" else url.render_as_string(hide_password=True)

    def create(self, name: str, rate: int | None = None, operator: bool = False) -> str:
        """A new key's secret (shown once: only its hash is kept). A revoked key's name can be reused."""
        if not _NAME.match(name):
            raise VocalisError(f"key name {name!r} is not allowed: use 1-64 letters, digits, '_', '-', '.' or '@'")
        if rate is not None and rate < 1:
            raise VocalisError(f"rate {rate} is not allowed: give requests per minute, 1 or more")
        secret = PREFIX + secrets.token_urlsafe(32)
        exists = VocalisError(f"a key named {name!r} exists: revoke it first (vocalis keys revoke {name})")
        try:
            with self.db.begin() as db:
                if db.execute(select(keys.c.name).where(keys.c.name == name, keys.c.revoked_at.is_(None))).first():
                    raise exists
                db.execute(delete(keys).where(keys.c.name == name))  # a revoked key of that name
                db.execute(insert(keys).values(name=name, sha256=_digest(secret), hint=secret[:7], rate=rate,
                                               created_at=time.time(), operator=operator))
        except IntegrityError:  # another server made it meanwhile
            raise exists from None
        return secret

    def revoke(self, name: str) -> None:
        with self.db.begin() as db:
            done = db.execute(update(keys).where(keys.c.name == name, keys.c.revoked_at.is_(None))
                              .values(revoked_at=time.time())).rowcount
        if not done:
            raise VocalisError(f"no active key named {name!r} (see vocalis keys list)")

    def keys(self) -> list[ApiKey]:
        with self.db.connect() as db:
            return [_key(row) for row in db.execute(select(*_COLUMNS).order_by(keys.c.name))]

    def any_active(self) -> bool:
        with self.db.connect() as db:
            return db.execute(select(keys.c.name).where(keys.c.revoked_at.is_(None)).limit(1)).first() is not None

    def find(self, secret: str) -> ApiKey | None:
        """The key (active or revoked) whose secret this is."""
        with self.db.connect() as db:
            row = db.execute(select(*_COLUMNS).where(keys.c.sha256 == _digest(secret))).first()
        return _key(row) if row else None


def _key(row: Row) -> ApiKey:
    *fields, operator = row
    return ApiKey(*fields, operator=bool(operator))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
