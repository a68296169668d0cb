"""The int8 decoder run in stages with compiled kernels between them (`acoustic.staged_decoder`): the kernels
against numpy in float64, and the staged decoder against the one-session int8 graph and the float decoder."""

import json

import numpy as np
import pytest
import torch
from test_inference import SENTENCES, _ids, _mel_distance

from vocalis.acoustic import assets
from vocalis.acoustic.inference import inference_model
from vocalis.acoustic.kernels import moments, snake
from vocalis.acoustic.onnx_decoder import DECODER_VERSION, INPUTS, STAGED_VERSION
from vocalis.acoustic.ort_session import run, session
from vocalis.acoustic.staged_decoder import PLAN
from vocalis.acoustic.stages import acoustic_model
from vocalis.voice.builtin import builtin_voices

RNG = np.random.default_rng(7)
Q = RNG.integers(0, 256, (1, 96, 3001)).astype(np.uint8)  # an odd length and channel count: no lucky split
X_SCALE, X_ZERO = 0.047, 131.0
X = ((Q.astype(np.float64) - X_ZERO) * X_SCALE).astype(np.float32)
A, B, K = (RNG.uniform(lo, hi, (1, 96, 1)).astype(np.float32) for lo, hi in ((0.3, 4.0), (-2.0, 2.0), (0.1, 2.0)))


def _reference(x: np.ndarray) -> np.ndarray:
    z = x.astype(np.float64) * A + B
    return (z + 1 - np.cos(z)) * K


def test_snake_is_numpys_in_float64_to_float32_rounding():
    np.testing.assert_allclose(snake(X, A, B, K), _reference(X), rtol=1e-5, atol=2e-5)
    np.testing.assert_allclose(snake(Q, A, B, K, (X_SCALE, X_ZERO)), _reference(X), rtol=1e-5, atol=2e-5)
    x = X.copy()
    assert snake(x, A, B, K, in_place=True) is x  # overwritten when asked


def test_snake_quantised_is_onnx_quantizelinear_of_it():
    scale, zero = 0.021, 7.0
    expected = np.clip(np.rint(_reference(X) / scale) + zero, 0, 255)
    for out in (snake(X, A, B, K, None, (scale, zero)), snake(Q, A, B, K, (X_SCALE, X_ZERO), (scale, zero))):
        assert out.dtype == np.uint8
        assert np.mean(out != expected) < 1e-3  # a value within float32 rounding of a half step may round either way
        assert np.abs(out.astype(float) - expected).max() <= 1


def test_moments_are_the_mean_and_l2_norm_over_time():
    x = X.astype(np.float64)
    mean, norm = x.mean(-1, keepdims=True), np.sqrt((x**2).sum(-1, keepdims=True))
    for got_mean, got_norm in (moments(X), moments(Q, (X_SCALE, X_ZERO))):
        assert got_mean.shape == got_norm.shape == (1, 96, 1)
        np.testing.assert_allclose(got_mean, mean, atol=1e-5)
        np.testing.assert_allclose(got_norm, norm, rtol=1e-5)


def test_every_snake_and_adain_statistic_runs_as_a_kernel():
    inference_model()  # builds the plan on first use
    folder = assets.cache_dir() / f"{assets.model_path().stem}.decoder-int8-v{DECODER_VERSION}.staged-v{STAGED_VERSION}"
    steps = json.loads((folder / PLAN).read_text())["steps"]
    kernels = [s for s in steps if "kernel" in s]
    # 2 upsampling levels x (3 residual blocks + 1 noise block) x 3 dilations x 2 Snakes; 54 AdaINs in all
    assert sum(s["kernel"] == "snake" for s in kernels) == 48
    assert sum(s["kernel"] == "moments" for s in kernels) == 54
    assert all(s["quantise"] for s in kernels if s["kernel"] == "snake")  # every Snake feeds an int8 conv


@pytest.fixture(scope="module")
def decoder_feeds() -> dict[str, np.ndarray]:
    model = inference_model()
    ids = _ids(SENTENCES["en"], "en")
    enc, prosody = model.plan(ids, builtin_voices()["jm_kumo"].style_for(len(ids)))
    captured = {}
    whole = model.decoder
    model.decoder = lambda feeds: captured.update(feeds) or whole(feeds)
    try:
        model.decode(enc, prosody)
    finally:
        model.decoder = whole
    return captured


def test_staged_decoder_sounds_like_the_whole_graph(decoder_feeds):
    staged = inference_model().decoder(decoder_feeds).ravel()
    int8 = assets.cache_dir() / f"{assets.model_path().stem}.decoder-int8-v{DECODER_VERSION}.onnx"
    whole = run(session(int8), decoder_feeds)[0].ravel()
    with torch.no_grad():
        float_audio = acoustic_model().torch_decoder(*(torch.from_numpy(decoder_feeds[k]) for k in INPUTS))
    float_audio = float_audio.numpy().ravel()
    assert len(staged) == len(whole) == len(float_audio)
    # Each int8 rendering is ~2.7 dB from the float decoder; the staged one no further than the whole graph.
    assert _mel_distance(staged, float_audio) < _mel_distance(whole, float_audio) + 0.1
    assert _mel_distance(staged, whole) < _mel_distance(whole, float_audio)
