"""The emotion vector: 8 intensities in IndexTTS2's order, plus an overall weight."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vocalis.errors import VocalisError

EMOTIONS = ("happy", "angry", "sad", "afraid", "disgusted", "melancholic", "surprised", "calm")


@dataclass(frozen=True)
class Emotion:
    """`vector[i]` is the intensity (0-1) of EMOTIONS[i]; all zeros is the voice's neutral delivery.
    `weight` (0-1) scales how far the delivery moves from neutral towards the vector."""

    vector: np.ndarray
    weight: float = 1.0

    def __post_init__(self) -> None:
        v = np.asarray(self.vector, dtype=np.float32).reshape(-1)
        if v.shape != (len(EMOTIONS),):
            raise VocalisError(f"an emotion vector has {len(EMOTIONS)} values ({', '.join(EMOTIONS)})")
        bad = [e for e, x in zip(EMOTIONS, v, strict=True) if not 0 <= x <= 1]  # NaN fails this too
        if bad:
            raise VocalisError(f"emotion {bad[0]}={v[EMOTIONS.index(bad[0])]}: intensities go from 0 to 1")
        if not 0.0 <= self.weight <= 1.0:
            raise VocalisError(f"emotion weight {self.weight} is out of range: use 0 to 1")
        object.__setattr__(self, "vector", v)

    @classmethod
    def neutral(cls) -> Emotion:
        return cls(np.zeros(len(EMOTIONS), np.float32))

    @classmethod
    def of(cls, weight: float = 1.0, **intensities: float) -> Emotion:
        """`Emotion.of(happy=0.8, sad=0.2)`."""
        unknown = set(intensities) - set(EMOTIONS)
        if unknown:
            raise VocalisError(f"unknown emotion {sorted(unknown)[0]!r}: use {', '.join(EMOTIONS)}")
        return cls(np.array([intensities.get(e, 0.0) for e in EMOTIONS], np.float32), weight)

    @classmethod
    def parse(cls, spec: str, weight: float = 1.0) -> Emotion:
        """'happy=0.8,sad=0.2' (a bare name means 1.0: 'angry')."""
        values: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            name, _, value = part.partition("=")
            name = name.strip().lower()
            try:
                values[name] = float(value) if value.strip() else 1.0
            except ValueError:
                raise VocalisError(f"emotion {part!r}: write NAME=VALUE, e.g. happy=0.8,sad=0.2") from None
        if not values:
            raise VocalisError("empty emotion: write NAME=VALUE pairs, e.g. happy=0.8,sad=0.2")
        return cls.of(weight, **values)

    @property
    def is_neutral(self) -> bool:
        return self.weight == 0 or not self.vector.any()

    def scaled(self) -> np.ndarray:
        """The vector as it acts: times the weight."""
        return self.vector * np.float32(self.weight)

    def __str__(self) -> str:
        parts = [f"{e}={v:.2f}" for e, v in zip(EMOTIONS, self.vector, strict=True) if v >= 0.005]
        return (",".join(parts) or "neutral") + (f" (weight {self.weight:.2f})" if self.weight != 1 else "")


def blend(sources: Sequence[tuple[Emotion, float]]) -> Emotion:
    """Fuse several sources by share, e.g. 0.3 from a clip, 0.5 from a description, 0.2 from sliders.
    Shares are normalised to sum to 1; each source's own weight is folded into its vector first."""
    if not sources:
        return Emotion.neutral()
    shares = np.array([s for _, s in sources], np.float64)
    if (shares < 0).any() or shares.sum() <= 0:
        raise VocalisError("emotion shares must be non-negative and not all zero")
    shares /= shares.sum()
    mixed = sum(float(s) * e.scaled() for (e, _), s in zip(sources, shares, strict=True))
    return Emotion(np.clip(mixed, 0, 1).astype(np.float32))
