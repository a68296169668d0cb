"""The registry: voices published by their creators (by package CID), browsed, licensed, used and paid for.

A use is checked before anything renders (`authorise`: a licence of the caller's, listed, unexpired, within
its quota, for an allowed use, and enough balance for its price), then charged once from the audit record of
what was made (`charge`: characters, seconds, the output's watermark id), keyed by the request's idempotency
key. A delisted voice (its consent revoked) stops every licence at once."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from vocalis.errors import LicenceRefused, MarketError, PaymentRequired
from vocalis.market.db import market_db
from vocalis.market.ledger import SUBSCRIPTION, Entry, Licence, append_entry, books, entry_for_key, split, utc_now
from vocalis.market.licence import LicenceTerms
from vocalis.market.outbox import enqueue
from vocalis.market.package import Listing
from vocalis.market.schema import accounts, licences, listings

KINDS = ("per_use", "subscription", "buyout")


@dataclass(frozen=True)
class Published:
    cid: str
    creator: str
    voice: str
    voice_id: str
    listing: Listing
    terms: LicenceTerms
    status: str
    published_at: str


def publish(cid: str, creator: str, voice: str, voice_id: str, listing: Listing, terms: LicenceTerms) -> Published:
    """List a package's voice (the caller checked the creator owns it and consented)."""
    with books() as conn:
        row = conn.execute(select(listings).where(listings.c.cid == cid)).first()
        if row is not None and row.creator != creator:
            raise MarketError(f"{cid} is published by another account")
        values = {"creator": creator, "voice": voice, "voice_id": voice_id, "status": "listed",
                  "listing": json.dumps(listing.to_dict()), "terms": json.dumps(terms.to_dict()),
                  "published_at": utc_now().isoformat(timespec="seconds"), "delisted_at": None, "delisted_why": None}
        if row is None:
            conn.execute(listings.insert().values(cid=cid, **values))
            enqueue(conn, "mint", cid, creator=creator, price=terms.buyout or 0, use_fee=terms.per_use)
        else:
            conn.execute(update(listings).where(listings.c.cid == cid).values(**values))
    return published(cid)


def published(cid: str) -> Published:
    with market_db().connect() as conn:
        row = conn.execute(select(listings).where(listings.c.cid == cid)).first()
    if row is None:
        raise MarketError(f"no voice {cid} in the market")
    return _published(row)


def _published(row) -> Published:
    return Published(cid=row.cid, creator=row.creator, voice=row.voice, voice_id=row.voice_id,
                     listing=Listing.from_dict(json.loads(row.listing)),
                     terms=LicenceTerms.from_dict(json.loads(row.terms)), status=row.status,
                     published_at=row.published_at)


def browse(language: str | None = None, gender: str | None = None, tag: str | None = None,
           max_per_use: int | None = None, query: str | None = None) -> list[Published]:
    """The listed voices that match every filter given."""
    with market_db().connect() as conn:
        rows = conn.execute(select(listings).where(listings.c.status == "listed")
                            .order_by(listings.c.published_at)).all()
    found = []
    for item in map(_published, rows):
        listing = item.listing
        if ((language and language not in listing.languages) or (gender and listing.gender != gender)
                or (tag and tag not in listing.tags) or (max_per_use is not None and item.terms.per_use > max_per_use)
                or (query and query.lower() not in f"{listing.name} {listing.description}".lower())):
            continue
        found.append(item)
    return found


def delist(cid: str, why: str, by: str | None = None) -> None:
    """Take a voice off the market and stop its licences (`by`: only that creator may, unless None)."""
    with books() as conn:
        row = conn.execute(select(listings).where(listings.c.cid == cid)).first()
        if row is None or (by is not None and row.creator != by):
            raise MarketError(f"no voice {cid} of yours in the market")
        _delist(conn, [cid], why)


def delist_voice(voice_id: str, why: str) -> list[str]:
    """Every listing of a voice's content (its consent revoked): delisted, their licences stopped."""
    with books() as conn:
        cids = [r.cid for r in conn.execute(select(listings.c.cid).where(listings.c.voice_id == voice_id))]
        _delist(conn, cids, why)
    return cids


def _delist(conn: Connection, cids: list[str], why: str) -> None:
    now = utc_now().isoformat(timespec="seconds")
    for cid in cids:
        conn.execute(update(listings).where(listings.c.cid == cid).values(status="delisted", delisted_at=now,
                                                                          delisted_why=why))
        conn.execute(update(licences).where(licences.c.cid == cid, licences.c.revoked_at.is_(None))
                     .values(revoked_at=now))


