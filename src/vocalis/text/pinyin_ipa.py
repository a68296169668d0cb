"""Pinyin syllable -> Kokoro Mandarin phonemes, exactly as misaki[zh] 0.9.4 writes them for Kokoro-82M
v1.0 (ZHG2P legacy path): the first IPA variant of each initial and final, the tone written as an
arrow right after the syllable's nucleus (→ 1, ↗ 2, ↓ 3, ↘ 4, none for neutral), syllabic
retroflex/dental vowels as ɨ and non-syllabic diacritics dropped.

Tables adapted from misaki/transcription.py (Apache-2.0), itself from stefantaubert/pinyin-to-ipa (MIT).
"0" marks where the tone goes."""

from __future__ import annotations

import re
from functools import cache

from pypinyin.contrib.tone_convert import to_finals, to_initials

from .types import Syllable, Word

INITIALS = {
    "b": "p",
    "c": "ʦʰ",
    "ch": "ꭧʰ",
    "d": "t",
    "f": "f",
    "g": "k",
    "h": "x",
    "j": "ʨ",
    "k": "kʰ",
    "l": "l",
    "m": "m",
    "n": "n",
    "p": "pʰ",
    "q": "ʨʰ",
    "r": "ɻ",
    "s": "s",
    "sh": "ʂ",
    "t": "tʰ",
    "x": "ɕ",
    "z": "ʦ",
    "zh": "ꭧ",
}
FINALS = {
    "a": "a0",
    "ai": "ai0",
    "an": "a0n",
    "ang": "a0ŋ",
    "ao": "au0",
    "e": "ɤ0",
    "ei": "ei0",
    "en": "ə0n",
    "eng": "ə0ŋ",
    "i": "i0",
    "ia": "ja0",
    "ian": "jɛ0n",
    "iang": "ja0ŋ",
    "iao": "jau0",
    "ie": "je0",
    "in": "i0n",
    "iou": "jou0",
    "ing": "i0ŋ",
    "iong": "jʊ0ŋ",
    "ong": "ʊ0ŋ",
    "ou": "ou0",
    "u": "u0",
    "uei": "wei0",
    "ua": "wa0",
    "uai": "wai0",
    "uan": "wa0n",
    "uen": "wə0n",
    "uang": "wa0ŋ",
    "ueng": "wə0ŋ",
    "uo": "wo0",
    "o": "wo0",
    "ü": "y0",
    "üe": "ɥe0",
    "üan": "ɥɛ0n",
    "ün": "y0n",
}
# Whole syllables the initial/final split does not cover: interjections and syllabic nasals.
WHOLE = {
    "io": "jɔ0",
    "ê": "ɛ0",
    "er": "ɚ0",
    "o": "ɔ0",
    "hm": "hm0",
    "hng": "hŋ0",
    "m": "m0",
    "n": "n0",
    "ng": "ŋ0",
}
TONE_ARROWS = {1: "→", 2: "↗", 3: "↓", 4: "↘", 5: ""}
PINYIN_RE = re.compile(r"^([a-zü]+|[a-z]*v[a-z]*)([1-5])$")


def split_tone(pinyin: str) -> tuple[str, int]:
    """'hao3' -> ('hao', 3); raises ValueError for anything that is not tone-3 style pinyin."""
    m = PINYIN_RE.match(pinyin.lower().replace("u:", "ü"))
    if not m:
        raise ValueError(f"not a numbered pinyin syllable: {pinyin!r}")
    return m.group(1).replace("v", "ü"), int(m.group(2))


@cache
def _toneless(base: str) -> str:
    if base in WHOLE:
        return WHOLE[base]
    initial = to_initials(base, strict=True)
    final = to_finals(base, strict=True, v_to_u=True)
    if final not in FINALS or (initial and initial not in INITIALS):
        raise ValueError(f"unknown pinyin syllable: {base!r}")
    if final == "i" and initial in ("zh", "ch", "sh", "r", "z", "c", "s"):
        return INITIALS[initial] + "ɨ0"
    return INITIALS.get(initial, "") + FINALS[final]


def pinyin_to_phonemes(pinyin: str) -> str:
    """'zhong1' -> 'ꭧʊ→ŋ'. Raises ValueError for invalid pinyin."""
    base, tone = split_tone(pinyin)
    return _toneless(base).replace("0", TONE_ARROWS[tone])


def syllable_word(text: str, citation: list[str], tones: list[int]) -> Word:
    """A Word whose phonemes are the syllables' phonemes in spoken tone, with their offsets."""
    phonemes = ""
    syllables = []
    for p, tone in zip(citation, tones, strict=True):
        ps = pinyin_to_phonemes(split_tone(p)[0] + str(tone))
        syllables.append(Syllable(len(phonemes), len(phonemes) + len(ps), tone, p))
        phonemes += ps
    return Word(text, phonemes, phoneme_space=True, syllables=tuple(syllables))
