"""The VoiceMarket ERC-721 contract for real, on the in-process EVM (eth-tester, py-evm) and on a real local
node (Hardhat's, started here): mint, paid uses credited 80/20 to the wei, an underpaid or repeated use reverted,
a transfer moving later earnings to the new owner, pull withdrawals, the ledger's head anchored by the platform
alone; and the checked-in ABI and bytecode rebuilt from source byte for byte."""

import subprocess

import pytest
from evm_node import JS
from web3 import Web3

from vocalis.errors import ChainError
from vocalis.market.chain import ARTIFACT, Chain, in_process_chain

CID = "bafkreiczzpugevdiki3klsqiq4ztlpam27s7wty3crxz6x3khnl3ldl33u"
FEE = 1_000_003  # wei: 80 % is not a whole number of wei


@pytest.fixture(params=["in-process", "hardhat"])
def chain(request):
    if request.param == "in-process":
        w3, accounts = in_process_chain()
    else:
        w3 = request.getfixturevalue("hardhat")
        accounts = list(w3.eth.accounts)
    platform, creator, buyer, heir = accounts[:4]
    return Chain.deploy(w3, platform), platform, creator, buyer, heir


def test_paid_uses_are_credited_80_20_and_withdrawn(chain):
    market, platform, creator, buyer, _ = chain
    token = market.mint(platform, creator, CID, price=10**18, use_fee=FEE)
    assert market.owner_of(token) == creator and market.token_of(CID) == token
    before = (market.credit(creator), market.credit(platform))
    paid = [FEE, FEE + 7, 3 * FEE + 1]
    for n, value in enumerate(paid):
        event = market.use(buyer, token, Web3.keccak(text=f"request-{n}"), value)
        assert event["toOwner"] == value * 8000 // 10000 and event["toOwner"] + event["toPlatform"] == value
    to_creator = sum(v * 8000 // 10000 for v in paid)
    assert market.credit(creator) - before[0] == to_creator
    assert market.credit(platform) - before[1] == sum(paid) - to_creator
    held = market.w3.eth.get_balance(market.address)
    assert market.withdraw(creator) == to_creator + before[0] and market.credit(creator) == 0
    assert market.w3.eth.get_balance(market.address) == held - to_creator - before[0]
    with pytest.raises(ChainError, match="nothing to withdraw"):
        market.withdraw(creator)


def test_underpaid_or_repeated_uses_revert(chain):
    market, platform, creator, buyer, _ = chain
    token = market.mint(platform, creator, CID, price=0, use_fee=FEE)
    with pytest.raises(ChainError, match="underpaid"):
        market.use(buyer, token, Web3.keccak(text="cheap"), FEE - 1)
    with pytest.raises(ChainError, match="underpaid"):
        market.use(buyer, token, Web3.keccak(text="free"), 0)
    market.use(buyer, token, Web3.keccak(text="once"), FEE)
    with pytest.raises(ChainError, match="already paid"):
        market.use(buyer, token, Web3.keccak(text="once"), FEE)
    with pytest.raises(ChainError, match="already minted"):
        market.mint(platform, buyer, CID, price=0, use_fee=0)
    with pytest.raises(ChainError):  # only the platform mints
        market.mint(creator, creator, "bafkreiother", price=0, use_fee=0)
    assert market.credit(creator) == FEE * 8000 // 10000


def test_a_transfer_moves_later_earnings_to_the_new_owner(chain):
    market, platform, creator, buyer, heir = chain
    token = market.mint(platform, creator, CID, price=0, use_fee=FEE)
    market.use(buyer, token, Web3.keccak(text="before"), FEE)
    market.transfer(token, creator, heir)
    market.use(buyer, token, Web3.keccak(text="after"), FEE)
    assert market.owner_of(token) == heir
    assert market.credit(creator) == FEE * 8000 // 10000 == market.credit(heir)


def test_only_the_platform_anchors_the_ledger_and_only_forward(chain):
    market, platform, creator, _, _ = chain
    head = "ab" * 32
    market.anchor(platform, 11, head)
    assert market.anchored() == (11, head)
    with pytest.raises(ChainError):
        market.anchor(creator, 12, head)
    with pytest.raises(ChainError, match="only move forward"):
        market.anchor(platform, 11, "cd" * 32)


def test_the_checked_in_contract_is_rebuilt_byte_for_byte(tmp_path):
    subprocess.run(["node", str(JS / "build_contract.mjs"), str(tmp_path / "built.json")], check=True,
                   capture_output=True)
    assert (tmp_path / "built.json").read_bytes() == ARTIFACT.read_bytes()
