"""Vocalis: offline English and Mandarin text-to-speech on a CPU."""

from vocalis.audio import Audio
from vocalis.emotion import Emotion
from vocalis.errors import VocalisError
from vocalis.pipeline import Chunk, Vocalis
from vocalis.voice import Voice

__all__ = ["Audio", "Chunk", "Emotion", "Vocalis", "Voice", "VocalisError"]
