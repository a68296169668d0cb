"""`/v1/market`: the voice market over HTTP. A creator publishes a voice of theirs whose owner consented; a
buyer browses, hears the sample, licenses, pays in, and speaks with `voice: "market:CID"` and its `licence` on
`/v1/tts` (charged once per `Idempotency-Key`); both see their earnings and ledger entries. The buyer never
receives a voice's style or model: renders happen here. Amounts are in wei; accounts are API keys."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from vocalis.market.licence import DEFAULT_USES, LicenceTerms
from vocalis.service import Vocalis
from vocalis.service.lock import EngineLock
from vocalis.service.marketplace import Market
from vocalis.service.packaging import PackageOptions
from vocalis.studio.api.auth import account, requester
from vocalis.studio.api.errors import ApiError


class TermsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    per_use: int = Field(default=0, ge=0)
    per_1k_chars: int = Field(default=0, ge=0)
    subscription_per_30_days: int | None = Field(default=None, ge=0)
    buyout: int | None = Field(default=None, ge=0)
    quota_chars: int | None = Field(default=None, ge=0)
    uses: list[str] = Field(default_factory=lambda: list(DEFAULT_USES))
    expires: str | None = None


class PublishBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    voice: str
    description: str = ""
    gender: str = ""
    age: str = ""
    tags: list[str] = Field(default_factory=list, max_length=20)
    sample_text: str | None = Field(default=None, max_length=300)
    terms: TermsBody = Field(default_factory=TermsBody)


class LicenceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cid: str
    kind: Literal["per_use", "subscription", "buyout"] = "per_use"


class WalletBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    address: str


class AmountBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: int | None = Field(default=None, gt=0)
    account: str | None = None  # a deposit for another account: an operator's act


def market_routes(engine: Vocalis, lock: EngineLock) -> APIRouter:
    router = APIRouter(prefix="/v1/market", tags=["market"])
    _voice_routes(router, engine, lock)
    _money_routes(router)
    return router


def _voice_routes(router: APIRouter, engine: Vocalis, lock: EngineLock) -> None:
    """Publishing, browsing and delisting voices; licences."""

    @router.post("/voices", status_code=201)
    def publish(body: PublishBody, request: Request) -> dict[str, Any]:
        """Publish one of your voices whose owner consented: it is packaged (signed, kept by CID) and listed."""
        terms = LicenceTerms.from_dict(body.terms.model_dump())
        options = PackageOptions(body.description, body.gender, body.age, tuple(body.tags), body.sample_text, terms)
        with lock:  # the package's sample is rendered
            return _published(_market(request).publish(engine, body.voice, options))

    @router.get("/voices")
    def browse(lang: str | None = None, gender: str | None = None, tag: str | None = None,
               max_per_use: int | None = None, q: str | None = None) -> dict[str, Any]:
        """The listed voices matching every filter given."""
        return {"voices": [_published(p) for p in Market.browse(lang, gender, tag, max_per_use, q)]}

    @router.get("/voices/{cid}")
    def show(cid: str) -> dict[str, Any]:
        return _published(Market.show(cid))

    @router.get("/voices/{cid}/sample")
    def sample(cid: str) -> Response:
        """The voice's watermarked sample (WAV), from its package."""
        return Response(Market.sample(cid), media_type="audio/wav")

    @router.delete("/voices/{cid}")
    def delist(cid: str, request: Request) -> dict[str, Any]:
        """Take your voice off the market: its licences stop at once."""
        _market(request).delist(cid)
        return {"cid": cid, "status": "delisted"}

    @router.post("/licences", status_code=201)
    def license_voice(body: LicenceBody, request: Request) -> dict[str, Any]:
        """A licence; a subscription or buyout is paid now (charged once per Idempotency-Key)."""
        held = _market(request).license(body.cid, body.kind, request.headers.get("Idempotency-Key"))
        return _licence(held)

    @router.get("/licences/{licence_id}/package")
    def licensed_package(licence_id: str, request: Request) -> Response:
        """Your licensed voice's package for offline use: the licence and your account, signed by the platform."""
        return Response(_market(request).licensed_copy(licence_id), media_type="application/zip")

    @router.get("/licences")
    def my_licences(request: Request) -> dict[str, Any]:
        return {"licences": [_licence(h) for h in _market(request).licences()]}


def _money_routes(router: APIRouter) -> None:
    """Deposits, withdrawals, earnings, wallets, the chain mirror and the books."""

    @router.post("/deposits", status_code=201)
    def deposit(body: AmountBody, request: Request) -> dict[str, Any]:
        """Funds into your account (or, for an operator, into `account`'s)."""
        if body.amount is None:
            raise ApiError(400, "give the amount in wei", param="amount")
        target = _market(request)
        if body.account is not None:
            if not account(request).operator:
                raise ApiError(403, "only an operator key pays into another account", param="account")
            target = Market(body.account)
        entry = target.deposit(body.amount, request.headers.get("Idempotency-Key"))
        return {"account": target.account, "entry": entry.seq, "balance": target.earnings().balance}

    @router.post("/withdrawals", status_code=201)
    def withdraw(body: AmountBody, request: Request) -> dict[str, Any]:
        entry = _market(request).withdraw(body.amount)
        return {"entry": entry.seq, "amount": str(entry.amount)}

    @router.get("/earnings")
    def earnings(request: Request, last: int = 100) -> dict[str, Any]:
        """Balance, earned, spent and the account's last ledger entries (amounts as strings: wei outgrow JSON's
        safe integers)."""
        books = _market(request).earnings(last)
        mine = [{"seq": e.seq, "time": e.time, "kind": e.kind, "cid": e.cid, "licence": e.licence_id,
                 "mark_id": e.mark_id, "amount": str(sum(d for w, d in e.moves if w == books.account))}
                for e in books.entries]
        return {"account": books.account, "balance": str(books.balance), "earned": str(books.earned),
                "spent": str(books.spent), "entries": mine}

    @router.put("/wallet")
    def wallet(body: WalletBody, request: Request) -> dict[str, Any]:
        """The EVM address that receives your tokens and on-chain earnings."""
        market = _market(request)
        return {"account": market.account, "wallet": market.set_wallet(body.address)}

    @router.post("/chain/sync")
    def sync_chain(request: Request) -> dict[str, Any]:
        """Mirror the ledger on chain, anchor its head, check the chain's credits (an operator's act)."""
        if not account(request).sees_all:
            raise ApiError(403, "only an operator mirrors the ledger on chain")
        status = Market.sync_chain()
        return {**asdict(status), "credits": {k: str(v) for k, v in (status.credits or {}).items()}}

    @router.get("/books")
    def books(request: Request) -> dict[str, Any]:
        """The ledger's chain and balances checked (an operator's view)."""
        if not account(request).sees_all:
            raise ApiError(403, "only an operator checks the books")
        entries, head = Market.check_books()
        return {"entries": entries, "head": head, "balanced": True}


def _market(request: Request) -> Market:
    who = requester(request)
    if who.startswith("address:"):
        raise ApiError(401, "the market needs an account: send an API key (vocalis keys create NAME)")
    return Market(who)


def _published(item: Any) -> dict[str, Any]:
    return {"cid": item.cid, "creator": item.creator, "status": item.status, "published_at": item.published_at,
            "listing": item.listing.to_dict(), "terms": _terms(item.terms)}


def _terms(terms: LicenceTerms) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, int) and not isinstance(v, bool) else v) for k, v in terms.to_dict().items()}


def _licence(held: Any) -> dict[str, Any]:
    return {**asdict(held), "terms": _terms(held.terms)}
