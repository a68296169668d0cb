"""A trained voice's phoneme envelope (voice.envelope, voice.train.envelope_fit) on real renders: the filter is
transparent when flat, and a table learned from recordings that differ by a known timbre carries that timbre to
a sentence it never saw."""

import numpy as np

from vocalis.acoustic.data import frame_index
from vocalis.acoustic.inference import inference_model
from vocalis.text import phonemize
from vocalis.text.vocab import vocab
from vocalis.voice.builtin import builtin_voices
from vocalis.voice.envelope import BINS, FREQS, apply_envelope, envelopes, stft
from vocalis.voice.train.envelope_fit import fit_envelope, token_classes

TRAIN = ["The weather was cold and windy, so we stayed inside and read books all afternoon.",
         "Can you believe it? She won the race by almost three whole seconds!",
         "In nineteen sixty-nine, astronauts landed on the moon for the first time.",
         "Please call Stella and ask her to bring these things with her from the store."]
HELD_OUT = "Our friends bought a small boat and sailed around the island last summer."


def _render(text: str) -> tuple[np.ndarray, np.ndarray]:
    model, voice = inference_model(), builtin_voices()["jm_kumo"]
    ids = [vocab()[c] for c in phonemize(text, "en") if c in vocab()]
    enc, prosody = model.plan(ids, voice.style_for(len(ids)))
    return model.decode(enc, prosody), enc.token_ids[frame_index(prosody.durations)]


def _timbre() -> np.ndarray:
    """A made-up speaker: vowels darker above 2 kHz and brighter at 300-800 Hz, consonants brighter at the top."""
    table = np.zeros((len(token_classes()), BINS), np.float32)
    table[token_classes() == 0] = np.where(FREQS > 2000, -6.0, np.where((FREQS > 300) & (FREQS < 800), 4.0, 0.0))
    table[token_classes() == 2] = np.where(FREQS > 4000, 5.0, 0.0)
    return table


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of the level-normalised envelopes, dB, over 100 Hz-8 kHz."""
    band = (FREQS > 100) & (FREQS < 8000)
    return float(np.mean(np.abs(envelopes(stft(a))[0] - envelopes(stft(b))[0])[:, band]))


def test_a_flat_table_changes_nothing():
    audio, tokens = _render(HELD_OUT)
    out = apply_envelope(audio, tokens, np.zeros((len(token_classes()), BINS), np.float32))
    assert len(out) == len(audio)
    np.testing.assert_allclose(out, audio, atol=1e-4)


def test_a_learned_timbre_carries_to_an_unseen_sentence():
    speaker = _timbre()
    pairs = []
    for text in TRAIN:
        audio, tokens = _render(text)
        pairs.append((apply_envelope(audio, tokens, speaker), tokens, audio, tokens))  # "recording", render
    table = fit_envelope(pairs, band_hz=11_000)
    audio, tokens = _render(HELD_OUT)
    target = apply_envelope(audio, tokens, speaker)
    before, after = _distance(audio, target), _distance(apply_envelope(audio, tokens, table), target)
    assert after < 0.7 * before, (before, after)  # measured 0.77 -> 0.46 dB
    vowels = token_classes() == 0
    assert np.mean(table[vowels][:, FREQS > 3000]) < np.mean(table[vowels][:, (FREQS > 300) & (FREQS < 800)])
