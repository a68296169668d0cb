"""Learn a voice's phoneme envelope table (see `voice.envelope`): the speaker's recordings against the voice's own
renders of the same text, each frame labelled with its phoneme token (the recordings by the forced alignment,
the renders by the durations they were rendered with). No speaker encoder is involved: the table is a mean
spectral difference per phoneme.

Parameters were chosen on one speaker (LJ) and kept for the others (exp14b): lifter 60, back-off 10 frames,
5-frame smoothing, +-12 dB."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import numpy as np

from vocalis.text.vocab import vocab
from vocalis.voice.envelope import BINS, FREQS, envelopes, stft, stft_tokens

BACK_OFF = 10.0  # frames: a token heard n times keeps n / (n + BACK_OFF) of its own difference
GATE_DB = 40.0  # frames this far below an utterance's loud frames (95th percentile) are not learned from
VOWELS = set("aeiouɑɐɒæɔəɚɛɜɨɪʊʌɤɯøœyAIOWYQᵊᵻ")
VOICED = set("bdgɡvðzʒʤmnŋlɹrwjɾʣʥβɟʝɰɳɲɴɻʁɽʋɣʎɖɥ")
UNVOICED = set("ptkfθsʃhʧxçɕʂʈχɸʦʨcqSTʔʰ")
CLASSES = ("vowel", "voiced", "unvoiced")

Pair = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # recording, its tokens; render, its tokens


@cache
def token_classes() -> np.ndarray:
    """The class of every token id: 0-2 (CLASSES), or -1 (silence, punctuation, stress and tone marks)."""
    out = np.full(max(vocab().values()) + 1, -1)
    for char, tid in vocab().items():
        for k, members in enumerate((VOWELS, VOICED, UNVOICED)):
            if tid and char in members:
                out[tid] = k
    return out


def fit_envelope(pairs: Iterable[Pair], band_hz: float) -> np.ndarray:
    """The table [tokens, BINS] in dB: per token, the recordings' mean envelope minus the renders', backed off to
    its class and to the whole voice; nothing changes outside 80 Hz-`band_hz` (the recordings' bandwidth)."""
    real, rendered = _collect(pairs, 0), _collect(pairs, 2)
    classes = token_classes()
    whole = _mean(real, classes >= 0) - _mean(rendered, classes >= 0)
    table = np.tile(whole, (len(classes), 1))
    for k in range(len(CLASSES)):
        in_class = classes == k
        by_class = _shrunk(real, rendered, in_class, whole)
        for tid in np.flatnonzero(in_class):
            table[tid] = _shrunk(real, rendered, np.arange(len(classes)) == tid, by_class)
    return (table * _band(band_hz)).astype(np.float32)


def _collect(pairs: Iterable[Pair], at: int) -> tuple[np.ndarray, np.ndarray]:
    """Level-normalised envelopes of the loud frames, and their tokens, of the recordings (at=0) or renders (2)."""
    envs, tokens = [], []
    for pair in pairs:
        env, level = envelopes(stft(pair[at]))
        tok = stft_tokens(pair[at + 1], len(env))
        keep = (level > np.percentile(level, 95) - GATE_DB) & (tok != 0)
        envs.append(env[keep])
        tokens.append(tok[keep])
    return np.concatenate(envs), np.concatenate(tokens)


def _mean(frames: tuple[np.ndarray, np.ndarray], members: np.ndarray) -> np.ndarray:
    chosen = members[frames[1]]
    return frames[0][chosen].mean(axis=0) if chosen.any() else np.zeros(BINS)


def _shrunk(real: tuple, rendered: tuple, members: np.ndarray, prior: np.ndarray) -> np.ndarray:
    n = min(int(members[real[1]].sum()), int(members[rendered[1]].sum()))
    if not n:
        return prior
    share = n / (n + BACK_OFF)
    return share * (_mean(real, members) - _mean(rendered, members)) + (1 - share) * prior


def _band(band_hz: float) -> np.ndarray:
    """1 inside the recordings' band, raised-cosine to 0 below 80 Hz and over the 1 kHz above `band_hz`."""
    top = min(0.9 * band_hz, 11_000.0)
    weight = np.ones(BINS)
    weight[FREQS < 40] = 0
    low = (FREQS >= 40) & (FREQS < 80)
    weight[low] = 0.5 - 0.5 * np.cos(np.pi * (FREQS[low] - 40) / 40)
    high = (FREQS > top) & (FREQS < top + 1000)
    weight[high] = 0.5 + 0.5 * np.cos(np.pi * (FREQS[high] - top) / 1000)
    weight[FREQS >= top + 1000] = 0
    return weight
