"""How well training's forced alignment (DTW of a Kokoro rendering against the recording) places words: the
start of each word against Whisper's word timestamps on the same recording, over transcribed English clips
of ../shared/data/speech. Also what a plain stretch of Kokoro's own durations to the clip's length gives
(the baseline the alignment has to beat).

    .venv/bin/python bench/alignment.py [--clips 20]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import torch

from vocalis import Vocalis
from vocalis.acoustic.assets import FRAME, SAMPLE_RATE
from vocalis.audio import Audio
from vocalis.text.vocab import vocab
from vocalis.voice import builtin_voices
from vocalis.voice.train.align import align, durations_from_bounds
from vocalis.voice.train.corpus import tokens

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech"


def word_starts(ids: list[int], durations: np.ndarray) -> list[float]:
    """Seconds at which each word starts: the token after each space (and the first token)."""
    space = vocab()[" "]
    starts = np.concatenate([[0], np.cumsum(durations)]) * FRAME / SAMPLE_RATE
    return [float(starts[k + 1]) for k, t in enumerate(ids) if k == 0 or ids[k - 1] == space]


def whisper_words(audio: Audio) -> list[float]:
    from vocalis.asr import _model

    segments, _ = _model().transcribe(audio.resample(16000).samples, language="en", word_timestamps=True,
                                      beam_size=5, condition_on_previous_text=False, temperature=0.0)
    return [w.start for s in segments for w in s.words]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=int, default=20)
    args = p.parse_args()
    with open(DATA / "MANIFEST.tsv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["language"] == "en" and r["transcript"]]
    rows = rows[:: max(len(rows) // args.clips, 1)][: args.clips]
    model = Vocalis().acoustic
    style = builtin_voices()["jf_tebukuro"].style_for(100)
    errors = {"dtw": [], "stretched": []}
    used = 0
    for row in rows:
        audio = Audio.load(DATA / row["path"]).resample(SAMPLE_RATE)
        ids = tokens(row["transcript"], "en")
        with torch.inference_mode():
            enc, planned = model.plan(ids, style)
            rendered = model.decode(enc, planned)
        heard = whisper_words(audio)
        if len(heard) != len(word_starts(ids, planned.durations)):
            continue  # numbers, hyphens: Whisper's words and ours do not pair up
        total = len(audio.samples) // FRAME
        cum = np.cumsum(planned.durations)[:-1] * total / planned.durations.sum()
        candidates = {"dtw": align(rendered, planned.durations, audio.samples),
                      "stretched": durations_from_bounds(np.round(cum).astype(np.int64), total)}
        for name, durations in candidates.items():
            errors[name] += list(np.subtract(word_starts(ids, durations), heard))
        used += 1
    print(f"{used} clips, {len(errors['dtw'])} words; word start minus Whisper's word timestamp (ms):")
    for name, signed in errors.items():
        signed = 1000 * np.asarray(signed)
        e = np.abs(signed - np.median(signed))  # Whisper's timestamps lead or lag by a roughly constant bias
        print(f"  {name:<10} bias {np.median(signed):+5.0f}   |error - bias| median {np.median(e):4.0f}, "
              f"within 50 ms {np.mean(e <= 50):.0%}, within 100 ms {np.mean(e <= 100):.0%}")


if __name__ == "__main__":
    main()
