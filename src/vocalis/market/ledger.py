"""The registry's books: accounts with balances, listings, licences, and an append-only ledger in which every
entry holds the hash of the one before (a changed or deleted entry breaks the chain from there on).

Every movement of money is one ledger entry whose moves sum to zero, written in the same transaction as the
balances it changes. A use pays its creator `creator_share` of its price and the platform the rest, in whole
wei: the platform's part is the price less the creator's (rounded down), so no wei is made or lost, as the
chain contract splits. A use carries an idempotency key: a retried request finds its entry and pays nothing."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from vocalis.errors import MarketError, PaymentRequired
from vocalis.market.db import market_db
from vocalis.market.licence import LicenceTerms
from vocalis.market.package import canonical_json
from vocalis.market.schema import accounts, ledger, ledger_head

PLATFORM = "platform"
EXTERNAL = "external"  # the world outside the books: deposits come from it, withdrawals go to it
GENESIS = "0" * 64
SUBSCRIPTION = timedelta(days=30)


def creator_share() -> tuple[int, int]:
    """The creator's share as a fraction (80/100 unless $VOCALIS_CREATOR_SHARE gives a percentage)."""
    percent = int(os.environ.get("VOCALIS_CREATOR_SHARE", "80"))
    if not 0 <= percent <= 100:
        raise MarketError(f"VOCALIS_CREATOR_SHARE is {percent}: give a percentage from 0 to 100")
    return percent, 100


@dataclass(frozen=True)
class Entry:
    seq: int
    kind: str
    account: str
    amount: int
    moves: list[tuple[str, int]]
    licence_id: str | None
    cid: str | None
    mark_id: int | None
    time: str
    hash: str


@dataclass(frozen=True)
class Licence:
    id: str
    cid: str
    buyer: str
    kind: str
    terms: LicenceTerms
    granted_at: str
    expires_at: str | None
    chars_used: int
    uses: int
    revoked_at: str | None


def utc_now() -> datetime:
    return datetime.now(UTC)


_writer = threading.Lock()  # this process's writers take turns; other processes wait on the head row's lock


@contextmanager
def books() -> Iterator[Connection]:
    """A write transaction holding the ledger head's row: writers take turns (SQLite: one writer at all)."""
    engine = market_db()
    with _writer, engine.begin() as conn:
        head = select(ledger_head).where(ledger_head.c.id == 1)
        if engine.dialect.name != "sqlite":
            head = head.with_for_update()
        if conn.execute(head).first() is None:
            try:
                with conn.begin_nested():
                    conn.execute(insert(ledger_head).values(id=1, seq=0, hash=GENESIS))
            except IntegrityError:  # another writer made it first
                conn.execute(head)
        yield conn


def open_account(account: str, wallet: str | None = None) -> None:
    with books() as conn:
        _ensure(conn, account, wallet)


def _ensure(conn: Connection, account: str, wallet: str | None = None) -> None:
    if conn.execute(select(accounts.c.id).where(accounts.c.id == account)).first() is None:
        conn.execute(insert(accounts).values(id=account, wallet=wallet, balance=0, earned=0, spent=0,
                                             created_at=utc_now().isoformat(timespec="seconds")))
    elif wallet:
        conn.execute(update(accounts).where(accounts.c.id == account).values(wallet=wallet))


def balance(account: str) -> int:
    with market_db().connect() as conn:
        row = conn.execute(select(accounts.c.balance).where(accounts.c.id == account)).first()
    return 0 if row is None else row.balance


def append_entry(conn: Connection, kind: str, account: str, amount: int, moves: list[tuple[str, int]],
            **fields: object) -> Entry:
    """One entry, chained to the head, and the balances it moves."""
    if sum(delta for _, delta in moves) != 0:
        raise MarketError(f"a {kind} entry must move as much as it takes")
    for who, delta in moves:
        _ensure(conn, who)
        row = conn.execute(select(accounts).where(accounts.c.id == who)).one()
        if row.balance + delta < 0 and who != EXTERNAL:
            raise PaymentRequired(f"{who}'s balance is {row.balance} wei; this {kind} needs {-delta} wei: add funds")
        changes = {"balance": row.balance + delta}
        if kind in ("use", "licence") and delta < 0:
            changes["spent"] = row.spent - delta
        elif kind in ("use", "licence") and who != PLATFORM:
            changes["earned"] = row.earned + delta
        conn.execute(update(accounts).where(accounts.c.id == who).values(**changes))
    head = conn.execute(select(ledger_head).where(ledger_head.c.id == 1)).one()
    record = {"seq": head.seq + 1, "time": utc_now().isoformat(timespec="microseconds"), "kind": kind,
              "account": account, "amount": amount, "moves": json.dumps([[w, str(d)] for w, d in moves]),
              "licence_id": fields.get("licence_id"), "cid": fields.get("cid"),
              "idempotency_key": fields.get("idempotency_key"), "chars": fields.get("chars"),
              "seconds": fields.get("seconds"), "mark_id": fields.get("mark_id"), "prev_hash": head.hash}
    record["hash"] = entry_hash(record)
    conn.execute(insert(ledger).values(**record))
    conn.execute(update(ledger_head).where(ledger_head.c.id == 1).values(seq=record["seq"], hash=record["hash"]))
    return _entry(record)