def grant(cid: str, buyer: str, kind: str = "per_use", idempotency_key: str | None = None) -> Licence:
    """A licence for `buyer`; a subscription or a buyout is paid now, split like a use."""
    if kind not in KINDS:
        raise MarketError(f"licence kind {kind!r}: choose {', '.join(KINDS)}")
    item = published(cid)
    if item.status != "listed":
        raise LicenceRefused(f"{item.listing.name} ({cid}) is no longer on the market")
    terms = item.terms
    if terms.expired():
        raise LicenceRefused(f"{item.listing.name} may be licensed until {terms.expires}, no longer")
    price = {"per_use": 0, "subscription": terms.subscription_per_30_days, "buyout": terms.buyout}[kind]
    if price is None:
        raise MarketError(f"{item.listing.name} is not offered as a {kind}")
    now = utc_now()
    expires = now + SUBSCRIPTION if kind == "subscription" else None
    if terms.expires and kind != "buyout":
        ends = datetime.fromisoformat(f"{terms.expires}T23:59:59+00:00")
        expires = min(expires, ends) if expires else ends
    licence_id = uuid.uuid4().hex
    with books() as conn:
        if (entry := entry_for_key(conn, idempotency_key)) is not None:
            return licence(entry.licence_id)
        conn.execute(licences.insert().values(
            id=licence_id, cid=cid, buyer=buyer, kind=kind, terms=json.dumps(terms.to_dict()),
            granted_at=now.isoformat(timespec="seconds"), expires_at=expires and expires.isoformat(timespec="seconds"),
            chars_used=0, uses=0, revoked_at=None))
        if price or idempotency_key:
            entry = append_entry(conn, "licence", buyer, price, split(buyer, item.creator, price),
                                 licence_id=licence_id, cid=cid, idempotency_key=idempotency_key)
            if price:
                enqueue(conn, "use", cid, request=f"licence:{licence_id}", value=price, seq=entry.seq)
    return licence(licence_id)


def licence(licence_id: str) -> Licence:
    with market_db().connect() as conn:
        row = conn.execute(select(licences).where(licences.c.id == licence_id)).first()
    if row is None:
        raise PaymentRequired(f"no licence {licence_id}: license the voice first")
    return _licence(row)


def _licence(row) -> Licence:
    return Licence(id=row.id, cid=row.cid, buyer=row.buyer, kind=row.kind,
                   terms=LicenceTerms.from_dict(json.loads(row.terms)), granted_at=row.granted_at,
                   expires_at=row.expires_at, chars_used=row.chars_used, uses=row.uses, revoked_at=row.revoked_at)


def licences_of(buyer: str, cid: str | None = None) -> list[Licence]:
    query = select(licences).where(licences.c.buyer == buyer)
    if cid:
        query = query.where(licences.c.cid == cid)
    with market_db().connect() as conn:
        return [_licence(r) for r in conn.execute(query.order_by(licences.c.granted_at))]


def authorise(licence_id: str, buyer: str, chars: int, use: str = "commercial") -> int:
    """What the use will cost, or the reason it may not happen (checked again as it is charged)."""
    with market_db().connect() as conn:
        return _check(conn, licence_id, buyer, chars, use)[1]


def _check(conn: Connection, licence_id: str, buyer: str, chars: int, use: str) -> tuple[Licence, int]:
    row = conn.execute(select(licences).where(licences.c.id == licence_id)).first()
    if row is None or row.buyer != buyer:
        raise PaymentRequired(f"no licence {licence_id} of yours: license the voice first")
    held = _licence(row)
    status = conn.execute(select(listings.c.status).where(listings.c.cid == held.cid)).one().status
    if held.revoked_at or status != "listed":
        raise LicenceRefused("this voice was taken off the market (its owner withdrew consent or delisted it): "
                             "its licences no longer allow any use")
    if held.expires_at and utc_now() > datetime.fromisoformat(held.expires_at):
        raise LicenceRefused(f"the licence expired on {held.expires_at[:10]}: license the voice again")
    if use not in held.terms.uses:
        raise LicenceRefused(f"the licence does not allow {use} use (it allows {', '.join(held.terms.uses)})")
    quota = held.terms.quota_chars
    if quota is not None and held.chars_used + chars > quota:
        raise LicenceRefused(f"the licence's quota is {quota} characters; {held.chars_used} are used and this "
                             f"request has {chars}")
    price = held.terms.price(chars) if held.kind == "per_use" else 0
    account = conn.execute(select(accounts.c.balance).where(accounts.c.id == buyer)).first()
    if price > (account.balance if account else 0):
        raise PaymentRequired(f"this use costs {price} wei; the balance of {buyer} is "
                              f"{account.balance if account else 0} wei: add funds")
    return held, price


def charge(licence_id: str, buyer: str, chars: int, seconds: float, mark_id: int | None, idempotency_key: str,
           use: str = "commercial") -> Entry:
    """Charge one use, once: a second call with the same key returns the first entry and moves nothing."""
    with books() as conn:
        if (entry := entry_for_key(conn, idempotency_key)) is not None:
            return entry
        held, price = _check(conn, licence_id, buyer, chars, use)
        creator = conn.execute(select(listings.c.creator).where(listings.c.cid == held.cid)).one().creator
        conn.execute(update(licences).where(licences.c.id == licence_id)
                     .values(chars_used=held.chars_used + chars, uses=held.uses + 1))
        entry = append_entry(conn, "use", buyer, price, split(buyer, creator, price), licence_id=licence_id,
                             cid=held.cid, idempotency_key=idempotency_key, chars=chars, seconds=seconds,
                             mark_id=mark_id)
        if price:
            enqueue(conn, "use", held.cid, request=f"use:{idempotency_key}", value=price, seq=entry.seq)
        return entry
