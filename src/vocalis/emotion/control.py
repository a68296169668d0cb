"""One emotion from whatever the user gave: sliders, a description, a clip, or several of them."""

from __future__ import annotations

from pathlib import Path

from vocalis.emotion.vector import Emotion, blend
from vocalis.errors import VocalisError

SOURCES = ("vector", "text", "audio")


def emotion_control(
    vector: Emotion | str | None = None,
    text: str | None = None,
    audio: str | Path | None = None,
    weight: float = 1.0,
    shares: dict[str, float] | None = None,
) -> Emotion | None:
    """The emotion to render with, or None for the voice's own delivery (no source given).

    `vector`: sliders as an Emotion or 'happy=0.8,sad=0.2'; `text`: a description in English or
    Chinese; `audio`: a clip whose emotion (not voice) to take. Several sources blend by `shares`
    (keys from SOURCES; equal shares by default), e.g. {"audio": 0.3, "text": 0.5, "vector": 0.2}.
    `weight` (0-1) then sets how far the delivery moves from neutral."""
    if not 0.0 <= weight <= 1.0:  # checked even without a source: a typo should not pass silently
        raise VocalisError(f"emotion weight {weight} is out of range: use 0 to 1")
    given: dict[str, Emotion] = {}
    if vector is not None:
        given["vector"] = Emotion.parse(vector) if isinstance(vector, str) else vector
    if text is not None:
        from vocalis.emotion.describe import describe

        given["text"] = describe(text)
    if audio is not None:
        from vocalis.emotion.from_audio import emotion_from_audio

        given["audio"] = emotion_from_audio(audio)
    if not given:
        if shares:
            raise VocalisError("emotion shares were given without any emotion source")
        return None
    shares = shares or {}
    unknown = set(shares) - set(SOURCES)
    if unknown:
        raise VocalisError(f"unknown emotion source {sorted(unknown)[0]!r} in the shares: use {', '.join(SOURCES)}")
    missing = set(shares) - set(given)
    if missing:
        raise VocalisError(f"a share was given for {sorted(missing)[0]!r} but no such emotion source")
    unshared = set(given) - set(shares)
    if shares and unshared:
        raise VocalisError(f"the emotion mix gives no share to {sorted(unshared)[0]!r}: give every source a share")
    mixed = blend([(e, shares.get(name, 1.0)) for name, e in given.items()])
    return Emotion(mixed.vector, weight)


def parse_shares(spec: str) -> dict[str, float]:
    """'audio=0.3,text=0.5,vector=0.2'."""
    shares: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, value = part.partition("=")
        try:
            shares[name.strip().lower()] = float(value)
        except ValueError:
            raise VocalisError(f"emotion mix {part!r}: write SOURCE=SHARE, e.g. audio=0.3,text=0.7") from None
    return shares
