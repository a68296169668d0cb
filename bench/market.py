"""The market under load, through a real `vocalis serve` and a real chain node: 20 creators publish a voice each,
50 buyers license them and speak with them concurrently on /v1/tts (1,000 paid uses, one in twenty retried with
the same Idempotency-Key), then the ledger is mirrored on a Hardhat node. Prints the throughput, the gas, and
whether the ledger, every balance and the chain reconcile to the wei against what the clients paid by their
own count.

    .venv/bin/python bench/market.py [--uses 1000] [--buyers 50] [--creators 20]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from web3 import Web3

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from evm_node import hardhat_node  # noqa: E402  (the tests' node helper: starts Hardhat on a free port)
from load import _free_port, _start_server  # noqa: E402  (bench/load.py: a real server on a free port)

TEXTS = ["Your order has shipped.", "Welcome back.", "The meeting starts at noon.", "Thank you for waiting."]
TIMEOUT = httpx.Timeout(600.0, connect=30.0)
TERMS = {"per_use": 1_000_000_007, "per_1k_chars": 3_000_017}


def _prepare_library(home: str, creators: int) -> None:
    """Each creator's consenting voice, made through their key (so it is theirs to publish)."""
    os.environ["VOCALIS_HOME"] = home
    from vocalis.trust.consent import grant_written
    from vocalis.voice import default_voice
    from vocalis.voice.library import save_voice
    from vocalis.voice.voice import Voice

    document = Path(home) / "consent.pdf"
    document.write_bytes(b"%PDF-1.4 authorisations of the creators")
    for n in range(creators):
        # A pitch of its own (never 1.0, which would be the built-in voice itself).
        voice = Voice(name=f"voice-{n}", style=default_voice("en").style, pitch_scale=0.85 + n * 0.013,
                      meta={"source": "clone", "owner": f"creator-{n}"})
        save_voice(voice)
        grant_written(voice, document, "user:operator")


