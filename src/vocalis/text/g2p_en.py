"""English G2P: hibari's misaki port (lexicons, POS tagger for heteronyms, OOV net), loaded once,
returning one ``Word`` per token so the segmenter can cut between words."""

from __future__ import annotations

import logging
from functools import cache

from hibari.g2p import G2P

from .types import Word
from .vocab import clean

log = logging.getLogger("vocalis.text")

# The lexicon only knows the fish reading of "bass"; the music one is far more common in read text.
BASS_MUSIC, BASS_FISH = "bˈAs", "bˈæs"
FISH_CONTEXT = frozenset({"sea", "striped", "largemouth", "smallmouth", "fishing", "fish", "caught", "catch"})


@cache
def _g2p() -> G2P:
    return G2P()


def words(text: str) -> list[Word]:
    """Words for normalised English text. Tokens the G2P cannot read are dropped with a warning."""
    g2p = _g2p()
    out: list[Word] = []
    tokens = g2p.phonemize_tokens(g2p.tokenize(text))
    for i, tok in enumerate(tokens):
        if tok.text.lower() == "bass" and tok.phonemes == BASS_FISH:
            near = {t.text.lower() for t in tokens[max(0, i - 2) : i + 3]}
            tok.phonemes = BASS_FISH if near & FISH_CONTEXT else BASS_MUSIC
        space = bool(tok.whitespace)
        if not tok.phonemes:
            if any(c.isalnum() for c in tok.text):
                log.warning("skipping English text the G2P cannot read: %r", tok.text)
            continue
        phonemes = clean(tok.phonemes, tok.text)
        if phonemes:
            out.append(Word(tok.text, phonemes, text_space=space, phoneme_space=space))
    return out
