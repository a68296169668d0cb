"""Sentence splitting of raw text, and packing a sentence's words into segments no longer than the
phoneme budget: whole sentence if it fits, else at clause punctuation, else at word boundaries.
Pauses: longer after a paragraph than a sentence, short after a clause, none inside a run of words."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from .types import CLAUSE_PUNCT, Segment, Syllable, Word

PARAGRAPH_PAUSE = 0.7
SENTENCE_PAUSE = 0.4
CLAUSE_PAUSE = 0.15
PARAGRAPH_RE = re.compile(r"(?:[^\n]|\n(?!\s*\n))+")
SENTENCE_END_RE = re.compile(r"[.!?…]+[\"”’)\]]*(?=\s|$|[\u3400-\u9fff])|[。！？]+[”’」』）]*|[!?！？]+")
# A period after these is not a sentence end.
NO_SPLIT = frozenset("mr mrs ms dr prof st jr sr vs mt no e.g i.e approx fig vol inc ltd co".split())
OPENING = frozenset("“(")
NO_SPACE_BEFORE = frozenset(",.!?;:…”)")


def paragraphs(text: str) -> Iterator[str]:
    """Blank-line separated paragraphs, lazily."""
    for m in PARAGRAPH_RE.finditer(text):
        if m.group(0).strip():
            yield m.group(0).strip()


def sentences(paragraph: str) -> Iterator[str]:
    """Sentences of one paragraph, lazily; abbreviations (Dr., e.g.) and initials don't end one."""
    start = 0
    for m in SENTENCE_END_RE.finditer(paragraph):
        if m.group(0)[0] == "." and len(m.group(0).rstrip('"”’)]')) == 1:
            before = paragraph[start : m.start()].split()
            last = before[-1].lower() if before else ""
            if last in NO_SPLIT or (len(last) == 1 and last.isalpha()):
                continue
        if paragraph[start : m.end()].strip():
            yield paragraph[start : m.end()].strip()
        start = m.end()
    if paragraph[start:].strip():
        yield paragraph[start:].strip()


def chunks(words: list[Word], max_phonemes: int) -> Iterator[tuple[list[Word], float]]:
    """Runs of words within ``max_phonemes`` (spaces counted), each with the pause after it."""
    clauses: list[list[Word]] = [[]]
    for w in words:
        clauses[-1].append(w)
        if w.phonemes in CLAUSE_PUNCT:
            clauses.append([])
    clauses = [c for c in clauses if c]
    current: list[Word] = []
    for clause in clauses:
        if current and _length(current + clause) > max_phonemes:
            yield current, CLAUSE_PAUSE
            current = []
        if _length(clause) <= max_phonemes:
            current += clause
            continue
        for w in clause:  # last resort: cut between words
            for piece in _split_word(w, max_phonemes):
                if current and _length(current + [piece]) > max_phonemes:
                    yield current, 0.0
                    current = []
                current.append(piece)
    if current:
        yield current, SENTENCE_PAUSE


def _length(words: list[Word]) -> int:
    return sum(len(w.phonemes) + 1 for w in words) - 1


def _split_word(w: Word, max_phonemes: int) -> Iterator[Word]:
    """A word longer than the budget (only possible with tiny budgets or absurd tokens), hard-cut."""
    if len(w.phonemes) <= max_phonemes:
        yield w
        return
    for i in range(0, len(w.phonemes), max_phonemes):
        end = i + max_phonemes
        syl = tuple(
            replace(s, start=s.start - i, end=s.end - i) for s in w.syllables if s.start >= i and s.end <= end
        )
        last = end >= len(w.phonemes)
        yield Word(
            w.text if i == 0 else "", w.phonemes[i:end], w.text_space and last, w.phoneme_space and last, syl
        )


def build(words: list[Word], lang: str, pause: float) -> Segment:
    """Join words into a Segment, re-basing each syllable onto the joined phoneme string."""
    text, phonemes, syllables = "", "", []
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else None
        syllables += [
            Syllable(s.start + len(phonemes), s.end + len(phonemes), s.tone, s.pinyin) for s in w.syllables
        ]
        phonemes += w.phonemes
        text += w.text
        if nxt is None or nxt.phonemes in NO_SPACE_BEFORE:
            continue
        if w.phoneme_space and w.phonemes not in OPENING:
            phonemes += " "
        if w.text_space:
            text += " "
    return Segment(text.strip(), lang, phonemes, tuple(syllables), pause)
