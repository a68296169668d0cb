"""The consent speaker check on real LibriSpeech speech: another clip of the cloned speaker passes, strangers
don't, and a recording with too little speech is refused with a message the user can act on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shared_data import SPEECH, shared_data

from vocalis.audio import Audio
from vocalis.errors import VoiceError
from vocalis.trust.speaker_check import SAME_SPEAKER_THRESHOLD, reference_embedding, same_speaker
from vocalis.voice.reference import prepare_reference

LIBRISPEECH = SPEECH / "librispeech_test_other"
SPEAKER = "2609"
REFERENCE_CLIPS = ["2609-156975-0000", "2609-156975-0001"]  # 4.5 + 4.9 s
CONSENT_CLIP = "2609-156975-0003"  # 3.4 s, not in the reference
# Short clips (2.4-4.5 s) of the other LibriSpeech test-other speakers.
STRANGERS = ["1688/1688-142285-0009", "2033/2033-164914-0005", "3080/3080-5032-0003", "367/367-130732-0009"]


def _clip(name: str) -> Path:
    path = LIBRISPEECH / f"{name}.flac"
    shared_data(path)
    return path


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    ref = prepare_reference([_clip(f"{SPEAKER}/{name}") for name in REFERENCE_CLIPS])
    return reference_embedding(ref.audio)


def test_reference_embedding_is_float32_vector(reference: np.ndarray) -> None:
    assert reference.dtype == np.float32 and reference.ndim == 1 and np.isfinite(reference).all()


def test_same_speaker_other_clip_is_accepted(reference: np.ndarray) -> None:
    match = same_speaker(Audio.load(_clip(f"{SPEAKER}/{CONSENT_CLIP}")), reference)
    assert match.same and match.similarity >= match.threshold == SAME_SPEAKER_THRESHOLD


@pytest.mark.parametrize("name", STRANGERS)
def test_strangers_are_rejected(reference: np.ndarray, name: str) -> None:
    match = same_speaker(Audio.load(_clip(name)), reference)
    assert not match.same and match.similarity < SAME_SPEAKER_THRESHOLD


def test_too_little_speech_is_refused(reference: np.ndarray) -> None:
    audio = Audio.load(_clip(f"{SPEAKER}/{CONSENT_CLIP}"))
    with pytest.raises(VoiceError, match="speaker check needs at least 1.5 s"):
        same_speaker(Audio(audio.samples[: audio.sample_rate], audio.sample_rate), reference)
