"""A voice is plain data: a Kokoro style (timbre half + prosody half) and metadata."""

from __future__ import annotations

import hashlib
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
    # What the speaker encoder heard in the reference clips of a clone (see trust.speaker_check): spoken
    # consent is checked against it. None for built-in voices and voices cloned before it was kept.
    speaker: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.style.ndim != 2 or self.style.shape[1] != STYLE_DIM or len(self.style) == 0:
            raise VoiceError(f"voice {self.name!r}: style must be [n, {STYLE_DIM}], got {self.style.shape}")
        if not 0.25 <= self.pitch_scale <= 4.0:
            raise VoiceError(f"voice {self.name!r}: pitch_scale {self.pitch_scale} is outside 0.25-4")

    def style_for(self, n_phonemes: int) -> np.ndarray:
        """The 256-d style for an utterance of `n_phonemes` phonemes."""
        return self.style[min(max(n_phonemes, 1), len(self.style)) - 1]

    @property
    def id(self) -> str:
        """Identifies what the voice sounds like (its style and pitch), not its name: a renamed or exported
        copy keeps its id, and with it its consent record."""
        h = hashlib.sha256(np.ascontiguousarray(self.style, dtype="<f4").tobytes())
        h.update(f"{self.pitch_scale:.6f}".encode())
        return h.hexdigest()[:32]

    @property
    def timbre(self) -> np.ndarray:
        return self.style[:, TIMBRE]

    @property
    def prosody(self) -> np.ndarray:
        return self.style[:, PROSODY]

    def save(self, path: str | Path) -> Path:
        """Save as .npz: the style array plus a JSON metadata record."""
        path = Path(path).with_suffix(".npz")
        info = {k: v for k, v in asdict(self).items() if k not in ("style", "speaker")}
        arrays = {"style": self.style.astype(np.float32)}
        if self.speaker is not None:
            arrays["speaker"] = self.speaker.astype(np.float32)
        np.savez_compressed(path, info=json.dumps(info), **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Voice:
        try:
            with np.load(path, allow_pickle=False) as npz:
                info = json.loads(str(npz["info"]))
                speaker = npz["speaker"].astype(np.float32) if "speaker" in npz else None
                return cls(style=npz["style"].astype(np.float32), speaker=speaker, **info)
        except (OSError, KeyError, ValueError, TypeError) as e:
            raise VoiceError(f"{path} is not a Vocalis voice file: {e}") from None
