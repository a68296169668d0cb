"""The market's books on real databases, SQLite and a PostgreSQL server, every test on each: publish, license,
uses charged to the wei and split 80/20 (the creator's part rounded down, the platform's the rest), a retried
request charged once, refusals before anything is charged, consent revoked stopping use at once, and a ledger
whose changed or removed entries are found."""

import threading

import pytest
from sqlalchemy import delete, update

from vocalis.errors import LicenceRefused, MarketError, PaymentRequired
from vocalis.market.db import market_db
from vocalis.market.ledger import PLATFORM, balance, deposit, reconcile, statement, verify_chain, withdraw
from vocalis.market.licence import LicenceTerms
from vocalis.market.package import Listing
from vocalis.market.registry import authorise, browse, charge, delist_voice, grant, licence, publish
from vocalis.market.schema import ledger, ledger_head

CID = "bafkreiczzpugevdiki3klsqiq4ztlpam27s7wty3crxz6x3khnl3ldl33u"


@pytest.fixture(autouse=True, params=["sqlite", "postgresql"])
def database(request, monkeypatch) -> str:
    """The books in the test's own SQLite file (the data home's default), or in a fresh PostgreSQL database."""
    if request.param == "postgresql":
        monkeypatch.setenv("VOCALIS_DB_URL", request.getfixturevalue("postgres_url"))
    return request.param
TERMS = LicenceTerms(per_use=1_003, per_1k_chars=257, subscription_per_30_days=50_001, quota_chars=5_000,
                     uses=("personal", "commercial"))
TEXTS = [37, 120, 1, 999, 64, 250, 18, 77, 300, 5]  # characters of ten uses


def _published(cid: str = CID, terms: LicenceTerms = TERMS, creator: str = "key:ana") -> None:
    publish(cid, creator, "ana", "voice-id-ana", Listing("ana", ("en",), "warm narrator", "female",
                                                         tags=("audiobook",)), terms)


def test_ten_uses_are_paid_to_the_wei_and_split_80_20():
    _published()
    deposit("key:bob", 1_000_000)
    held = grant(CID, "key:bob")
    prices = []
    for n, chars in enumerate(TEXTS):
        assert authorise(held.id, "key:bob", chars) == TERMS.price(chars)
        entry = charge(held.id, "key:bob", chars, seconds=chars / 15, mark_id=1000 + n, idempotency_key=f"r{n}")
        prices.append(entry.amount)
    assert prices == [1_003 + -(-c * 257 // 1000) for c in TEXTS]
    to_creator = sum(p * 80 // 100 for p in prices)
    assert balance("key:ana") == to_creator and balance(PLATFORM) == sum(prices) - to_creator
    assert balance("key:bob") == 1_000_000 - sum(prices)
    assert abs(to_creator - 0.8 * sum(prices)) < len(prices)  # at most a wei per use rounds to the platform
    assert licence(held.id).uses == 10 and licence(held.id).chars_used == sum(TEXTS)
    totals = reconcile()
    assert sum(totals.values()) == 0 and totals["external"] == -1_000_000
    assert verify_chain()[0] == 11  # a deposit and ten uses
    assert [e.mark_id for e in statement("key:ana")] == list(range(1000, 1010))  # each use names its output
    withdraw("key:ana")
    assert balance("key:ana") == 0 and reconcile()["external"] == -1_000_000 + to_creator


def test_a_retried_request_is_charged_once_even_when_retried_at_the_same_time():
    _published()
    deposit("key:bob", 100_000)
    held = grant(CID, "key:bob")
    first = charge(held.id, "key:bob", 100, 6.0, 7, idempotency_key="same-request")
    again = charge(held.id, "key:bob", 100, 6.0, 7, idempotency_key="same-request")
    assert again == first and balance("key:bob") == 100_000 - first.amount
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        charge(held.id, "key:bob", 40, 2.0, 8, idempotency_key="racing"))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.seq for r in results}) == 1 and licence(held.id).uses == 2
    reconcile()


def test_a_use_without_licence_funds_or_terms_is_refused_and_nothing_is_charged():
    _published()
    with pytest.raises(PaymentRequired, match="license the voice first"):
        authorise("no-such-licence", "key:bob", 10)
    held = grant(CID, "key:bob")
    deposit("key:bob", 1_000)  # one use costs 1,003 + the characters
    with pytest.raises(PaymentRequired, match="add funds"):
        charge(held.id, "key:bob", 10, 1.0, 1, idempotency_key="poor")
    with pytest.raises(LicenceRefused, match="does not allow broadcast"):
        authorise(held.id, "key:bob", 10, use="broadcast")
    deposit("key:bob", 10_000_000)
    with pytest.raises(LicenceRefused, match="quota"):
        authorise(held.id, "key:bob", 5_001)
    with pytest.raises(PaymentRequired):  # someone else's licence
        authorise(held.id, "key:eve", 10)
    assert balance("key:ana") == 0 and licence(held.id).uses == 0
    expired = LicenceTerms(per_use=1, expires="2020-01-01")
    _published("bafkreiexpiredexpiredexpiredexpiredexpiredexpiredexpiredex", expired)
    with pytest.raises(LicenceRefused, match="until 2020-01-01"):
        grant("bafkreiexpiredexpiredexpiredexpiredexpiredexpiredexpiredex", "key:bob")


def test_a_subscription_is_paid_up_front_and_split_like_a_use():
    _published()
    deposit("key:bob", 60_000)
    held = grant(CID, "key:bob", "subscription")
    assert held.expires_at and balance("key:ana") == 50_001 * 80 // 100
    assert balance(PLATFORM) == 50_001 - 50_001 * 80 // 100
    assert charge(held.id, "key:bob", 300, 20.0, 3, idempotency_key="sub-1").amount == 0
    with pytest.raises(MarketError, match="not offered as a buyout"):
        grant(CID, "key:bob", "buyout")


def test_revoked_consent_stops_every_licence_at_once():
    _published()
    deposit("key:bob", 100_000)
    held = grant(CID, "key:bob")
    charge(held.id, "key:bob", 10, 1.0, 1, idempotency_key="before")
    assert [p.cid for p in browse(language="en", tag="audiobook")] == [CID]
    assert delist_voice("voice-id-ana", "consent revoked") == [CID]
    with pytest.raises(LicenceRefused, match="taken off the market"):
        charge(held.id, "key:bob", 10, 1.0, 2, idempotency_key="after")
    with pytest.raises(LicenceRefused):
        grant(CID, "key:carol")
    assert browse() == []


def test_a_changed_or_removed_entry_breaks_the_chain():
    _published()
    deposit("key:bob", 5_000)
    held = grant(CID, "key:bob")
    paid = [charge(held.id, "key:bob", 10, 1.0, n, idempotency_key=f"u{n}").amount for n in range(3)]
    count, head = verify_chain()
    assert count == 4 and len(head) == 64
    with market_db().begin() as conn:
        conn.execute(update(ledger).where(ledger.c.seq == 2).values(amount=1))
    with pytest.raises(MarketError, match="entry 2 was changed"):
        verify_chain()
    with market_db().begin() as conn:
        conn.execute(update(ledger).where(ledger.c.seq == 2).values(amount=paid[0]))  # put back
    verify_chain()
    with market_db().begin() as conn:
        conn.execute(delete(ledger).where(ledger.c.seq == 4))
    with pytest.raises(MarketError, match="newest entries were removed"):
        verify_chain()
    with market_db().begin() as conn:
        conn.execute(delete(ledger_head))
    with pytest.raises(MarketError):
        verify_chain()
