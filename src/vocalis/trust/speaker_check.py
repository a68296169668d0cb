"""Spoken consent, speaker half: is the person reading the consent phrase the person whose voice was cloned?

A clone stores `reference_embedding` of its prepared reference; a consent recording is trimmed to its
speech exactly as reference clips are, embedded the same way, and compared with it. Whisper checks the
words elsewhere; this only answers "same speaker", at a threshold set from real speech (see below).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vocalis.audio import Audio
from vocalis.errors import VoiceError
from vocalis.eval.speakers import cosine, dvector_embedding, ge2e_embedding
from vocalis.voice.reference import prepare_reference

# The consent phrase takes 5-8 s; below 1.5 s of speech neither encoder sees a voice, only a few words,
# and past 10 s the phrase is over (the rest is whatever followed it), so only the first 10 s count.
RECORDING_MIN_SPEECH_S = 1.5
RECORDING_MAX_SPEECH_S = 10.0

EMBEDDING_SIZE = 256  # each encoder's
SAME_SPEAKER_THRESHOLD = 0.74  # placeholder


@dataclass(frozen=True)
class SpeakerMatch:
    similarity: float  # mean cosine of the two encoders' embeddings, recording vs reference
    threshold: float
    same: bool


def reference_embedding(audio: Audio) -> np.ndarray:
    """What a clone stores about its prepared reference (`Reference.audio`): GE2E and d-vector embeddings
    of the same speech, concatenated (512 float32)."""
    return np.concatenate([ge2e_embedding(audio), dvector_embedding(audio)]).astype(np.float32)


def recording_speech(recording: Audio) -> Audio:
    """The speech of a consent recording, trimmed and normalised as reference clips are (first 10 s).

    Raises VoiceError when it holds less than 1.5 s of speech (or none, or is clipped)."""
    speech = prepare_reference(recording, max_speech_s=RECORDING_MAX_SPEECH_S, min_speech_s=0.0)
    if speech.speech_s < RECORDING_MIN_SPEECH_S:
        raise VoiceError(
            f"the consent recording holds only {speech.speech_s:.1f} s of speech; the speaker check needs at least "
            f"{RECORDING_MIN_SPEECH_S:g} s — read the whole consent phrase, clearly, close to the mic"
        )
    return speech.audio


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Score of two `reference_embedding`s: the mean of the two encoders' cosines."""
    return (cosine(a[:EMBEDDING_SIZE], b[:EMBEDDING_SIZE]) + cosine(a[EMBEDDING_SIZE:], b[EMBEDDING_SIZE:])) / 2


def same_speaker(recording: Audio, reference: np.ndarray) -> SpeakerMatch:
    """Whether the raw consent `recording` is spoken by the voice whose `reference_embedding` is `reference`."""
    if reference.shape != (2 * EMBEDDING_SIZE,):
        raise VoiceError(f"a reference embedding has {2 * EMBEDDING_SIZE} values, not {reference.shape}")
    score = similarity(reference_embedding(recording_speech(recording)), reference)
    return SpeakerMatch(similarity=score, threshold=SAME_SPEAKER_THRESHOLD, same=score >= SAME_SPEAKER_THRESHOLD)
