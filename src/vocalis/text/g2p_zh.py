"""Mandarin G2P: jieba words -> pypinyin readings (phrase level, so 银行/行走 differ) -> tone sandhi
-> misaki's Kokoro phonemes, one ``Word`` per prosodic word with exact syllable offsets."""

from __future__ import annotations

import logging
from functools import cache

import jieba
import jieba.posseg as psg
from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT

from . import sandhi
from .lang import HAN_RE
from .pinyin_ipa import pinyin_to_phonemes, split_tone, syllable_word
from .types import Word

log = logging.getLogger("vocalis.text")

# Readings pypinyin's phrase table gets wrong or lacks, checked before it.
PHRASES = {
    "朝阳区": "chao2 yang2 qu1",
    "得去": "dei3 qu4",
    "得走": "dei3 zou3",
    "音乐会": "yin1 yue4 hui4",
    "还钱": "huan2 qian2",
    "还书": "huan2 shu1",
    "长得": "zhang3 de5",
    "重来": "chong2 lai2",
    "快乐地": "kuai4 le4 de5",
}
CITATION = {"一": "yi1", "不": "bu4"}
# Particles read differently from the character's first reading, keyed by jieba's POS tag.
PARTICLES = {
    ("地", "uv"): "de5",
    ("得", "ud"): "de5",
    ("着", "uz"): "zhe5",
    ("了", "ul"): "le5",
    ("过", "ug"): "guo5",
    ("的", "uj"): "de5",
}
PUNCT = {
    "，": ",",
    "、": ",",
    "。": ".",
    "．": ".",
    "！": "!",
    "？": "?",
    "：": ":",
    "；": ";",
    "…": "…",
    "—": "—",
    "“": "“",
    "”": "”",
    "「": "“",
    "」": "”",
    "《": "“",
    "》": "”",
    "（": "(",
    "）": ")",
    ",": ",",
    ".": ".",
    "!": "!",
    "?": "?",
    ":": ":",
    ";": ";",
    "(": "(",
    ")": ")",
    '"': '"',
}


@cache
def _jieba() -> None:
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    for phrase in PHRASES:  # so jieba keeps them whole and the override applies (还/钱 -> 还钱)
        jieba.add_word(phrase)


def _lookup(word: str) -> list[str]:
    if word in PHRASES:
        return PHRASES[word].split()
    out = lazy_pinyin(word, style=Style.TONE3, neutral_tone_with_five=True, errors=lambda s: ["?"] * len(s))
    # pypinyin's phrase table stores 一/不 already changed (一个 yi2); sandhi needs the citation form.
    return [CITATION.get(c, p) for c, p in zip(word, out, strict=True)]


def citation_pinyin(word: str) -> list[str]:
    """One pinyin per character. Long jieba words missing from the phrase table are covered by their
    longest known sub-phrases (银行|行长), since pypinyin would otherwise read them char by char."""
    if len(word) <= 2 or word in PHRASES or word in PHRASES_DICT:
        return _lookup(word)
    out: list[str] = []
    i = 0
    while i < len(word):
        for n in range(min(4, len(word) - i), 0, -1):
            part = word[i : i + n]
            if n == 1 or part in PHRASES or part in PHRASES_DICT:
                out += _lookup(part)
                i += n
                break
    return out


def _groups(text: str) -> list[tuple[str, str]]:
    """jieba (word, POS) with 不/一 joined to the following word and runs of all-third-tone words
    joined up to three syllables, so sandhi sees the prosodic word (misaki's pre_merge_for_modify)."""
    _jieba()
    merged: list[tuple[str, str]] = []
    for pair in psg.lcut(text):
        word, pos = pair.word, pair.flag
        prev = merged[-1][0] if merged else ""
        if prev in ("不", "一") and HAN_RE.match(word):
            merged[-1] = (prev + word, pos)
        elif (
            prev
            and HAN_RE.fullmatch(prev[-1])
            and HAN_RE.match(word)
            and len(prev) + len(word) <= 3
            and _all_three(prev)
            and _all_three(word)
        ):
            merged[-1] = (prev + word, merged[-1][1])
        else:
            merged.append((word, pos))
    return merged


def _all_three(word: str) -> bool:
    return (
        all(p.endswith("3") for p in citation_pinyin(word)) if all(HAN_RE.match(c) for c in word) else False
    )


def _word(text: str, pos: str) -> Word | None:
    pinyins = PARTICLES.get((text, pos), "").split() or citation_pinyin(text)
    readable = [(c, p) for c, p in zip(text, pinyins, strict=True) if _valid(p)]
    if len(readable) < len(text):
        log.warning("skipping Chinese characters without a reading: %r", text)
    if not readable:
        return None
    chars = "".join(c for c, _ in readable)
    citation = [p for _, p in readable]
    tones = sandhi.apply(chars, pos, [split_tone(p)[1] for p in citation])
    return syllable_word(chars, citation, tones)



def _valid(pinyin: str) -> bool:
    try:
        pinyin_to_phonemes(pinyin)
    except ValueError:
        return False
    return True


def words(text: str) -> list[Word]:
    """Words for normalised Mandarin text (Han characters and punctuation; Latin runs are the
    caller's). Unreadable characters are skipped with a warning."""
    out: list[Word] = []
    for word, pos in _groups(text):
        if word.isspace():
            continue
        if word in PUNCT or all(c in PUNCT for c in word):
            out.append(Word(word, _punct(word), phoneme_space=True))
        elif all(HAN_RE.match(c) for c in word):
            w = _word(word, pos)
            if w:
                out.append(w)
        else:
            log.warning("skipping characters the Mandarin G2P cannot read: %r", word)
    return out


def _punct(mark: str) -> str:
    # A run like "……" or "——" is one mark; "？！" keeps its last.
    return PUNCT[mark[-1]]
