"""The market as one account sees it: what every surface (CLI, API, web UI) calls. A creator publishes their
consenting voices and earns; a buyer browses, licenses, pays in and spends; the books can be checked.

Accounts are the audit log's requesters (`key:NAME` through the API, `user:NAME` on this machine)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from vocalis.errors import MarketError

if TYPE_CHECKING:
    from vocalis.market.ledger import Entry, Licence
    from vocalis.market.registry import Published
    from vocalis.service.packaging import PackageOptions
    from vocalis.service.vocalis import Vocalis


@dataclass(frozen=True)
class Earnings:
    account: str
    balance: int  # wei it may spend or withdraw
    earned: int  # wei earned as a creator, in all
    spent: int  # wei spent as a buyer, in all
    entries: list[Entry]  # its ledger entries, oldest first


@dataclass(frozen=True)
class ChainStatus:
    sent: int  # items the chain took in this sync
    already: int  # items it had taken before (a retry)
    waiting: int  # items still to go (see errors)
    gas: int  # used by this sync's transactions
    errors: list[str]
    anchored: tuple[int, str] | None  # the ledger's (entries, head hash) now on chain
    credits: dict[str, int] | None  # the chain's credits by account, when they match the books


class Market:
    def __init__(self, who: str | None = None):
        from vocalis.service.market import buyer_of

        self.account = buyer_of(who)

    def publish(self, tts: Vocalis, voice: str, options: PackageOptions) -> Published:
        """Package the account's consenting voice (signed, kept by CID) and list it."""
        from vocalis.market.package import read_package
        from vocalis.market.registry import publish
        from vocalis.service.access import LOCAL, Account
        from vocalis.service.packaging import package_voice

        owner = Account(key=self.account.removeprefix("key:")) if self.account.startswith("key:") else LOCAL
        package = read_package(package_voice(tts, voice, options, owner))
        return publish(package.cid, self.account, voice, package.voice_id, package.listing, package.licence)

    @staticmethod
    def browse(language: str | None = None, gender: str | None = None, tag: str | None = None,
               max_per_use: int | None = None, query: str | None = None) -> list[Published]:
        from vocalis.market.registry import browse

        return browse(language, gender, tag, max_per_use, query)

    @staticmethod
    def show(cid: str) -> Published:
        from vocalis.market.registry import published

        return published(cid)

    @staticmethod
    def sample(cid: str) -> bytes:
        """The listed voice's watermarked sample (a WAV) from its package, checked against its CID."""
        from vocalis.market.package import read_package
        from vocalis.market.store import package_store

        return read_package(package_store().get(cid)).sample

    def license(self, cid: str, kind: str = "per_use", idempotency_key: str | None = None) -> Licence:
        from vocalis.market.registry import grant

        return grant(cid, self.account, kind, idempotency_key)

    def licensed_copy(self, licence_id: str) -> bytes:
        """The voice's package for offline use, carrying this account's licence, signed by the platform."""
        from vocalis.market.keys import creator_key
        from vocalis.market.licensed import license_copy
        from vocalis.market.registry import licence
        from vocalis.market.store import package_store

        held = licence(licence_id)
        if held.buyer != self.account:
            raise MarketError(f"licence {licence_id} is not yours")
        if held.revoked_at:
            raise MarketError(f"licence {licence_id} was stopped on {held.revoked_at[:10]}")
        grant = {"id": held.id, "kind": held.kind, "terms": held.terms.to_dict(), "expires_at": held.expires_at}
        return license_copy(package_store().get(held.cid), held.cid, grant, self.account, creator_key("platform"))

    def licences(self) -> list[Licence]:
        from vocalis.market.registry import licences_of

        return licences_of(self.account)

    def deposit(self, amount: int, reference: str | None = None) -> Entry:
        from vocalis.market.ledger import deposit

        return deposit(self.account, amount, reference)

    def withdraw(self, amount: int | None = None) -> Entry:
        from vocalis.market.ledger import withdraw

        return withdraw(self.account, amount)

    def earnings(self, limit: int | None = None) -> Earnings:
        from sqlalchemy import select

        from vocalis.market.db import market_db
        from vocalis.market.ledger import statement
        from vocalis.market.schema import accounts

        with market_db().connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.id == self.account)).first()
        if row is None:
            return Earnings(self.account, 0, 0, 0, [])
        return Earnings(self.account, row.balance, row.earned, row.spent, statement(self.account, limit))

    def delist(self, cid: str) -> None:
        from vocalis.market.registry import delist

        delist(cid, f"delisted by {self.account}", by=self.account)

    def set_wallet(self, address: str) -> str:
        """The EVM address that receives this account's tokens and on-chain earnings."""
        from vocalis.market.mirror import set_wallet

        return set_wallet(self.account, address)

    @staticmethod
    def sync_chain(anchor: bool = True) -> ChainStatus:
        """Send what the chain has not been told yet (in order; what fails waits for the next sync), then
        anchor the ledger's head there and check the chain's credits against the books."""
        from vocalis.market.mirror import anchor_ledger, reconcile_chain, sync

        report = sync()
        anchored = anchor_ledger() if anchor and not report.waiting else None
        figures = reconcile_chain() if not report.waiting else None
        return ChainStatus(report.sent, report.already, report.waiting, report.gas, report.errors, anchored, figures)

    @staticmethod
    def check_books() -> tuple[int, str]:
        """(entries, head hash) when the ledger's chain holds and every balance is what its entries add up to;
        MarketError naming what does not."""
        from vocalis.market.ledger import reconcile, verify_chain

        entries, head = verify_chain()
        reconcile()
        return entries, head

