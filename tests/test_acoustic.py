"""The staged Kokoro acoustic model, on the real weights."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from vocalis.acoustic import assets
from vocalis.acoustic.stages import FRAME, SAMPLE_RATE, Prosody, acoustic_model, round_durations
from vocalis.text.vocab import vocab

# "The quick brown fox jumps over the lazy dog." in Kokoro phonemes (about 2.5 s of speech).
PHONEMES = "ðə kwˈɪk bɹˈWn fˈɑks ʤˈʌmps ˌOvəɹ ðə lˈAzi dˈɔɡ."


@pytest.fixture(scope="module")
def model():
    return acoustic_model()


@pytest.fixture(scope="module")
def ids() -> list[int]:
    ids = vocab()
    return [ids[c] for c in PHONEMES if c in ids]


@pytest.fixture(scope="module")
def style(ids) -> np.ndarray:
    packs = assets.voice_packs()
    return packs[sorted(packs)[0]][len(ids) - 1]


@pytest.fixture(scope="module")
def baseline(model, ids, style):
    audio, prosody = model.synthesize(ids, style)
    return model.encode(ids, style), audio, prosody


def _log_mel(x: np.ndarray, n_fft: int = 1024, hop: int = 256, n_mels: int = 80) -> np.ndarray:
    frames = np.lib.stride_tricks.sliding_window_view(np.pad(x, n_fft // 2), n_fft)[::hop]
    power = np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=-1)) ** 2
    hz = np.linspace(0, SAMPLE_RATE / 2, power.shape[1])
    mel = 2595 * np.log10(1 + hz / 700)
    edges = np.linspace(0, mel[-1], n_mels + 2)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    bank = np.clip(np.minimum((mel - lo) / (mid - lo), (hi - mel) / (hi - mid)), 0, None)
    return np.log(power @ bank.T + 1e-6)


def _median_f0(x: np.ndarray, lo: float = 60, hi: float = 1000) -> float:
    """Median autocorrelation pitch over loud, periodic 40 ms frames.

    The lag is the shortest one reaching 90% of the best correlation: a periodic signal correlates as
    well at twice its period, and the unbiased autocorrelation can't tell those apart."""
    size, hop = 960, 480
    lags = np.arange(int(SAMPLE_RATE / hi), int(SAMPLE_RATE / lo))
    loud = np.sqrt(np.mean(x**2)) * 0.5
    pitches = []
    for start in range(0, len(x) - size, hop):
        frame = x[start:start + size] - x[start:start + size].mean()
        if np.sqrt(np.mean(frame**2)) < loud:
            continue
        ac = np.correlate(frame, frame, "full")[size - 1:] / (size - np.arange(size))
        r = ac[lags] / ac[0]
        if r.max() >= 0.5:
            pitches.append(SAMPLE_RATE / lags[np.argmax(r >= 0.9 * r.max())])
    assert len(pitches) >= 5, "too few voiced frames"
    return float(np.median(pitches))


def test_audio_length_matches_durations(baseline):
    _, audio, prosody = baseline
    assert audio.dtype == np.float32
    assert len(audio) == FRAME * prosody.durations.sum()
    assert len(prosody.f0) == len(prosody.energy) == 2 * prosody.durations.sum()
    assert np.abs(audio).max() > 0.05


def test_overridden_durations_give_exact_length(model, baseline):
    enc, _, prosody = baseline
    longer = round_durations(prosody.durations * 1.5)
    audio = model.decode(enc, model.predict_prosody(enc, longer))
    assert len(audio) == FRAME * longer.sum()


def test_doubling_f0_raises_pitch_an_octave(model, ids):
    # A low voice: on the high female packs the decoder stops following F0 well above ~450 Hz.
    style = assets.voice_packs()["jm_kumo"][len(ids) - 1]
    enc, p = model.plan(ids, style)
    low = model.decode(enc, p)
    high = model.decode(enc, Prosody(p.durations, p.f0 * 2, p.energy))
    ratio = _median_f0(high) / _median_f0(low)
    assert 1.7 < ratio < 2.3, ratio


def test_close_to_the_int8_onnx(model, ids, style):
    graph = onnx.load(str(assets.model_path()))
    # Expose Kokoro's rounded durations so both renderings share one alignment.
    graph.graph.output.append(onnx.helper.make_tensor_value_info("/encoder/Clip_output_0", 1, None))
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {"tokens": np.array([[0, *ids, 0]], np.int64), "style": style[None],
             "speed": np.ones(1, np.float32)}
    reference, onnx_durations = session.run(None, feeds)
    onnx_durations = onnx_durations.ravel().astype(np.int64)

    enc = model.encode(ids, style)
    ours = round_durations(model.predict_durations(enc))
    assert np.abs(ours - onnx_durations).max() <= 1
    assert np.mean(ours == onnx_durations) > 0.85

    audio = model.decode(enc, model.predict_prosody(enc, onnx_durations))
    assert len(audio) == len(reference.ravel())
    corr = np.corrcoef(_log_mel(audio).ravel(), _log_mel(reference.ravel()).ravel())[0, 1]
    assert corr > 0.95, corr


def test_gradient_reaches_the_style(model, ids, style):
    style_t = torch.tensor(style, requires_grad=True)
    enc = model.encode(ids[:8], style_t)
    durations = round_durations(model.predict_durations(enc))
    audio = model.decode_tensor(enc, model.predict_prosody(enc, durations))
    assert len(audio) == FRAME * durations.sum()
    audio.pow(2).mean().backward()
    assert style_t.grad is not None
    assert torch.count_nonzero(style_t.grad[:128]) > 0  # the decoder half of the style
    assert torch.isfinite(style_t.grad).all()


def test_int8_decoder_close_to_the_float_decoder(model, baseline):
    # `decode` runs the statically quantised int8 export, `decode_tensor` the float PyTorch decoder.
    enc, audio, prosody = baseline
    with torch.inference_mode():
        reference = model.decode_tensor(enc, prosody).numpy()
    assert len(reference) == len(audio)
    corr = np.corrcoef(_log_mel(audio).ravel(), _log_mel(reference).ravel())[0, 1]
    assert corr > 0.97, corr
