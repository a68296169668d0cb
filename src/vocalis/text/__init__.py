"""Text front-end: English and Mandarin text in, Kokoro phoneme segments out."""

from .frontend import phonemize, segments
from .lang import detect_language
from .types import Segment, Syllable

__all__ = ["Segment", "Syllable", "detect_language", "phonemize", "segments"]
