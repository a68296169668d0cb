"""The onnxruntime render path (`acoustic.inference`, no torch) against the PyTorch model it is exported from:
the same stages, the same numbers up to float rounding, and Perth's mark added in numpy read by Perth itself."""

import numpy as np
import pytest
import torch

from vocalis.acoustic.data import source_noise
from vocalis.acoustic.inference import inference_model
from vocalis.acoustic.source import harmonic_source
from vocalis.acoustic.stages import acoustic_model
from vocalis.audio import Audio
from vocalis.text import phonemize
from vocalis.text.vocab import vocab
from vocalis.trust import perth
from vocalis.voice.builtin import builtin_voices
from vocalis.voice.envelope import FREQS, stft

SENTENCES = {"en": "The museum opens at nine in the morning.", "zh": "我们在图书馆见面。"}


def _ids(text: str, lang: str) -> list[int]:
    return [vocab()[c] for c in phonemize(text, lang) if c in vocab()]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_onnx_stages_match_the_pytorch_model(lang):
    ids = _ids(SENTENCES[lang], lang)
    style = builtin_voices()["jf_gongitsune" if lang == "zh" else "jm_kumo"].style_for(len(ids))
    ours, theirs = inference_model(), acoustic_model()
    enc, ref = ours.encode(ids, style), theirs.encode(ids, style)
    np.testing.assert_allclose(ours.predict_durations(enc), theirs.predict_durations(ref), atol=2e-3)
    durations = theirs.durations(ref)
    assert np.abs(ours.durations(enc) - durations).max() <= 1  # a rounding may fall the other way, rarely
    prosody, ref_prosody = ours.predict_prosody(enc, durations), theirs.predict_prosody(ref, durations)
    np.testing.assert_allclose(prosody.f0, ref_prosody.f0, atol=0.05)  # Hz
    np.testing.assert_allclose(prosody.energy, ref_prosody.energy, atol=1e-3)
    audio, ref_audio = ours.decode(enc, prosody), theirs.decode(ref, ref_prosody)
    assert len(audio) == len(ref_audio) == durations.sum() * ours.frame
    if lang == "zh":
        return  # the decoders are the same for both languages: the float reference (slow) once, in English
    # The decoder follows its harmonic excitation closely, and torch's float32 phase of ~10^5 rad is itself
    # rounding noise that numpy cannot repeat bit for bit: the audio is judged by its spectrum, against the
    # difference the product already accepts between the int8 decoder and the float one.
    with torch.no_grad():
        float_audio = theirs.decode_tensor(ref, ref_prosody).numpy()
    assert _mel_distance(audio, ref_audio) < _mel_distance(ref_audio, float_audio)


def _mel_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of log band energies (64 bands, equal on a log-frequency scale), dB."""
    edges = np.geomspace(60, 11_000, 65)
    bands = [(FREQS >= lo) & (FREQS < hi) for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    logs = [10 * np.log10(np.stack([(np.abs(stft(x)[:, m]) ** 2).sum(1) for m in bands], 1) + 1e-10) for x in (a, b)]
    return float(np.mean(np.abs(logs[0] - logs[1])))


def test_the_numpy_source_is_the_pytorch_source_and_slices_like_it():
    f0 = np.concatenate([np.zeros(9), np.linspace(90, 220, 180), np.zeros(11)]).astype(np.float32)
    noise = source_noise(len(f0) // 2)
    source = acoustic_model().net.source
    mix, bias = source.l_linear.weight.detach().numpy()[0], float(source.l_linear.bias)
    with torch.no_grad():
        ref = source(torch.from_numpy(f0)[None], torch.from_numpy(noise))[0].numpy()
    whole = harmonic_source(f0, noise[0], mix, bias)
    np.testing.assert_allclose(whole, ref, atol=2e-3)  # float32 phase of a ~10^4 rad sum: last-bit noise
    window = harmonic_source(f0, noise[0], mix, bias, slice(60, 140))
    np.testing.assert_allclose(window, whole[60 * 300:140 * 300], atol=1e-3)  # as torch's window (test_streaming)


def test_perth_reads_the_mark_added_in_numpy(tts):
    audio = tts.engine.acoustic.synthesize(_ids(SENTENCES["en"], "en"), builtin_voices()["jm_kumo"].style_for(60))[0]
    marked = perth.perth_mark(audio, 24000)
    assert len(marked) == len(audio)
    assert perth.perth_score(Audio(audio, 24000)) < 0.3 < 0.9 < perth.perth_score(Audio(marked, 24000))
    pad = np.zeros(480, np.float32)
    with torch.inference_mode():  # Perth's own embedding, for comparison
        ref = np.asarray(perth._perth().apply_watermark(np.concatenate([audio, pad]), sample_rate=24000))[: len(audio)]
    np.testing.assert_allclose(marked, ref, atol=1e-5)
