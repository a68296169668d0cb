"""The audio seconds each client (an API key, or an address on a server without keys) made in the last hour,
against the server's budget per client (`vocalis serve --key-seconds`): a request is refused once it is spent,
and a render under way stops there.

One server keeps the seconds in memory (a restart forgives). Servers sharing a database (`VOCALIS_DB_URL`) keep
them there, so that the budget holds across all of them rather than once per server."""

from __future__ import annotations

import threading
import time
from collections import deque

from sqlalchemy import Engine, delete, func, insert, select

from vocalis.database import shared_url
from vocalis.studio.api.errors import ApiError
from vocalis.studio.api.tables import keys_db, usage_table

HOUR = 3600.0


class Usage:
    """A budget of audio seconds per client and hour (0: none); `used` and `add` say where they are kept."""

    def __init__(self, per_hour: float):
        self.per_hour = per_hour

    def used(self, client: str) -> float:
        raise NotImplementedError

    def add(self, client: str, seconds: float) -> None:
        raise NotImplementedError

    def spent(self, client: str) -> bool:
        return bool(self.per_hour) and self.used(client) >= self.per_hour

    def check(self, client: str) -> None:
        if self.spent(client):
            used = self.used(client)
            raise ApiError(429, f"this client made {used:.0f} s of audio in the last hour, the server's limit is "
                                f"{self.per_hour:.0f} s: retry later", headers={"Retry-After": "600"})


class MemoryUsage(Usage):
    """One server's seconds."""

    def __init__(self, per_hour: float):
        super().__init__(per_hour)
        self._made: dict[str, deque[tuple[float, float]]] = {}
        self._lock = threading.Lock()

    def used(self, client: str) -> float:
        now = time.monotonic()
        with self._lock:
            made = self._made.get(client, deque())
            while made and made[0][0] < now - HOUR:
                made.popleft()
            return sum(seconds for _, seconds in made)

    def add(self, client: str, seconds: float) -> None:
        if not self.per_hour:
            return  # no budget: nothing to remember
        with self._lock:
            self._made.setdefault(client, deque()).append((time.monotonic(), seconds))


class SharedUsage(Usage):
    """The seconds in the shared database: a row per chunk rendered, kept for an hour."""

    def __init__(self, per_hour: float, engine: Engine):
        super().__init__(per_hour)
        self.engine = engine

    def used(self, client: str) -> float:
        table = usage_table
        with self.engine.connect() as db:
            return float(db.execute(select(func.coalesce(func.sum(table.c.seconds), 0.0))
                                    .where(table.c.client == client, table.c.at >= time.time() - HOUR)).scalar_one())

    def add(self, client: str, seconds: float) -> None:
        if not self.per_hour:
            return
        now = time.time()  # wall-clock seconds: the servers share no monotonic clock
        with self.engine.begin() as db:
            db.execute(delete(usage_table).where(usage_table.c.at < now - HOUR))  # what no budget counts any more
            db.execute(insert(usage_table).values(client=client, at=now, seconds=seconds))


def usage_for(per_hour: float) -> Usage:
    """The server's budget: shared through the database when there is one, else in memory."""
    return SharedUsage(per_hour, keys_db()) if shared_url() and per_hour else MemoryUsage(per_hour)
