"""Kokoro's phoneme vocabulary: only its characters may reach the model."""

from __future__ import annotations

import logging
from functools import cache

from vocalis.acoustic.assets import vocab

log = logging.getLogger("vocalis.text")


@cache
def allowed() -> frozenset[str]:
    return frozenset(vocab())


def clean(phonemes: str, source: str) -> str:
    """``phonemes`` without characters outside the vocabulary (logged once per call)."""
    ok = allowed()
    kept = "".join(c for c in phonemes if c in ok)
    if len(kept) != len(phonemes):
        bad = "".join(sorted({c for c in phonemes if c not in ok}))
        log.warning("dropping phonemes outside Kokoro's vocabulary %r for %r", bad, source)
    return kept
