"""The ledger mirrored on chain, on the in-process EVM and on a real Hardhat node: listings minted to their
creators' wallets, every paid use paid to the contract, and the chain's credits equal to the ledger's books to
the wei; a chain that is down loses nothing (the items wait and go on the next sync); a retry of an item the
chain already took is not paid twice; the ledger's head anchored on chain."""

import pytest
from sqlalchemy import update
from web3 import Web3

from vocalis.market.chain import Chain, in_process_chain
from vocalis.market.db import market_db
from vocalis.market.ledger import deposit, verify_chain
from vocalis.market.licence import LicenceTerms
from vocalis.market.mirror import ChainTarget, anchor_ledger, reconcile_chain, set_wallet, sync
from vocalis.market.package import Listing
from vocalis.market.registry import charge, grant, publish
from vocalis.market.schema import chain_outbox

VOICES = {"key:ana": "bafkreianaanaanaanaanaanaanaanaanaanaanaanaanaanaanaanaanaan",
          "key:ben": "bafkreibenbenbenbenbenbenbenbenbenbenbenbenbenbenbenbenbenbe"}


@pytest.fixture(params=["in-process", "hardhat"])
def target(request) -> tuple[ChainTarget, list[str]]:
    if request.param == "in-process":
        w3, accounts = in_process_chain()
    else:
        w3 = request.getfixturevalue("hardhat")
        accounts = list(w3.eth.accounts)
    return ChainTarget(Chain.deploy(w3, accounts[0]), accounts[0]), accounts


def _market_with_uses(accounts: list[str], uses: int = 10) -> list[int]:
    for n, (creator, cid) in enumerate(VOICES.items()):
        set_wallet(creator, accounts[n + 1])
        publish(cid, creator, creator[4:], f"id-{creator}", Listing(creator[4:], ("en",)),
                LicenceTerms(per_use=1_000_001 + n, per_1k_chars=77))
    deposit("key:bob", 10**12)
    licences = {cid: grant(cid, "key:bob").id for cid in VOICES.values()}
    paid = []
    for n in range(uses):
        cid = list(VOICES.values())[n % 2]
        paid.append(charge(licences[cid], "key:bob", 10 + n * 13, 1.5, n, idempotency_key=f"req-{n}").amount)
    return paid


def test_the_chain_holds_what_the_ledger_says_to_the_wei(target):
    chain_target, accounts = target
    paid = _market_with_uses(accounts)
    report = sync(chain_target)
    assert report.sent == 12 and not report.errors and report.gas > 0  # 2 mints, 10 uses
    figures = reconcile_chain(chain_target)
    assert sum(figures.values()) == sum(paid)
    assert figures["key:ana"] == sum(p * 80 // 100 for p in paid[0::2])
    assert chain_target.chain.owner_of(chain_target.chain.token_of(VOICES["key:ben"])) == accounts[2]
    assert sync(chain_target).sent == 0  # nothing left to send
    seq, head = anchor_ledger(chain_target)
    assert chain_target.chain.anchored() == (seq, head) == verify_chain()


def test_a_chain_that_is_down_loses_nothing_and_a_retry_pays_once(target):
    chain_target, accounts = target
    down = ChainTarget(Chain(Web3(Web3.HTTPProvider("http://127.0.0.1:9", request_kwargs={"timeout": 2})),
                             chain_target.chain.address), chain_target.platform)
    paid = _market_with_uses(accounts, uses=4)
    report = sync(down)
    assert report.sent == 0 and report.waiting == 6 and len(report.errors) == 2  # each voice's mint failed
    with market_db().connect() as conn:
        assert conn.execute(chain_outbox.select().where(chain_outbox.c.status == "pending")).all().__len__() == 6
    assert sync(chain_target).sent == 6
    with market_db().begin() as conn:  # the answer to the last use was lost: the mirror sends it again
        last = conn.execute(chain_outbox.select().order_by(chain_outbox.c.id.desc())).first()
        conn.execute(update(chain_outbox).where(chain_outbox.c.id == last.id).values(status="pending"))
    again = sync(chain_target)
    assert again.sent == 0 and again.already == 1
    assert sum(reconcile_chain(chain_target).values()) == sum(paid)


def test_a_configured_node_is_driven_with_the_platforms_key_from_an_encrypted_keystore(hardhat, tmp_path,
                                                                                      monkeypatch):
    import json

    from eth_account import Account

    from vocalis.market.chain import rpc_chain
    from vocalis.market.mirror import chain_target

    platform = Account.create()
    (tmp_path / "platform.json").write_text(json.dumps(Account.encrypt(platform.key, "s3cret")))
    hardhat.eth.send_transaction({"from": hardhat.eth.accounts[0], "to": platform.address, "value": 10**20})
    monkeypatch.setenv("VOCALIS_CHAIN_KEYSTORE", str(tmp_path / "platform.json"))
    monkeypatch.setenv("VOCALIS_CHAIN_PASSWORD", "s3cret")
    url = hardhat.provider.endpoint_uri
    deployed = Chain.deploy(rpc_chain(url), platform.address)  # signed here, sent raw: the node holds no key
    monkeypatch.setenv("VOCALIS_CHAIN_URL", url)
    monkeypatch.setenv("VOCALIS_CHAIN_CONTRACT", deployed.address)
    target = chain_target()
    assert target.platform == platform.address and target.chain.address == deployed.address
    paid = _market_with_uses(list(hardhat.eth.accounts), uses=2)
    assert sync().sent == 4 and sum(reconcile_chain().values()) == sum(paid)
    assert deployed.contract.functions.owner().call() == platform.address
