"""The data the text front-end hands to the acoustic side, and the per-word unit it builds them from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Syllable:
    """Mandarin only: where a syllable's phonemes are in ``Segment.phonemes`` and its spoken tone."""

    start: int  # index of the syllable's first phoneme char (inclusive)
    end: int  # exclusive
    tone: int  # 1-4, 5 = neutral, after tone sandhi
    pinyin: str  # citation form before sandhi, e.g. "hao3"


@dataclass(frozen=True)
class Segment:
    text: str  # the normalised text this segment speaks
    lang: str  # "en" or "zh" (dominant language; phonemes may mix)
    phonemes: str  # Kokoro phonemes
    syllables: tuple[Syllable, ...] = ()
    pause_after: float = 0.0  # seconds of silence after this segment


@dataclass(frozen=True)
class Word:
    """One G2P unit (a word or a punctuation mark). Syllable offsets are relative to ``phonemes``;
    the segmenter re-bases them when it joins words. Text and phonemes are spaced separately
    because Chinese text has no spaces but misaki's Mandarin phonemes put one between words."""

    text: str
    phonemes: str
    text_space: bool = False  # a space follows in the text
    phoneme_space: bool = False  # a space follows in the phonemes
    syllables: tuple[Syllable, ...] = ()

    @property
    def is_clause_end(self) -> bool:
        return self.phonemes in CLAUSE_PUNCT

    @property
    def is_sentence_end(self) -> bool:
        return self.phonemes in SENTENCE_PUNCT


SENTENCE_PUNCT = frozenset({".", "!", "?", "…"})
CLAUSE_PUNCT = frozenset({",", ";", ":", "—"}) | SENTENCE_PUNCT
