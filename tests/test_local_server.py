"""`vocalis serve` answers /health at once and /ready once warm, and `vocalis say` on the same machine hands
its request to it: the same samples as a local render, recorded under the same local user. Real processes."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
import soundfile as sf

VOCALIS = [sys.executable, "-m", "vocalis.studio.cli"]


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError):
        return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _say(*args: str) -> str:
    proc = subprocess.run([*VOCALIS, "say", "Hello there.", *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


@pytest.mark.slow
def test_say_goes_through_the_local_server(tmp_path, voice_library):
    home = voice_library.parent
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([*VOCALIS, "serve", "--port", str(port)], env=os.environ.copy(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        health_before_ready = False
        deadline = time.monotonic() + 240
        while _status(f"{url}/ready") != 200:
            assert time.monotonic() < deadline, "the server never became ready"
            assert server.poll() is None, server.stderr.read()
            health_before_ready |= _status(f"{url}/health") == 200 and _status(f"{url}/ready") == 503
            time.sleep(0.05)
        assert health_before_ready, "/health should answer while the models still warm (/ready 503)"
        card = home / "server.json"
        assert card.stat().st_mode & 0o777 == 0o600

        assert f"rendered by {url}" in _say("-o", str(tmp_path / "served.wav"))
        assert "rendered by" not in _say("-o", str(tmp_path / "local.wav"), "--local")
        served, rate = sf.read(tmp_path / "served.wav", dtype="int16")
        local, _ = sf.read(tmp_path / "local.wav", dtype="int16")
        assert rate == 24000 and len(served) > rate
        assert np.array_equal(served, local)  # same engine, same mark id (VOCALIS_MARK_ID): the same samples

        log = subprocess.run([*VOCALIS, "audit", "show"], capture_output=True, text=True, check=True).stdout
        records = [line for line in log.splitlines() if "'Hello there.'" in line]
        assert len(records) == 2 and all(" by user:" in line for line in records), log
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not (home / "server.json").exists()  # withdrawn on shutdown: no later `say` tries a dead server
