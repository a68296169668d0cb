"""The market over HTTP with API keys as accounts: a creator publishes a consenting voice, a buyer browses,
hears the sample, licenses it and speaks with it on /v1/tts (402 without a licence or funds, charged once per
Idempotency-Key), ten uses split exactly 80/20, the buyer never gets the voice itself, and the creator's
revoked consent stops the buyer at once (403)."""

import pytest
from fastapi.testclient import TestClient

from vocalis.service.market import PREFIX
from vocalis.studio.api import create_app
from vocalis.studio.api.keys import KeyStore
from vocalis.trust.consent import grant_written
from vocalis.voice import default_voice
from vocalis.voice.library import save_voice
from vocalis.voice.voice import Voice

TEXT = "Your order has shipped."
TERMS = {"per_use": 5_001, "per_1k_chars": 333, "uses": ["personal", "commercial"]}


@pytest.fixture
def market(tts, tmp_path):
    store = KeyStore()
    keys = {name: {"Authorization": f"Bearer {store.create(name, operator=name == 'ops')}"}
            for name in ("ana", "bob", "ops")}
    voice = Voice(name="ana", style=default_voice("en").style, pitch_scale=1.08, meta={"source": "clone",
                                                                                       "owner": "ana"})
    save_voice(voice)
    document = tmp_path / "consent.pdf"
    document.write_bytes(b"%PDF-1.4 ana authorises a synthetic copy of her voice")
    grant_written(voice, document, "user:operator")
    return TestClient(create_app(tts)), keys


def _tts(client, key, cid, licence=None, idempotency=None):
    headers = {**key, **({"Idempotency-Key": idempotency} if idempotency else {})}
    body = {"text": TEXT, "voice": PREFIX + cid, "lang": "en", **({"licence": licence} if licence else {})}
    return client.post("/v1/tts", json=body, headers=headers)


def test_publish_license_and_ten_paid_uses_split_80_20(market):
    client, keys = market
    r = client.post("/v1/market/voices", json={"voice": "ana", "gender": "female", "tags": ["support"],
                                               "terms": TERMS}, headers=keys["ana"])
    assert r.status_code == 201, r.text
    cid = r.json()["cid"]
    assert client.post("/v1/market/voices", json={"voice": "ana", "terms": TERMS}, headers=keys["bob"]).status_code \
        == 404  # not bob's voice: not even its name
    found = client.get("/v1/market/voices", params={"lang": "en", "tag": "support"}, headers=keys["bob"]).json()
    assert [v["cid"] for v in found["voices"]] == [cid] and found["voices"][0]["terms"]["per_use"] == "5001"
    sample = client.get(f"/v1/market/voices/{cid}/sample", headers=keys["bob"])
    assert sample.status_code == 200 and sample.content[:4] == b"RIFF"

    assert _tts(client, keys["bob"], cid).status_code == 402  # no licence
    licence = client.post("/v1/market/licences", json={"cid": cid}, headers=keys["bob"]).json()["id"]
    r = _tts(client, keys["bob"], cid, licence)
    assert r.status_code == 402 and "add funds" in r.json()["error"]["message"]
    assert client.post("/v1/market/deposits", json={"amount": 10**6, "account": "key:bob"},
                       headers=keys["bob"]).status_code == 403  # only an operator pays into another account
    assert client.post("/v1/market/deposits", json={"amount": 10**6, "account": "key:bob"},
                       headers=keys["ops"]).status_code == 201

    for n in range(10):
        r = _tts(client, keys["bob"], cid, licence, idempotency=f"order-{n}")
        assert r.status_code == 200 and r.content[:4] == b"RIFF", r.text
    assert _tts(client, keys["bob"], cid, licence, idempotency="order-9").status_code == 200  # a retry
    price = 5_001 + -(-len(TEXT) * 333 // 1000)
    bob = client.get("/v1/market/earnings", headers=keys["bob"]).json()
    ana = client.get("/v1/market/earnings", headers=keys["ana"]).json()
    assert int(bob["balance"]) == 10**6 - 10 * price and int(bob["spent"]) == 10 * price
    assert int(ana["balance"]) == 10 * (price * 80 // 100) == int(ana["earned"])
    assert len([e for e in ana["entries"] if e["kind"] == "use"]) == 10
    books = client.get("/v1/market/books", headers=keys["ops"]).json()
    assert books["entries"] == 11 and books["balanced"]

    listed = client.get("/v1/voices", headers=keys["bob"]).json()["voices"]
    assert "ana" not in [v["name"] for v in listed]  # the buyer never gets the voice itself
    assert client.get("/v1/voices/ana/preview", headers=keys["bob"]).status_code == 404

    assert client.delete("/v1/voices/ana/consent", headers=keys["ana"]).status_code == 200
    r = _tts(client, keys["bob"], cid, licence, idempotency="after-revoke")
    assert r.status_code == 403 and "off the market" in r.json()["error"]["message"]
    assert client.get("/v1/market/voices", headers=keys["bob"]).json()["voices"] == []


def test_the_server_mirrors_paid_uses_on_chain_by_itself(tts, market):
    import time

    from vocalis.market.mirror import pending_items, reconcile_chain
    from vocalis.studio.api import create_app

    _, keys = market
    with TestClient(create_app(tts, chain_sync_s=0.3)) as client:  # the lifespan runs: the mirror loop with it
        client.put("/v1/market/wallet", json={"address": "0x" + "22" * 20}, headers=keys["ana"])
        cid = client.post("/v1/market/voices", json={"voice": "ana", "terms": TERMS}, headers=keys["ana"]).json()["cid"]
        licence = client.post("/v1/market/licences", json={"cid": cid}, headers=keys["bob"]).json()["id"]
        client.post("/v1/market/deposits", json={"amount": 10**6, "account": "key:bob"}, headers=keys["ops"])
        assert _tts(client, keys["bob"], cid, licence).status_code == 200
        deadline = time.monotonic() + 30
        while pending_items() and time.monotonic() < deadline:
            time.sleep(0.2)
    figures = reconcile_chain()  # the server's in-process chain: this process's
    assert figures["key:ana"] == (5_001 + -(-len(TEXT) * 333 // 1000)) * 80 // 100
