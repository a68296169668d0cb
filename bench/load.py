"""Load on a real `vocalis serve`: many concurrent clients, each with its own API key, for a fixed time, issuing
a realistic mix (mostly short /v1/audio/speech in various formats, some streamed pcm, /v1/tts with emotion,
GET /v1/voices, /health). Prints requests, errors by kind (should be none), latency per endpoint, throughput,
seconds of audio rendered per second and the server's memory. Renders queue on one engine: with many
clients on a small CPU, latencies are long by design; errors are what must not happen.

With --long-clients N, N more keys each send a long text (about LONG_CHARS characters, not streamed) again and
again. The engine serves the least recently served key first, one segment at a time, so a short request waits
behind at most one segment of theirs: the report gives the short requests' p95 under that mix against one
short request's quiet latency, measured in the same run before the load starts.

With --ray N the server runs on a local Ray cluster with N renderer replicas (`vocalis serve --ray`); memory is
then the whole process tree's and the largest single process's (one engine). --kill-replica-at S kills one
renderer replica's process (SIGKILL) S seconds into the load: the errors line says whether any request was lost.

    .venv/bin/python bench/load.py [--clients 30] [--long-clients 0] [--seconds 60] [--ray 2 [--kill-replica-at 20]]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from vocalis.audio import Audio
from vocalis.studio.api.keys import KeyStore

SENTENCES = ["Good morning, the train leaves at six.", "Please close the door behind you.",
             "The meeting moved to Thursday afternoon.", "It is raining again, take an umbrella.",
             "Your order has been shipped.", "Turn left at the next corner.", "Thank you for calling, how can I help?",
             "The museum opens at nine.", "We are out of milk.", "Dinner is ready."]
FORMATS = ["mp3", "wav", "opus", "aac", "flac"]
SAMPLE_RATE = 24000
LONG_CHARS = 3000
SHORT = ("speech", "tts")  # the endpoint labels of the short renders (one sentence each)
TIMEOUT = httpx.Timeout(600.0, connect=30.0)  # renders queue on one engine: waits are long, never errors


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    audio: list[tuple[str, bytes]] = field(default_factory=list)  # (format, body), decoded after the run
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, endpoint: str, seconds: float, error: str | None, audio: tuple[str, bytes] | None) -> None:
        with self.lock:
            if error:
                self.errors[f"{endpoint}: {error}"] += 1
            else:
                self.latencies[endpoint].append(seconds)
                if audio:
                    self.audio.append(audio)


def _request(client: httpx.Client, rng: random.Random) -> tuple[str, str | None, tuple[str, bytes] | None]:
    """One request of the mix: (endpoint label, error or None, audio returned)."""
    pick = rng.random()
    text = rng.choice(SENTENCES)
    if pick < 0.45:
        fmt = rng.choice(FORMATS)
        r = client.post("/v1/audio/speech", json={"model": "tts-1", "input": text, "voice": rng.choice(
            ["alloy", "onyx", "nova", "default"]), "response_format": fmt})
        return f"speech {fmt}", _problem(r), (fmt, r.content)
    if pick < 0.60:
        with client.stream("POST", "/v1/audio/speech", json={"input": text, "voice": "echo",
                                                             "response_format": "pcm"}) as r:
            body = b"".join(r.iter_bytes())
        return "speech pcm stream", _problem(r, body), ("pcm", body)
    if pick < 0.75:
        emotion = rng.choice([{"vector": {"happy": 0.8}, "weight": 0.7}, {"text": "sadly, almost whispering"},
                              {"vector": {"angry": 0.9}}])
        r = client.post("/v1/tts", json={"text": text, "voice": "jm_kumo", "lang": "en", "format": "wav",
                                         "emotion": emotion})
        return "tts emotion", _problem(r), ("wav", r.content)
    if pick < 0.90:
        r = client.get("/v1/voices")
        return "voices", _problem(r) or (None if "voices" in r.json() else "bad body"), None
    r = client.get("/health")
    return "health", _problem(r), None


def _long_request(client: httpx.Client, rng: random.Random) -> tuple[str, str | None, tuple[str, bytes] | None]:
    """A long text from a key of its own, not streamed: it takes the engine for many segments."""
    text = " ".join(rng.choice(SENTENCES) for _ in range(LONG_CHARS // 32))
    r = client.post("/v1/audio/speech", json={"input": text, "voice": "onyx", "response_format": "pcm"})
    return "long pcm", _problem(r), ("pcm", r.content)


def _problem(r: httpx.Response, body: bytes | None = None) -> str | None:
    if r.status_code != 200:
        return f"HTTP {r.status_code}"
    if not (r.content if body is None else body):
        return "empty body"
    return None


def _client(base: str, key: str, deadline: float, seed: int, results: Results, long: bool = False) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=base, timeout=TIMEOUT, headers={"Authorization": f"Bearer {key}"}) as client:
        while time.monotonic() < deadline:
            start = time.monotonic()
            endpoint = "?"
            try:
                endpoint, error, audio = (_long_request if long else _request)(client, rng)
            except httpx.HTTPError as e:
                error, audio = type(e).__name__, None
            results.record(endpoint, time.monotonic() - start, error, audio)
            time.sleep(rng.uniform(0.1, 1.0))  # a person or app between two requests


def _seconds_of_audio(fmt: str, body: bytes) -> float:
    if fmt == "pcm":
        return len(body) / 2 / SAMPLE_RATE
    with tempfile.NamedTemporaryFile(suffix={"opus": ".ogg"}.get(fmt, f".{fmt}")) as f:
        f.write(body)
        f.flush()
        return Audio.load(f.name).duration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(home: str, port: int, replicas: int) -> subprocess.Popen:
    """`vocalis serve` with its log in HOME/server.log (a file, not a pipe, which could fill and block it)."""
    env = {**os.environ, "VOCALIS_HOME": home}
    cluster = ["--ray", "--replicas", str(replicas)] if replicas else []
    with open(Path(home) / "server.log", "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "vocalis.studio.cli", "serve", "--port", str(port),
                                   *cluster], env=env, stderr=log)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the server did not start: {(Path(home) / 'server.log').read_text()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--long-clients", type=int, default=0, help="more keys, each sending long texts")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--ray", type=int, default=0, metavar="N", help="serve on a local Ray cluster, N replicas")
    parser.add_argument("--kill-replica-at", type=float, metavar="S", help="with --ray: kill a replica then")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        keys = KeyStore(Path(home) / "api_keys.sqlite3")
        secrets = [keys.create(f"client-{n}") for n in range(args.clients + args.long_clients)]
        port = _free_port()
        server = _start_server(home, port, args.ray)
        base = f"http://127.0.0.1:{port}"
        try:
            httpx.post(f"{base}/v1/audio/speech", json={"input": "Warm up.", "response_format": "wav"},
                       headers={"Authorization": f"Bearer {secrets[0]}"}, timeout=TIMEOUT).raise_for_status()
            quiet = _quiet_latency(base, secrets[0])
            process = psutil.Process(server.pid)
            rss = [_memory(process)]
            results = Results()
            start = time.monotonic()
            deadline = start + args.seconds
            threads = [threading.Thread(target=_client, args=(base, key, deadline, n, results, n >= args.clients))
                       for n, key in enumerate(secrets)]
            for t in threads:
                t.start()
            killed = None
            while any(t.is_alive() for t in threads):
                rss.append(_memory(process))
                if args.kill_replica_at and killed is None and time.monotonic() - start >= args.kill_replica_at:
                    killed = _kill_a_replica(process, time.monotonic() - start)
                time.sleep(1)
            elapsed = time.monotonic() - start
            healthy = httpx.get(f"{base}/health", timeout=10).status_code == 200
        finally:
            server.terminate()
            server.wait(timeout=180)
            log = (Path(home) / "server.log").read_text()
    _report(args, results, elapsed, rss, healthy, log, quiet)
    if killed:
        print(killed)


def _memory(process: psutil.Process) -> tuple[int, int]:
    """RSS of the server's whole process tree, and of its largest process (one engine)."""
    sizes = []
    for p in [process, *process.children(recursive=True)]:
        try:
            sizes.append(p.memory_info().rss)
        except psutil.Error:  # gone meanwhile
            pass
    return sum(sizes), max(sizes)


