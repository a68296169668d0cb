"""Time to first byte of a streamed /v1/audio/speech request, against the whole (non-streamed) response
in the same run, over a real socket. Prints figures; asserts nothing.

A streamed response sends the first segment's leading silence as soon as its durations are known, then
pieces decoded apart (see `vocalis.acoustic.pieces`), so besides the first byte it reports the first
sound (first non-zero sample) and the stall: how long a player that starts at the first byte and plays
in real time would wait, in all, for audio that had not arrived. Each language is timed with a built-in voice
and with an instant clone of a real speaker from the shared speech data (`--no-clones` leaves them out).

    .venv/bin/python bench/ttfb.py [--runs 5] [--no-clones]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import uvicorn

SENTENCES = {"en": "Good morning, the train to the city leaves at six.", "zh": "今天天气很好，我们一起去公园散步吧。"}
RATE = 24_000  # the engine's sample rate; pcm is 16-bit mono
SPEECH = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech"
# Each clone's reference clips: an English and a Mandarin speaker of the shared data.
CLONES = {"en": [f"ljspeech/LJ/LJ001-000{k}.wav" for k in (1, 2, 3)],
          "zh": ["aishell1/S0764/BAC009S0764W0121.wav", "aishell1/S0764/BAC009S0764W0122.wav"]}


def _serve() -> tuple[uvicorn.Server, str]:
    from vocalis.studio.api import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def _clone_voices() -> dict[str, str]:
    """An instant clone per language in the bench's data home, with written consent so that it may speak."""
    from vocalis.service import Vocalis
    from vocalis.trust.consent import grant_written

    document = Path(os.environ["VOCALIS_HOME"]) / "consent.pdf"
    document.write_bytes(b"%PDF-1.4 the speakers' authorisation (a benchmark's stand-in)")
    tts, names = Vocalis(), {}
    for lang, clips in CLONES.items():
        voice = tts.clone([SPEECH / clip for clip in clips], f"bench-{lang}", lang)
        grant_written(voice, document, "user:operator")
        names[lang] = voice.name
    return names


def _timed(client: httpx.Client, url: str, body: dict) -> dict[str, float]:
    """Seconds to the first byte, the first sound and the last byte, and the playback stall."""
    start = time.perf_counter()
    arrivals: list[tuple[float, bytes]] = []
    with client.stream("POST", url, json=body) as r:
        r.raise_for_status()
        for chunk in r.iter_bytes():
            if chunk:
                arrivals.append((time.perf_counter() - start, chunk))
    data = b"".join(c for _, c in arrivals)
    first_sound = float("nan")
    if body["response_format"] == "pcm":
        loud = np.flatnonzero(np.frombuffer(data[: len(data) // 2 * 2], np.int16))
        if len(loud):  # when did the byte holding the first non-zero sample arrive?
            offset, at = 0, 2 * int(loud[0])
            for t, chunk in arrivals:
                offset += len(chunk)
                if offset > at:
                    first_sound = t
                    break
    stall, played_until = 0.0, arrivals[0][0]
    for t, chunk in arrivals:
        stall += max(t - played_until, 0.0)
        played_until = max(played_until, t) + len(chunk) / 2 / RATE
    return {"first byte": arrivals[0][0], "first sound": first_sound, "last byte": arrivals[-1][0], "stall": stall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-clones", action="store_true", help="time the built-in voices only")
    args = parser.parse_args()
    os.environ["VOCALIS_HOME"] = tempfile.mkdtemp(prefix="vocalis-bench-")  # no API keys: an open local server
    voices = {"built-in": {"en": "alloy", "zh": "default"}}
    if not args.no_clones:
        voices["clone"] = _clone_voices()
    server, base = _serve()
    url = f"{base}/v1/audio/speech"
    with httpx.Client(timeout=120) as client:
        _timed(client, url, {"input": "Warm up.", "voice": "alloy", "response_format": "wav"})  # loads the model
        print(f"one sentence per language, {args.runs} runs, median seconds (stall: pcm played as it arrives)")
        print(f"{'':27} {'first byte':>10} {'first sound':>11} {'last byte':>10} {'stall':>7}")
        for lang, sentence in SENTENCES.items():
            for kind, names in voices.items():
                for name, fmt in (("streamed pcm", "pcm"), ("whole wav", "wav")):
                    body = {"input": sentence, "voice": names[lang], "response_format": fmt}
                    runs = [_timed(client, url, body) for _ in range(args.runs)]
                    row = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                    sound = f"{row['first sound']:11.3f}" if fmt == "pcm" else f"{'':11}"
                    stall = f"{row['stall']:7.3f}" if fmt == "pcm" else ""
                    times = f"{row['first byte']:10.3f} {sound} {row['last byte']:10.3f} {stall}"
                    print(f"{lang} {kind:8} {name:15} {times}")
    server.should_exit = True
    print("goal: first sound <= 0.250 s and no stall for a streamed one-sentence request")


if __name__ == "__main__":
    main()
