"""Training utterances: a recording with its transcript's tokens aligned to it and its own F0 and energy."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from vocalis.acoustic.assets import FRAME
from vocalis.audio import Audio
from vocalis.errors import VocalisError, VoiceError
from vocalis.text.vocab import vocab
from vocalis.voice.train.align import align
from vocalis.voice.train.features import energy_curve, f0_curve, match_level

if TYPE_CHECKING:
    from vocalis.acoustic.stages import AcousticModel
    from vocalis.voice.train.intake import Utterance

MAX_TOKENS = 500  # Kokoro's text encoder takes 510 with the pads


@dataclass
class Aligned:
    text: str
    samples: np.ndarray  # float32 at 24 kHz, exactly FRAME * durations.sum() long
    ids: list[int]  # phoneme tokens, without Kokoro's boundary pads
    durations: np.ndarray  # frames per token, pads included
    f0: np.ndarray  # Hz, 2 per frame, 0 where unvoiced
    energy: np.ndarray  # 2 per frame, at the predictor's level

    @property
    def frames(self) -> int:
        return int(self.durations.sum())


def tokens(text: str, lang: str) -> list[int]:
    """Kokoro tokens of a transcript, read as synthesis reads it (all its segments joined)."""
    from vocalis.text import segments

    ids_of = vocab()
    phonemes = " ".join(seg.phonemes for seg in segments(text, lang=lang, max_phonemes=300))
    ids = [ids_of[c] for c in phonemes if c in ids_of]
    if len(ids) > MAX_TOKENS:
        raise VoiceError(f"a training clip's transcript is too long ({len(ids)} phonemes): split the clip")
    return ids


def prepare(model: AcousticModel, audio: Audio, text: str, lang: str, style: np.ndarray) -> Aligned:
    """Align `text` to `audio` (rendered first in `style`, the voice training starts from) and measure the
    recording's prosody. `model` is the AcousticModel."""
    samples = audio.resample(24000).samples
    ids = tokens(text, lang)
    with torch.inference_mode():
        enc, planned = model.plan(ids, style)
        rendered = model.decode(enc, planned)
    durations = align(rendered, planned.durations, samples)
    frames = int(durations.sum())
    samples = samples[: frames * FRAME].astype(np.float32)
    predicted = model.predict_prosody(enc, durations)
    energy = match_level(energy_curve(samples, frames), predicted.energy)
    f0 = f0_curve(samples, frames)
    return Aligned(text, samples, ids, durations, f0, energy)


def align_all(model: AcousticModel, utterances: Sequence[Utterance], lang: str, style: np.ndarray,
              each: Callable[[int, int], None] = lambda _k, _n: None) -> list[Aligned]:
    """`prepare` for each utterance (`each(k, n)` called before the k-th of n), leaving out those that cannot be
    aligned: a transcript the front end cannot read, or too short a clip."""
    aligned = []
    for k, utt in enumerate(utterances):
        each(k, len(utterances))
        try:
            aligned.append(prepare(model, utt.audio, utt.text, lang, style))
        except (VocalisError, ValueError):
            continue
    return aligned