def _kill_a_replica(process: psutil.Process, at: float) -> str:
    for p in process.children(recursive=True):
        try:
            if "renderer" in " ".join(p.cmdline()):  # Ray titles it ray::ServeReplica:vocalis:renderer
                p.kill()
                return f"killed renderer replica pid {p.pid} at {at:.0f} s (SIGKILL)"
        except psutil.Error:
            continue
    return "no renderer replica found to kill"


def _quiet_latency(base: str, key: str) -> float:
    """The median of three short requests alone on the server: what a short request costs without load."""
    times = []
    with httpx.Client(base_url=base, timeout=TIMEOUT, headers={"Authorization": f"Bearer {key}"}) as client:
        for text in SENTENCES[:3]:
            start = time.monotonic()
            client.post("/v1/audio/speech", json={"input": text, "voice": "alloy", "response_format": "mp3"}
                        ).raise_for_status()
            times.append(time.monotonic() - start)
    return statistics.median(times)


def _p95(times: list[float]) -> float:
    times = sorted(times)
    return times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def _report(args: argparse.Namespace, results: Results, elapsed: float, rss: list[tuple[int, int]], healthy: bool,
            log: str, quiet: float) -> None:
    total = sum(len(v) for v in results.latencies.values()) + sum(results.errors.values())
    audio_s = sum(_seconds_of_audio(fmt, body) for fmt, body in results.audio)
    print(f"{args.clients} clients and {args.long_clients} sending long texts for {args.seconds:g} s "
          f"(ran {elapsed:.1f} s, requests still in flight at the deadline included)")
    print(f"requests: {total}, errors: {sum(results.errors.values())}")
    for kind, count in sorted(results.errors.items()):
        print(f"  error {kind}: {count}")
    print(f"{'endpoint':<18} {'n':>5} {'p50 s':>8} {'p95 s':>8} {'max s':>8}")
    for endpoint, times in sorted(results.latencies.items()):
        print(f"{endpoint:<18} {len(times):>5} {statistics.median(times):>8.2f} {_p95(times):>8.2f} "
              f"{max(times):>8.2f}")
    short = [t for endpoint, times in results.latencies.items() if endpoint.startswith(SHORT) for t in times]
    if short:
        print(f"short renders: p95 {_p95(short):.2f} s against {quiet:.2f} s alone ({_p95(short) / quiet:.1f}x)")
    print(f"throughput: {total / elapsed:.2f} requests/s; audio rendered: {audio_s:.1f} s "
          f"({audio_s / elapsed:.2f} s of audio per second)")
    print(f"server RSS (all processes): {rss[0][0] / 2**20:.0f} MB after warm-up, peak "
          f"{max(r[0] for r in rss) / 2**20:.0f} MB, end {rss[-1][0] / 2**20:.0f} MB; largest process (one engine): "
          f"peak {max(r[1] for r in rss) / 2**20:.0f} MB")
    minutes = [f"{rss[k][1] / 2**20:.0f}" for k in range(0, len(rss), 10)]
    print(f"largest process RSS every 10 s, MB: {' '.join(minutes)}")
    problems = [line for line in log.splitlines() if "Traceback" in line or "ERROR" in line]
    print(f"server healthy after the run: {healthy}; error lines in its log: {len(problems)}")


if __name__ == "__main__":
    main()
