"""A voice is plain data: a Kokoro style (timbre half + prosody half) and metadata."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from vocalis.acoustic.assets import STYLE_DIM
from vocalis.errors import VoiceError

TIMBRE = slice(0, 128)  # decoder half: spectral timbre, who is speaking
PROSODY = slice(128, 256)  # predictor half: durations, rhythm, pitch level


@dataclass(frozen=True)
class Voice:
    name: str
    # float32 [n, 256]. Built-in packs hold 510 rows, row k being the style for k+1 phonemes
    # (Kokoro's packs vary slightly with utterance length); a cloned voice may hold one row.
    style: np.ndarray
    language: str = "en"  # the language this voice reads best: "en" or "zh"
    description: str = ""
    # Multiplies every F0 curve the model predicts: the prosody half sets a pitch level, and a clone
    # brings it to its reference speaker's level with this.
    pitch_scale: float = 1.0
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.style.ndim != 2 or self.style.shape[1] != STYLE_DIM or len(self.style) == 0:
            raise VoiceError(f"voice {self.name!r}: style must be [n, {STYLE_DIM}], got {self.style.shape}")
        if not 0.25 <= self.pitch_scale <= 4.0:
            raise VoiceError(f"voice {self.name!r}: pitch_scale {self.pitch_scale} is outside 0.25-4")

    def style_for(self, n_phonemes: int) -> np.ndarray:
        """The 256-d style for an utterance of `n_phonemes` phonemes."""
        return self.style[min(max(n_phonemes, 1), len(self.style)) - 1]

    @property
    def timbre(self) -> np.ndarray:
        return self.style[:, TIMBRE]

    @property
    def prosody(self) -> np.ndarray:
        return self.style[:, PROSODY]

    def save(self, path: str | Path) -> Path:
        """Save as .npz: the style array plus a JSON metadata record."""
        path = Path(path).with_suffix(".npz")
        info = {k: v for k, v in asdict(self).items() if k != "style"}
        np.savez_compressed(path, style=self.style.astype(np.float32), info=json.dumps(info))
        return path

    @classmethod
    def load(cls, path: str | Path) -> Voice:
        try:
            with np.load(path, allow_pickle=False) as npz:
                info = json.loads(str(npz["info"]))
                return cls(style=npz["style"].astype(np.float32), **info)
        except (OSError, KeyError, ValueError, TypeError) as e:
            raise VoiceError(f"{path} is not a Vocalis voice file: {e}") from None
