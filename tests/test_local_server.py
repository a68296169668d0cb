"""`vocalis serve` answers /health at once and /ready once warm, and `vocalis say` on the same machine hands
its request to it: the same samples as a local render, recorded under the same local user. It logs each
request as JSON when asked. Real processes."""

import json
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
    log = tmp_path / "server.log"
    server = subprocess.Popen([*VOCALIS, "serve", "--port", str(port), "--log-format", "json"], env=os.environ.copy(),
                              stdout=subprocess.DEVNULL, stderr=log.open("w"), text=True)
    try:
        health_before_ready = False
        deadline = time.monotonic() + 240
        while _status(f"{url}/ready") != 200:
            assert time.monotonic() < deadline, "the server never became ready"
            assert server.poll() is None, log.read_text()
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

        audit = subprocess.run([*VOCALIS, "audit", "show"], capture_output=True, text=True, check=True).stdout
        records = [line for line in audit.splitlines() if "'Hello there.'" in line]
        assert len(records) == 2 and all(" by user:" in line for line in records), audit
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not (home / "server.json").exists()  # withdrawn on shutdown: no later `say` tries a dead server
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    said = [line for line in lines if line.get("message") == "request" and line["path"] == "/v1/tts"]
    assert len(said) == 1 and said[0]["status"] == 200 and len(said[0]["request_id"]) == 32, lines[-3:]
    assert {"time", "level", "seconds"} <= said[0].keys()