def _buyer(base: str, key: str, cids: list[str], licences: dict[str, str], uses: int, seed: int,
           paid: Counter, errors: Counter, lock: threading.Lock) -> None:
    rng = random.Random(seed)
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, timeout=TIMEOUT, headers=auth) as client:
        for n in range(uses):
            cid, text = rng.choice(cids), rng.choice(TEXTS)
            request_key = f"{seed}-{n}"
            body = {"text": text, "voice": f"market:{cid}", "lang": "en", "licence": licences[cid]}
            for attempt in range(2 if n % 20 == 0 else 1):  # one use in twenty is sent twice: charged once
                r = client.post("/v1/tts", json=body, headers={"Idempotency-Key": request_key})
                with lock:
                    if r.status_code != 200:
                        errors[f"{r.status_code} {r.text[:80]}"] += 1
                    elif attempt == 0:
                        paid[cid] += TERMS["per_use"] + -(-len(text) * TERMS["per_1k_chars"] // 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uses", type=int, default=1000)
    parser.add_argument("--buyers", type=int, default=50)
    parser.add_argument("--creators", type=int, default=20)
    args = parser.parse_args()
    node = hardhat_node()
    w3 = next(node)
    with tempfile.TemporaryDirectory() as home:
        from vocalis.market.chain import Chain
        from vocalis.studio.api.keys import KeyStore

        platform = w3.eth.accounts[0]
        chain = Chain.deploy(w3, platform)
        os.environ.update(VOCALIS_CHAIN_URL=w3.provider.endpoint_uri, VOCALIS_CHAIN_CONTRACT=chain.address)
        _prepare_library(home, args.creators)
        keys = KeyStore(Path(home) / "api_keys.sqlite3")
        ops = {"Authorization": f"Bearer {keys.create('ops', operator=True)}"}
        creators = [keys.create(f"creator-{n}") for n in range(args.creators)]
        buyers = [keys.create(f"buyer-{n}") for n in range(args.buyers)]
        port = _free_port()
        server = _start_server(home, port)
        base = f"http://127.0.0.1:{port}"
        try:
            _run(base, w3, chain, platform, ops, creators, buyers, args.uses)
        finally:
            server.terminate()
            server.wait(30)
            next(node, None)


def _run(base: str, w3: Web3, chain, platform: str, ops: dict, creators: list[str], buyers: list[str],
         uses: int) -> None:
    client = httpx.Client(base_url=base, timeout=TIMEOUT)
    wallets, cids = {}, []
    started = time.monotonic()
    for n, key in enumerate(creators):
        auth = {"Authorization": f"Bearer {key}"}
        wallets[f"key:creator-{n}"] = Web3.to_checksum_address(Web3.keccak(text=f"wallet-{n}")[-20:].hex())
        client.put("/v1/market/wallet", json={"address": wallets[f"key:creator-{n}"]}, headers=auth).raise_for_status()
        r = client.post("/v1/market/voices", json={"voice": f"voice-{n}", "terms": TERMS}, headers=auth)
        r.raise_for_status()
        cids.append(r.json()["cid"])
    print(f"published {len(cids)} voices in {time.monotonic() - started:.1f} s")
    deposit = 10**15
    licences: list[dict[str, str]] = []
    for n, key in enumerate(buyers):
        client.post("/v1/market/deposits", json={"amount": deposit, "account": f"key:buyer-{n}"},
                    headers=ops).raise_for_status()
        auth = {"Authorization": f"Bearer {key}"}
        licences.append({cid: client.post("/v1/market/licences", json={"cid": cid}, headers=auth).json()["id"]
                         for cid in cids})
    paid, errors, lock = Counter(), Counter(), threading.Lock()
    per_buyer = uses // len(buyers)
    threads = [threading.Thread(target=_buyer, args=(base, key, cids, licences[n], per_buyer, n, paid, errors, lock))
               for n, key in enumerate(buyers)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - started
    done = per_buyer * len(buyers) - sum(errors.values())
    print(f"{done} paid uses ({per_buyer * len(buyers) // 20} retried) by {len(buyers)} buyers of "
          f"{len(cids)} voices in {took:.1f} s: {done / took:.2f} uses/s; errors: {dict(errors) or 'none'}")
    started = time.monotonic()
    status = client.post("/v1/market/chain/sync", headers=ops).json()
    items = status["sent"]
    print(f"chain mirror: {items} transactions ({len(cids)} mints, {items - len(cids)} uses) in "
          f"{time.monotonic() - started:.1f} s, {status['gas']:,} gas, {(status['gas'] / max(items, 1)):,.0f} per "
          f"transaction; waiting {status['waiting']}")
    _reconcile(client, w3, chain, platform, ops, creators, buyers, wallets, cids, paid, deposit)


def _reconcile(client, w3, chain, platform, ops, creators, buyers, wallets, cids, paid, deposit) -> None:
    problems = []
    total = sum(paid.values())
    owed = {f"key:creator-{n}": paid[cid] for n, cid in enumerate(cids)}  # by the clients' own count
    for n, key in enumerate(creators):
        account = f"key:creator-{n}"
        books = client.get("/v1/market/earnings", headers={"Authorization": f"Bearer {key}"}).json()
        uses = [int(e["amount"]) for e in books["entries"] if e["kind"] == "use"]
        expected = sum(uses)
        if int(books["balance"]) != expected or chain.credit(wallets[account]) != expected:
            problems.append(f"{account}: ledger {books['balance']}, chain {chain.credit(wallets[account])}")
        if not expected <= owed[account] * 80 // 100 + 1 or expected < owed[account] * 80 // 100 - len(uses):
            problems.append(f"{account}: earned {expected}, 80 % of what was paid for its voice is {owed[account]}")
    spent = 0
    for n, key in enumerate(buyers):
        books = client.get("/v1/market/earnings", headers={"Authorization": f"Bearer {key}"}).json()
        spent += int(books["spent"])
        if int(books["balance"]) != deposit - int(books["spent"]):
            problems.append(f"buyer-{n}: balance {books['balance']}, spent {books['spent']}")
    if spent != total:
        problems.append(f"buyers spent {spent} in the ledger; the clients paid {total}")
    on_chain = sum(chain.credit(w) for w in wallets.values()) + chain.credit(platform)
    if on_chain != total or w3.eth.get_balance(chain.address) != total:
        problems.append(f"the chain holds {w3.eth.get_balance(chain.address)} (credits {on_chain}); paid {total}")
    books = client.get("/v1/market/books", headers=ops).json()
    print(f"ledger: {books['entries']} entries, chain of hashes intact, anchored on chain: {chain.anchored()[0]}")
    print(f"paid {total:,} wei in all: creators {total - chain.credit(platform):,} (80 %), platform "
          f"{chain.credit(platform):,}")
    print("reconciled to the wei: ledger, balances and chain" if not problems else "MISMATCH:\n  " +
          "\n  ".join(problems))


if __name__ == "__main__":
    main()
