"""Text in, Kokoro phoneme segments out: markup -> paragraphs -> sentences -> language ->
normalisation -> G2P -> segments within the phoneme budget. Everything is lazy, so a long text
streams with memory bounded by its longest paragraph."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import replace

from vocalis.errors import LanguageError, TextError

from . import g2p_en, markup, normalise_en, segment
from .lang import HAN, detect_language
from .types import Segment, Word

log = logging.getLogger("vocalis.text")

LANGS = ("auto", "en", "zh")
MIN_PHONEMES = 16
# Inside Chinese: Latin words (with their inner spaces, apostrophes, hyphens, digits) go to English G2P.
LATIN_RUN_RE = re.compile(r"[A-Za-z][A-Za-z0-9'’\-]*(?:[ ][A-Za-z0-9][A-Za-z0-9'’\-]*)*")
# Inside English: Han runs (with Chinese punctuation) go to Mandarin G2P.
HAN_RUN_RE = re.compile(f"[{HAN}][{HAN}，、。！？：；]*")


def segments(text: str, lang: str = "auto", max_phonemes: int = 300) -> Iterator[Segment]:
    """Segments to speak, in order. Raises LanguageError for an unknown ``lang`` at once and TextError
    when the text has nothing speakable (empty, only punctuation or emoji)."""
    if lang not in LANGS:
        raise LanguageError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    if max_phonemes < MIN_PHONEMES:
        raise TextError(f"max_phonemes must be at least {MIN_PHONEMES}, got {max_phonemes}")
    if not any(c.isalnum() for c in markup.PAUSE_RE.sub("", text)):
        raise TextError("the text has nothing speakable (it is empty or only punctuation/symbols)")
    return _stream(text, lang, max_phonemes)


def phonemize(text: str, lang: str = "auto") -> str:
    """All segments' phonemes joined by spaces."""
    return " ".join(s.phonemes for s in segments(text, lang))


def _stream(text: str, lang: str, max_phonemes: int) -> Iterator[Segment]:
    pending: Segment | None = None  # held back so a following pause markup can lengthen its gap
    spoke = False
    for block, pause in markup.split_pauses(text):
        for para in segment.paragraphs(block):
            for seg in _paragraph(para, lang, max_phonemes):
                if pending:
                    yield pending
                pending, spoke = seg, True
        if pending and pause:
            pending = replace(pending, pause_after=pause)
            yield pending
            pending = None
    if pending:
        yield pending
    if not spoke:
        raise TextError("the text has nothing speakable: no characters could be read")


def _paragraph(para: str, lang: str, max_phonemes: int) -> Iterator[Segment]:
    para, overrides = markup.protect(para)
    last: Segment | None = None
    for sentence in segment.sentences(para):
        sent_lang = lang if lang != "auto" else detect_language(markup.PLACEHOLDER_RE.sub("", sentence))
        words = _words(sentence, sent_lang, overrides)
        for chunk, pause in segment.chunks(words, max_phonemes):
            if last:
                yield last
            last = segment.build(chunk, sent_lang, pause)
    if last:
        yield replace(last, pause_after=segment.PARAGRAPH_PAUSE)


def _words(sentence: str, lang: str, overrides: dict[str, Word]) -> list[Word]:
    """Words of one sentence; override placeholders become their Words, the rest is normalised and
    read run by run, each run by the G2P of its script."""
    out: list[Word] = []
    pos = 0
    for m in markup.PLACEHOLDER_RE.finditer(sentence):
        out += _mixed(sentence[pos : m.start()], lang)
        out.append(replace(overrides[m.group(0)], phoneme_space=True, text_space=_spaced(sentence, m.end())))
        pos = m.end()
    return out + _mixed(sentence[pos:], lang)


def _mixed(text: str, lang: str) -> list[Word]:
    if not text.strip():
        return []
    if lang == "zh":
        from . import normalise_zh  # cn2an, like the Mandarin G2P, loads only once a text has Chinese in it

        text = normalise_zh.normalise(text)
    else:
        text = normalise_en.normalise(text)
    pattern, inner, outer = (
        (LATIN_RUN_RE, g2p_en.words, _zh_words) if lang == "zh" else (HAN_RUN_RE, _zh_words, g2p_en.words)
    )
    out: list[Word] = []
    pos = 0
    for m in pattern.finditer(text):
        out += _run(text[pos : m.start()], outer, text, pos)
        out += _run(m.group(0), inner, text, m.start())
        pos = m.end()
    return out + _run(text[pos:], outer, text, pos)


def _zh_words(run: str) -> list[Word]:
    from . import g2p_zh  # jieba, pypinyin and their dictionaries: ~0.7 s of a cold start

    return g2p_zh.words(run)


def _run(run: str, g2p: Callable[[str], list[Word]], text: str, start: int) -> list[Word]:
    if not run.strip():
        return []
    words = g2p(run)
    if words:  # a script change is a word boundary in the phonemes; the text keeps its own spacing
        words[-1] = replace(
            words[-1], phoneme_space=True, text_space=_spaced(text, start + len(run.rstrip()))
        )
    return words


def _spaced(text: str, index: int) -> bool:
    return index < len(text) and text[index].isspace()
