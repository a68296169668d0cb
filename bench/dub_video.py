"""A long video dub: an H.264 testsrc video of `--minutes` minutes whose soundtrack is real speech (LibriSpeech and
LJSpeech clips from ../shared/data/speech, openly licensed) every few seconds over a music bed, dubbed with one new
line per original line (150 cues in 10 minutes) by `Vocalis.dub_video`. Prints wall time, the real-time factor
(wall time over video time), the time of each pass, and peak RSS; as the peer, in the same run, the same cues
dubbed into a plain WAV track by `dub` (no reading, no mixing, no muxing).

Each pass holds one cue or one block of audio at a time, so peak memory should not grow with the video's length:
`--minutes 2` against `--minutes 10` shows it.

    .venv/bin/python bench/dub_video.py [--minutes 10] [--cues 150]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from video_fixtures import RATE, make_video, music_bed  # noqa: E402

from vocalis.audio import Audio  # noqa: E402

SPEECH = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech"
LINES = ["The museum opens at nine in the morning.", "Please close the door behind you.",
         "We have to leave before the storm arrives.", "I told you never to come back here!",
         "Thank you, that means a lot to me.", "Where did you put the keys?", "Nobody saw him leave the house.",
         "This is the best day of my life!", "Turn left at the next corner.", "I am so tired of waiting."]


def original_speech() -> list[Audio]:
    """Openly licensed speech clips (CC BY / public domain) to stand for the original dialogue."""
    with open(SPEECH / "MANIFEST.tsv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
                if r["dataset"] in ("librispeech_test_other", "ljspeech") and float(r["duration_s"] or 0) > 2]
    return [Audio.load(SPEECH / r["path"]) for r in rows[:30]]


def build(folder: Path, minutes: float, cues: int) -> tuple[Path, Path]:
    seconds = minutes * 60
    clips, every = original_speech(), seconds / cues
    track = music_bed(seconds, -40)
    srt = []
    for k in range(cues):
        start = k * every + 0.3
        clip = clips[k % len(clips)].resample(RATE).samples[: int((every - 0.8) * RATE)]
        first = int(start * RATE)
        track[first:first + len(clip)] += clip
        end = start + len(clip) / RATE
        srt.append(f"{k + 1}\n{_stamp(start)} --> {_stamp(end)}\n{LINES[k % len(LINES)]}\n")
    video = make_video(folder / "long.mp4", seconds, track)
    subs = folder / "long.srt"
    subs.write_text("\n".join(srt), encoding="utf-8")
    return video, subs


def _stamp(s: float) -> str:
    hours, rest = divmod(s, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{int(hours):02d}:{int(minutes):02d}:{int(seconds):02d},{round((seconds % 1) * 1000) % 1000:03d}"


class PeakRss:
    """This process's resident memory, sampled every 50 ms (ru_maxrss would keep the build's peak too)."""

    def __init__(self) -> None:
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        process = psutil.Process()
        while not self._stop.is_set():
            self.peak = max(self.peak, process.memory_info().rss)
            time.sleep(0.05)

    def __enter__(self) -> PeakRss:
        self.peak = psutil.Process().memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--cues", type=int, default=150)
    args = parser.parse_args()

    from vocalis.service import Vocalis
    from vocalis.service.dub import dub
    from vocalis.subtitles import read_subtitles

    tts = Vocalis()
    tts.warm()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        video, subs = build(folder, args.minutes, args.cues)
        passes: dict[str, float] = {}
        marks = {"t": time.perf_counter(), "stage": None}

        def progress(p) -> None:
            if p.stage != marks["stage"]:
                now = time.perf_counter()
                if marks["stage"]:
                    passes[marks["stage"]] = now - marks["t"]
                marks.update(t=now, stage=p.stage)

        started = time.perf_counter()
        with PeakRss() as rss:
            result = tts.dub_video(video, subs, folder / "dubbed.mp4", progress=progress)
        wall = time.perf_counter() - started
        passes[marks["stage"]] = time.perf_counter() - marks["t"]
        peer_started = time.perf_counter()
        with PeakRss() as peer_rss:
            dub(tts, read_subtitles(subs), lang="en")
        peer = time.perf_counter() - peer_started
    seconds = args.minutes * 60
    checked = [c for c in result.cues if c.agrees is not None]
    print(f"video {args.minutes:g} min, {args.cues} cues, 2 cores")
    print(f"video dub: {wall:.1f} s wall, RTF {wall / seconds:.3f}; passes: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in passes.items()))
    kept = sum(c.agrees for c in checked)
    print(f"  peak RSS {rss.peak / 2**20:.0f} MB; {len(result.outside)} cues outside their window; "
          f"emotion kept in {kept}/{len(checked)}")
    print(f"peer, the same cues into a WAV track (dub): {peer:.1f} s wall, RTF {peer / seconds:.3f}, "
          f"peak RSS {peer_rss.peak / 2**20:.0f} MB; video dub / peer: {wall / peer:.2f}x")


if __name__ == "__main__":
    main()
