"""Per-client rate limits on `/v1/*`: a token bucket per API key (its own `--rate`, else the server's
default), or per client address on a server without keys. Over the limit: 429 with Retry-After.

One server keeps its buckets in memory (a restart forgives). Servers sharing a database (`VOCALIS_DB_URL`) keep
them there, so that a key's rate holds across all of them rather than once per server."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import anyio
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from starlette.types import ASGIApp, Receive, Scope, Send

from vocalis.database import shared_url
from vocalis.studio.api.auth import PROTECTED
from vocalis.studio.api.errors import error_response
from vocalis.studio.api.tables import buckets_table, keys_db

DEFAULT_RATE = 60  # requests per minute
_MAX_IDLE_BUCKETS = 10_000  # past this many clients, forget those whose bucket has refilled


@dataclass
class TokenBucket:
    """`rate` requests a minute on average, with bursts of up to a minute's worth."""

    rate: int
    tokens: float = field(init=False)
    updated: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = float(self.rate)

    def _refill(self, now: float) -> None:
        self.tokens = min(float(self.rate), self.tokens + (now - self.updated) * self.rate / 60)
        self.updated = now

    def take(self, now: float) -> float:
        """0 when a request may pass (and takes its token), else the seconds until one may."""
        self._refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) * 60 / self.rate

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.rate


class MemoryBuckets:
    """One server's buckets."""

    def __init__(self) -> None:
        self.buckets: dict[str, TokenBucket] = {}

    def take(self, client: str, rate: int) -> float:
        now = time.monotonic()
        bucket = self.buckets.get(client)
        if bucket is None or bucket.rate != rate:  # a key re-created with another rate starts afresh
            if len(self.buckets) >= _MAX_IDLE_BUCKETS:
                self.buckets = {c: b for c, b in self.buckets.items() if not b.full(now)}
            bucket = self.buckets[client] = TokenBucket(rate, updated=now)
        return bucket.take(now)


class SharedBuckets:
    """The buckets in the shared database, each taken from under a row lock (FOR UPDATE; SQLite locks the file)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def take(self, client: str, rate: int) -> float:
        try:
            return self._take(client, rate)
        except IntegrityError:  # another server made this client's bucket first: take from that one
            return self._take(client, rate)

    def _take(self, client: str, rate: int) -> float:
        now, table = time.time(), buckets_table
        with self.engine.begin() as db:
            row = db.execute(select(table).where(table.c.client == client).with_for_update()).first()
            bucket = TokenBucket(rate, updated=now)
            if row is not None and row.rate == rate:
                bucket.tokens, bucket.updated = row.tokens, min(row.updated, now)
            wait = bucket.take(now)
            values = {"rate": rate, "tokens": bucket.tokens, "updated": bucket.updated}
            if row is None:
                # Buckets idle for over a minute have refilled: forgetting them changes nothing, and keeps the
                # table as small as the set of recent clients.
                db.execute(delete(table).where(table.c.updated < now - 2 * 60))
                db.execute(insert(table).values(client=client, **values))
            else:
                db.execute(update(table).where(table.c.client == client).values(**values))
        return wait


class RateLimitMiddleware:
    """Runs after AuthMiddleware (it reads the request's key)."""

    def __init__(self, app: ASGIApp, default_rate: int = DEFAULT_RATE):
        self.app, self.default_rate = app, default_rate
        self.buckets = SharedBuckets(keys_db()) if shared_url() else MemoryBuckets()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PROTECTED):
            await self.app(scope, receive, send)
            return
        key = scope.get("state", {}).get("api_key")
        client, rate = (f"key:{key.name}", key.rate or self.default_rate) if key else (
            f"address:{scope['client'][0] if scope.get('client') else '?'}", self.default_rate)
        wait = 0.0
        if rate > 0:
            shared = isinstance(self.buckets, SharedBuckets)  # a database round trip: off the event loop
            wait = await anyio.to_thread.run_sync(self.buckets.take, client, rate) if shared else \
                self.buckets.take(client, rate)
        if wait:
            seconds = math.ceil(wait)
            who = f"API key {key.name!r}" if key else "this address"
            response = error_response(429, f"too many requests: {who} may make {rate} a minute; retry in {seconds} s",
                                      headers={"Retry-After": str(seconds)})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
