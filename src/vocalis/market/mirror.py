"""The ledger mirrored on chain: the outbox (see `market.outbox`) sent to the VoiceMarket contract in order.

A listing is minted to its creator's wallet; every paid use and licence is paid to the contract by the
platform (which holds the buyers' deposits) under a request hash derived from its idempotency key, so that
the contract credits 80/20 exactly as the ledger did. An item that fails stays pending with its error (its
voice's later items wait behind it) and is sent again by the next sync; a retry of an item the chain already
took is recognised (the contract refuses a CID minted or a request paid twice) and marked done."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select, update

from vocalis.errors import ChainError, MarketError
from vocalis.market.chain import Chain, in_process_chain, rpc_chain
from vocalis.market.db import market_db
from vocalis.market.schema import accounts, chain_outbox, ledger, listings
from vocalis.trust.db import db_url

ALREADY = ("already minted", "already paid")  # the chain has it: a retry after a lost answer


@dataclass(frozen=True)
class ChainTarget:
    chain: Chain
    platform: str  # the contract's owner, who mints and pays


@dataclass
class SyncReport:
    sent: int = 0
    already: int = 0
    waiting: int = 0
    gas: int = 0
    errors: list[str] = field(default_factory=list)


_targets: dict[str, ChainTarget] = {}
_lock = threading.Lock()


def chain_target() -> ChainTarget:
    """The configured chain (see `market.chain`), once per process: $VOCALIS_CHAIN_URL with the contract at
    $VOCALIS_CHAIN_CONTRACT, or else an in-process EVM with the contract deployed on first use, one per
    database. The in-process chain is for trying the market: it starts empty with each process, so what it
    was told before is gone; keep a node for anything that must last."""
    url = os.environ.get("VOCALIS_CHAIN_URL", "")
    with _lock:
        key = url or f"in-process:{db_url()}"
        if key not in _targets:
            if url:
                address = os.environ.get("VOCALIS_CHAIN_CONTRACT")
                if not address:
                    raise ChainError("VOCALIS_CHAIN_URL is set without VOCALIS_CHAIN_CONTRACT, the deployed "
                                     "VoiceMarket's address")
                w3 = rpc_chain(url)
                _targets[key] = ChainTarget(Chain(w3, address), w3.eth.default_account or w3.eth.accounts[0])
            else:
                w3, funded = in_process_chain()
                _targets[key] = ChainTarget(Chain.deploy(w3, funded[0]), funded[0])
        return _targets[key]


def set_wallet(account: str, address: str) -> str:
    """The EVM address that receives an account's tokens and on-chain earnings."""
    from web3 import Web3

    if not Web3.is_address(address):
        raise MarketError(f"{address!r} is not an EVM address (0x and 40 hex digits)")
    from vocalis.market.ledger import open_account

    open_account(account, Web3.to_checksum_address(address))
    return Web3.to_checksum_address(address)


def pending_items() -> int:
    """How many items wait for the chain."""
    with market_db().connect() as conn:
        return len(conn.execute(select(chain_outbox.c.id).where(chain_outbox.c.status == "pending")).all())


def sync(target: ChainTarget | None = None) -> SyncReport:
    """Send every pending item, oldest first."""
    target = target or chain_target()
    report, blocked = SyncReport(), set()
    gas_before = target.chain.gas_used
    with market_db().connect() as conn:
        pending = conn.execute(select(chain_outbox).where(chain_outbox.c.status == "pending")
                               .order_by(chain_outbox.c.id)).all()
    for item in pending:
        if item.cid in blocked:  # an earlier item of this voice has not gone yet
            report.waiting += 1
            continue
        try:
            tx = _send(target, item.kind, item.cid, json.loads(item.payload))
            report.sent += 1
        except ChainError as e:
            if not any(reason in str(e) for reason in ALREADY):
                _failed(item.id, str(e))
                blocked.add(item.cid)
                report.waiting += 1
                report.errors.append(f"{item.kind} {item.cid}: {e}")
                continue
            tx, report.already = None, report.already + 1
        _done(item.id, tx)
    report.gas = target.chain.gas_used - gas_before
    return report


def _send(target: ChainTarget, kind: str, cid: str, payload: dict) -> str:
    from web3 import Web3

    chain = target.chain
    with market_db().connect() as conn:
        if kind == "mint":
            wallet = conn.execute(select(accounts.c.wallet).where(accounts.c.id == payload["creator"])).scalar()
            if not wallet:
                raise ChainError(f"{payload['creator']} has no wallet to mint to: set one (vocalis market wallet)")
            token = chain.mint(target.platform, wallet, cid, payload["price"], payload["use_fee"])
            _set_token(cid, token)
            return f"token {token}"
        token = conn.execute(select(listings.c.token_id).where(listings.c.cid == cid)).scalar()
    if token is None:
        raise ChainError(f"{cid} is not minted yet")
    event = chain.use(target.platform, token, Web3.keccak(text=payload["request"]), payload["value"])
    return f"paid {event['paid']}"


def _set_token(cid: str, token: int) -> None:
    with market_db().begin() as conn:
        conn.execute(update(listings).where(listings.c.cid == cid).values(token_id=token))


def _done(item_id: int, note: str | None) -> None:
    with market_db().begin() as conn:
        conn.execute(update(chain_outbox).where(chain_outbox.c.id == item_id).values(
            status="done", tx_hash=note, done_at=datetime.now(UTC).isoformat(timespec="seconds")))


def _failed(item_id: int, error: str) -> None:
    with market_db().begin() as conn:
        conn.execute(update(chain_outbox).where(chain_outbox.c.id == item_id).values(
            attempts=chain_outbox.c.attempts + 1, last_error=error[:2000]))


def reconcile_chain(target: ChainTarget | None = None) -> dict[str, int]:
    """The chain's credits against the ledger, to the wei: each creator's wallet holds what the ledger says
    it earned, and the platform what its shares add up to (before any on-chain withdrawal). MarketError where
    they differ or items still wait."""
    target = target or chain_target()
    waiting = pending_items()
    with market_db().connect() as conn:
        wallets = conn.execute(select(accounts.c.id, accounts.c.wallet, accounts.c.earned)
                               .where(accounts.c.wallet.is_not(None))).all()
        platform = sum(int(d) for row in conn.execute(select(ledger.c.moves).where(ledger.c.kind.in_(("use",
                                                                                                    "licence"))))
                       for who, d in json.loads(row.moves) if who == "platform")
    if waiting:
        raise MarketError(f"{waiting} ledger items still wait for the chain: sync first")
    figures = {"platform": platform}
    for row in wallets:
        on_chain = target.chain.credit(row.wallet)
        if on_chain != row.earned:
            raise MarketError(f"{row.id} earned {row.earned} wei in the ledger; its wallet holds {on_chain} on chain")
        figures[row.id] = on_chain
    if target.chain.credit(target.platform) != platform:
        raise MarketError(f"the platform's shares are {platform} wei in the ledger, "
                          f"{target.chain.credit(target.platform)} on chain")
    return figures


def anchor_ledger(target: ChainTarget | None = None) -> tuple[int, str]:
    """Record the ledger's entry count and head hash on chain (after checking its chain of hashes)."""
    from vocalis.market.ledger import verify_chain

    target = target or chain_target()
    seq, head = verify_chain()
    if seq > target.chain.anchored()[0]:
        target.chain.anchor(target.platform, seq, head)
    return seq, head
