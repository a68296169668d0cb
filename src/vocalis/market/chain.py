"""The market's on-chain mirror: the `VoiceMarket` ERC-721 contract (contracts/VoiceMarket.sol, built by
js/build_contract.mjs into contracts/VoiceMarket.json beside this module) on an EVM, through web3.

By default the chain is in this process (eth-tester over py-evm: no node, nothing to install, state lost when
the process ends); `VOCALIS_CHAIN_URL` names any JSON-RPC node instead, with the platform's key from an encrypted
keystore (`VOCALIS_CHAIN_KEYSTORE`, password in `VOCALIS_CHAIN_PASSWORD`) and the deployed contract's address
in `VOCALIS_CHAIN_CONTRACT`."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from web3.logs import DISCARD

from vocalis.errors import ChainError

ARTIFACT = Path(__file__).parent / "contracts" / "VoiceMarket.json"
CREATOR_SHARE_BPS = 8_000


@cache
def artifact() -> dict:
    return json.loads(ARTIFACT.read_text(encoding="utf-8"))


class Chain:
    """The contract at `address` on `w3`, transacting from unlocked node accounts or local keys."""

    def __init__(self, w3: Any, address: str):
        self.w3 = w3
        self.contract = w3.eth.contract(address=address, abi=artifact()["abi"])
        self.gas_used = 0  # by the transactions this object sent

    @property
    def address(self) -> str:
        return self.contract.address

    @classmethod
    def deploy(cls, w3: Any, platform: str, share_bps: int = CREATOR_SHARE_BPS) -> Chain:
        """A new contract whose platform (owner) is `platform`."""
        factory = w3.eth.contract(abi=artifact()["abi"], bytecode=artifact()["bytecode"])
        receipt = _wait(w3, _call(lambda: factory.constructor(share_bps).transact({"from": platform})))
        return cls(w3, receipt.contractAddress)

    def mint(self, platform: str, creator: str, cid: str, price: int, use_fee: int) -> int:
        """The platform mints a voice's token to its creator's wallet."""
        receipt = self._send(self.contract.functions.mint(creator, cid, price, use_fee), platform)
        return self.contract.events.VoiceMinted().process_receipt(receipt, errors=DISCARD)[0].args.tokenId

    def use(self, payer: str, token_id: int, request_hash: bytes, value: int) -> dict:
        """Pay for a use; returns the VoiceUsed event's fields (paid, toOwner, toPlatform)."""
        receipt = self._send(self.contract.functions.use(token_id, request_hash), payer, value)
        return dict(self.contract.events.VoiceUsed().process_receipt(receipt, errors=DISCARD)[0].args)

    def withdraw(self, account: str) -> int:
        receipt = self._send(self.contract.functions.withdraw(), account)
        return self.contract.events.Withdrawn().process_receipt(receipt, errors=DISCARD)[0].args.amount

    def transfer(self, token_id: int, holder: str, to: str) -> None:
        self._send(self.contract.functions.transferFrom(holder, to, token_id), holder)

    def anchor(self, platform: str, seq: int, head: str) -> None:
        self._send(self.contract.functions.anchor(seq, bytes.fromhex(head)), platform)

    def credit(self, account: str) -> int:
        return self.contract.functions.credits(account).call()

    def owner_of(self, token_id: int) -> str:
        return self.contract.functions.ownerOf(token_id).call()

    def token_of(self, cid: str) -> int:
        from web3 import Web3

        return self.contract.functions.tokenOfCid(Web3.keccak(text=cid)).call()

    def anchored(self) -> tuple[int, str]:
        return self.contract.functions.ledgerSeq().call(), self.contract.functions.ledgerHead().call().hex()

    def _send(self, function: Any, sender: str, value: int = 0) -> Any:
        receipt = _wait(self.w3, _call(lambda: function.transact({"from": sender, "value": value})))
        self.gas_used += receipt.gasUsed
        return receipt


def in_process_chain() -> tuple[Any, list[str]]:
    """A fresh in-process EVM (eth-tester, py-evm) and its funded, unlocked accounts."""
    from web3 import EthereumTesterProvider, Web3

    w3 = Web3(EthereumTesterProvider())
    return w3, list(w3.eth.accounts)


def rpc_chain(url: str) -> Any:
    """web3 on a JSON-RPC node; with a keystore configured, its key signs what the platform sends."""
    from web3 import Web3
    from web3.middleware import SignAndSendRawMiddlewareBuilder

    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    keystore = os.environ.get("VOCALIS_CHAIN_KEYSTORE")
    if keystore:
        from eth_account import Account

        key = Account.decrypt(json.loads(Path(keystore).read_text()), os.environ.get("VOCALIS_CHAIN_PASSWORD", ""))
        account = Account.from_key(key)
        w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(account), layer=0)
        w3.eth.default_account = account.address
    return w3


def _call(send: Any) -> Any:
    from eth_tester.exceptions import TransactionFailed
    from web3.exceptions import ContractLogicError, Web3Exception

    try:
        return send()
    except ContractLogicError as e:
        raise ChainError(f"the contract refused: {e.message or e}") from None
    except TransactionFailed as e:  # the in-process chain's own word for a revert
        raise ChainError(f"the contract refused: {e}") from None
    except (Web3Exception, OSError, ValueError) as e:
        raise ChainError(f"the chain did not take the transaction: {e}") from None


def _wait(w3: Any, tx: bytes) -> Any:
    receipt = w3.eth.wait_for_transaction_receipt(tx, timeout=60)
    if receipt.status != 1:
        raise ChainError(f"transaction {tx.hex()} reverted")
    return receipt
