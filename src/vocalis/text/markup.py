"""Inline markup: pauses end a segment; pinyin ``{行|hang2}`` and phoneme ``[Kokoro](/kˈOkəɹO/)``
overrides are swapped for private-use placeholder characters so normalisers and sentence splitting
leave them alone, then resolved into ready-made Words by the pipeline."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from .types import Word
from .vocab import clean

log = logging.getLogger("vocalis.text")

PAUSE_RE = re.compile(
    r"\[pause\s+(\d+(?:\.\d+)?)\s*(ms|s)\]|<break\s+time\s*=\s*[\"'](\d+(?:\.\d+)?)\s*(ms|s)[\"']\s*/?>",
    re.IGNORECASE,
)
PINYIN_RE = re.compile(r"\{([^{}|]+)\|([^{}|]+)\}")
PHONEME_RE = re.compile(r"\[([^\[\]]+)\]\(/([^()/]+)/\)")
PLACEHOLDER_BASE = 0xF0000  # Supplementary Private Use Area-A: never in real text
PLACEHOLDER_RE = re.compile("[\U000f0000-\U000ffffd]")
MAX_PAUSE_S = 10.0


def split_pauses(text: str) -> Iterator[tuple[str, float]]:
    """(text, pause seconds after it) pieces; the last piece has pause 0. Lazy over the text."""
    pos = 0
    for m in PAUSE_RE.finditer(text):
        value, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        seconds = float(value) / (1000.0 if unit.lower() == "ms" else 1.0)
        yield text[pos : m.start()], min(seconds, MAX_PAUSE_S)
        pos = m.end()
    yield text[pos:], 0.0


def protect(text: str) -> tuple[str, dict[str, Word]]:
    """Replace reading overrides by placeholders; returns the text and placeholder -> Word."""
    overrides: dict[str, Word] = {}

    def keep(word: Word | None, original: str) -> str:
        if word is None:
            return original
        key = chr(PLACEHOLDER_BASE + len(overrides))
        overrides[key] = word
        return key

    text = PINYIN_RE.sub(lambda m: keep(_pinyin_word(m.group(1), m.group(2)), m.group(1)), text)
    text = PHONEME_RE.sub(lambda m: keep(_phoneme_word(m.group(1), m.group(2)), m.group(1)), text)
    return text, overrides


def _pinyin_word(text: str, pinyin: str) -> Word | None:
    from .pinyin_ipa import split_tone, syllable_word  # pypinyin loads only when pinyin markup is used

    syllables = pinyin.split()
    try:
        tones = [split_tone(p)[1] for p in syllables]
        return syllable_word(text, [p.lower() for p in syllables], tones)
    except ValueError as e:
        log.warning("ignoring pinyin markup {%s|%s}: %s", text, pinyin, e)
        return None


def _phoneme_word(text: str, phonemes: str) -> Word | None:
    kept = clean(phonemes.strip(), text)
    if not kept:
        log.warning("ignoring phoneme markup [%s](/%s/): no Kokoro phonemes in it", text, phonemes)
        return None
    return Word(text, kept)
