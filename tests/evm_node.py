"""A real local EVM node for the market's tests: Hardhat's (`make test` installs it: js/package.json), on a free
loopback port, started once for the session when a test first asks for it (a pytest plugin, named in
conftest.py; `bench/market.py` starts its own with `hardhat_node`). Each test deploys its own contract."""

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

JS = Path(__file__).resolve().parents[1] / "js"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hardhat_node() -> Iterator[Web3]:
    assert (JS / "node_modules" / ".bin" / "hardhat").exists(), "run `make js`"
    port = _free_port()
    env = {**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true", "DO_NOT_TRACK": "1"}
    node = subprocess.Popen(["npx", "hardhat", "node", "--hostname", "127.0.0.1", "--port", str(port)], cwd=JS,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}"))
    deadline = time.monotonic() + 60
    while not w3.is_connected():
        assert node.poll() is None and time.monotonic() < deadline, "the Hardhat node did not start"
        time.sleep(0.5)
    yield w3
    node.terminate()
    node.wait(10)


@pytest.fixture(scope="session")
def hardhat() -> Iterator[Web3]:
    yield from hardhat_node()
