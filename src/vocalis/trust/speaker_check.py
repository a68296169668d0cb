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
from vocalis.voice.reference import prepare_reference
from vocalis.voice.speaker import EMBEDDING_SIZE, reference_embedding, similarity

# The consent phrase takes 5-8 s; below 1.5 s of speech neither encoder sees a voice, only a few words,
# and past 10 s the phrase is over (the rest is whatever followed it), so only the first 10 s count.
RECORDING_MIN_SPEECH_S = 1.5
RECORDING_MAX_SPEECH_S = 10.0

# Mean of the GE2E and d-vector cosines, from bench/consent_threshold.py on ../shared/data/speech, openly
# licensed speakers only (LibriSpeech/LibriTTS, VCTK, HiFiTTS, LJSpeech, JFK, AISHELL-1; CC BY, public
# domain, Apache-2.0), split by speaker. Chosen on 78 dev speakers as the score that 0.25 % of same-language,
# same-gender impostor trials reach (0.741; a quarter of the 1 % allowed, as false accepts cluster in a few
# look-alike pairs). Held-out (78 other speakers): FR 0/83, FA 14/8232 (0.17 %), same-gender FA 13/3781
# (0.34 %). Research sets, report only: FA 0.06 %, FR 29/75, nearly all on emotional speech (EMO-DB,
# EmoV-DB, ESD, RAVDESS); EMIME cross-lingual 0/15. GE2E alone separates as well, but it is what cloning
# optimises towards, so a clone would flatter it; the d-vector half never saw the clone.
SAME_SPEAKER_THRESHOLD = 0.74


@dataclass(frozen=True)
class SpeakerMatch:
    similarity: float  # mean cosine of the two encoders' embeddings, recording vs reference
    threshold: float
    same: bool


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


def same_speaker(recording: Audio, reference: np.ndarray) -> SpeakerMatch:
    """Whether the raw consent `recording` is spoken by the voice whose `reference_embedding` is `reference`."""
    if reference.shape != (2 * EMBEDDING_SIZE,):
        raise VoiceError(f"a reference embedding has {2 * EMBEDDING_SIZE} values, not {reference.shape}")
    score = similarity(reference_embedding(recording_speech(recording)), reference)
    return SpeakerMatch(similarity=score, threshold=SAME_SPEAKER_THRESHOLD, same=score >= SAME_SPEAKER_THRESHOLD)
