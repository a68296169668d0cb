"""Emotion as plain data: an 8-vector over EMOTIONS (each 0-1) and a weight, how far to move from
the voice's own neutral delivery. Sources (sliders, a description, a clip) all become an `Emotion`;
several blend by weight. `vocalis.emotion.prosody` turns one into acoustic targets."""

from vocalis.emotion.vector import EMOTIONS, Emotion, blend

__all__ = ["EMOTIONS", "Emotion", "blend"]
