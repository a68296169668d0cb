"""Time to first byte of a streamed /v1/audio/speech request, against the whole (non-streamed) response
in the same run, over a real socket. Prints figures; asserts nothing.

    .venv/bin/python bench/ttfb.py [--runs 5]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import threading
import time

import httpx
import uvicorn

from vocalis.server import create_app

SENTENCE = "Good morning, the train to the city leaves at six."


def _serve() -> tuple[uvicorn.Server, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def _timed(client: httpx.Client, url: str, body: dict) -> tuple[float, float]:
    """Seconds to the first audio byte and to the last."""
    start = time.perf_counter()
    first = None
    with client.stream("POST", url, json=body) as r:
        r.raise_for_status()
        for chunk in r.iter_bytes():
            if chunk and first is None:
                first = time.perf_counter() - start
    return first or float("nan"), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    server, base = _serve()
    url = f"{base}/v1/audio/speech"
    streamed = {"input": SENTENCE, "voice": "alloy", "response_format": "pcm"}
    whole = {"input": SENTENCE, "voice": "alloy", "response_format": "wav"}
    with httpx.Client(timeout=120) as client:
        _timed(client, url, whole)  # warm-up: loads the model
        rows = {"streamed pcm": [_timed(client, url, streamed) for _ in range(args.runs)],
                "whole wav": [_timed(client, url, whole) for _ in range(args.runs)]}
    server.should_exit = True
    print(f"one sentence ({len(SENTENCE)} chars), {args.runs} runs, median seconds")
    print(f"{'':14} {'first byte':>10} {'last byte':>10}")
    for name, times in rows.items():
        first, last = (statistics.median(t[i] for t in times) for i in (0, 1))
        print(f"{name:14} {first:10.3f} {last:10.3f}")
    print("goal: first byte <= 0.300 s for a streamed one-sentence request")


if __name__ == "__main__":
    main()