def entry_hash(record: dict) -> str:
    fields = {k: record[k] for k in ("seq", "time", "kind", "account", "amount", "moves", "licence_id", "cid",
                                     "idempotency_key", "chars", "seconds", "mark_id", "prev_hash")}
    return hashlib.sha256(canonical_json({**fields, "amount": str(fields["amount"])})).hexdigest()


def _entry(row: dict | Row) -> Entry:
    r = row if isinstance(row, dict) else row._mapping
    return Entry(seq=r["seq"], kind=r["kind"], account=r["account"], amount=int(r["amount"]),
                 moves=[(w, int(d)) for w, d in json.loads(r["moves"])], licence_id=r["licence_id"], cid=r["cid"],
                 mark_id=r["mark_id"], time=r["time"], hash=r["hash"])


def deposit(account: str, amount: int, reference: str | None = None) -> Entry:
    """Funds paid in from outside (a card, a chain transfer): the outside is the `external` account."""
    if amount <= 0:
        raise MarketError("a deposit is a positive number of wei")
    with books() as conn:
        return entry_for_key(conn, reference) or append_entry(conn, "deposit", account, amount,
                                                 [(EXTERNAL, -amount), (account, amount)], idempotency_key=reference)


def withdraw(account: str, amount: int | None = None) -> Entry:
    """Pay out `amount` (default: all) of an account's balance."""
    with books() as conn:
        _ensure(conn, account)
        held = conn.execute(select(accounts.c.balance).where(accounts.c.id == account)).one().balance
        amount = held if amount is None else amount
        if amount <= 0:
            raise MarketError(f"{account} has nothing to withdraw")
        return append_entry(conn, "withdraw", account, amount, [(account, -amount), (EXTERNAL, amount)])


def entry_for_key(conn: Connection, key: str | None) -> Entry | None:
    if key is None:
        return None
    row = conn.execute(select(ledger).where(ledger.c.idempotency_key == key)).first()
    return None if row is None else _entry(row)


def split(payer: str, creator: str, price: int) -> list[tuple[str, int]]:
    numerator, denominator = creator_share()
    to_creator = price * numerator // denominator
    return [(payer, -price), (creator, to_creator), (PLATFORM, price - to_creator)]


def statement(account: str, limit: int | None = None) -> list[Entry]:
    """Every entry that moved the account's money, oldest first (the last `limit` of them)."""
    with market_db().connect() as conn:
        rows = conn.execute(select(ledger).where(ledger.c.moves.contains(json.dumps(account)))
                            .order_by(ledger.c.seq)).all()
    entries = [e for e in map(_entry, rows) if any(who == account for who, _ in e.moves)]
    return entries[-limit:] if limit else entries


def verify_chain() -> tuple[int, str]:
    """(entries, head hash) when every entry hashes to what the next one and the head hold; MarketError
    naming the first entry that does not."""
    previous = GENESIS
    with market_db().connect() as conn:
        rows = conn.execute(select(ledger).order_by(ledger.c.seq)).mappings().all()
        head = conn.execute(select(ledger_head).where(ledger_head.c.id == 1)).first()
    for n, row in enumerate(rows, 1):
        if row["seq"] != n or row["prev_hash"] != previous or entry_hash(dict(row)) != row["hash"]:
            raise MarketError(f"the ledger's entry {row['seq']} was changed, removed or reordered")
        previous = row["hash"]
    if ((head.seq, head.hash) if head else (0, GENESIS)) != (len(rows), previous):
        raise MarketError("the ledger's newest entries were removed")
    return len(rows), previous


def reconcile() -> dict[str, int]:
    """The balances the ledger's moves add up to, checked against the accounts table (MarketError where one
    differs); sums to zero with the external account."""
    totals: dict[str, int] = {}
    with market_db().connect() as conn:
        for row in conn.execute(select(ledger.c.moves)):
            for who, delta in json.loads(row.moves):
                totals[who] = totals.get(who, 0) + int(delta)
        held = {r.id: r.balance for r in conn.execute(select(accounts.c.id, accounts.c.balance))}
    for who in set(totals) | set(held):
        if totals.get(who, 0) != held.get(who, 0):
            raise MarketError(f"{who}'s balance is {held.get(who, 0)} wei; its ledger entries add up to "
                              f"{totals.get(who, 0)}")
    return totals
