"""The market's tables: accounts and their balances, listings, licences and the append-only, hash-chained
ledger. Created and upgraded by alembic (see `market.db` and `market/migrations`), in the same database as the
audit log ($VOCALIS_DB_URL, default SQLite in the data home)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Integer, MetaData, String, Table, Text
from sqlalchemy.types import TypeDecorator

metadata = MetaData()


class Wei(TypeDecorator):
    """An exact non-negative amount of wei of any size, stored as 78 zero-padded digits: SQLite has no
    integer beyond 64 bits (its NUMERIC turns them into floats), and padded digits sort as numbers."""

    impl = String(78)
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: object) -> str | None:
        return None if value is None else f"{int(value):078d}"

    def process_result_value(self, value: str | None, dialect: object) -> int | None:
        return None if value is None else int(value)


accounts = Table(
    "market_accounts", metadata,
    Column("id", String(128), primary_key=True),  # key:NAME, user:NAME, platform
    Column("wallet", String(42)),  # its EVM address, where it has one
    Column("balance", Wei, nullable=False),
    Column("earned", Wei, nullable=False),  # gross, as a creator
    Column("spent", Wei, nullable=False),
    Column("created_at", String(32), nullable=False),
)

listings = Table(
    "market_listings", metadata,
    Column("cid", String(100), primary_key=True),  # the package's IPFS CIDv1
    Column("creator", String(128), nullable=False, index=True),
    Column("voice", String(64), nullable=False),  # the library voice the server renders with
    Column("voice_id", String(32), nullable=False, index=True),  # its content: a consent revocation finds it
    Column("listing", Text, nullable=False),  # JSON: market.package.Listing
    Column("terms", Text, nullable=False),  # JSON: market.licence.LicenceTerms
    Column("status", String(16), nullable=False),  # listed | delisted
    Column("published_at", String(32), nullable=False),
    Column("delisted_at", String(32)),
    Column("delisted_why", Text),
    Column("token_id", BigInteger),  # its ERC-721 token, once the mirror has minted it
)

licences = Table(
    "market_licences", metadata,
    Column("id", String(32), primary_key=True),
    Column("cid", String(100), nullable=False, index=True),
    Column("buyer", String(128), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # per_use | subscription | buyout
    Column("terms", Text, nullable=False),  # JSON: the terms as they were when it was granted
    Column("granted_at", String(32), nullable=False),
    Column("expires_at", String(32)),
    Column("chars_used", BigInteger, nullable=False),
    Column("uses", Integer, nullable=False),
    Column("revoked_at", String(32)),
)

ledger = Table(
    "market_ledger", metadata,
    # Assigned as the last seq + 1 under the head row's lock: the chain never forks.
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("time", String(32), nullable=False),
    Column("kind", String(16), nullable=False),  # deposit | licence | use | withdraw | refund
    Column("account", String(128), nullable=False, index=True),  # who paid, or was paid out
    Column("amount", Wei, nullable=False),
    Column("moves", Text, nullable=False),  # JSON [[account, signed amount as text], ...], summing to zero
    Column("licence_id", String(32)),
    Column("cid", String(100)),
    Column("idempotency_key", String(200), unique=True),  # a retried request finds its entry, not a new charge
    Column("chars", Integer),
    Column("seconds", Float),
    Column("mark_id", BigInteger, index=True),  # the watermark id of the output the use paid for
    Column("prev_hash", String(64), nullable=False, unique=True),
    Column("hash", String(64), nullable=False),
)

ledger_head = Table(
    "market_ledger_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

# What the chain must still be told, written in the same transaction as the ledger entry or listing it mirrors:
# a chain that is down delays the mirror, it never loses an entry.
chain_outbox = Table(
    "market_chain_outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # mint | use
    Column("cid", String(100), nullable=False, index=True),
    Column("payload", Text, nullable=False),  # JSON
    Column("status", String(16), nullable=False, index=True),  # pending | done
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("tx_hash", String(66)),
    Column("created_at", String(32), nullable=False),
    Column("done_at", String(32)),
)
