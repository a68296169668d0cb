"""The decoder as a statically quantised int8 ONNX, run with onnxruntime: the fast inference path.

The decoder was ~85 % of synthesis time. Its 1-D convolutions run ~3x faster in int8 (QLinearConv,
VNNI) than in fp32 on the reference CPU, after which the element-wise AdaIN and Snake passes between
them take most of the time (see `net.istftnet._adain_snake`). Kokoro's own int8 ONNX is dynamically
quantised (ConvInteger, activation ranges measured at run time) and is slower than fp32, so we build
our own once, lazily: export the PyTorch decoder (our dequantised weights) to fp32 ONNX, then
quantise it statically (per-channel int8 weights, uint8 activations with ranges calibrated on the
decoder inputs of a few built-in sentences and voices). Both steps write atomically into
`assets.cache_dir()` under names carrying DECODER_VERSION, and a file that fails to load is rebuilt.

Convolutions that stay float: the F0/energy/excitation input convs and conv_post (tiny, and conv_post's
output is a log-magnitude where an 8-bit step is audible) and the STFT pair (exact DSP).

The int8 graph then runs in stages (`staging`, `staged_decoder`): the Snakes and the AdaIN statistics, which
onnxruntime ran in several passes each (and the Snakes' cosine on one thread), run between them as compiled
kernels. That halves the decoder's time.
"""

from __future__ import annotations

import logging
import os
import shutil
import warnings
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import onnxruntime as ort

from vocalis.acoustic import assets
from vocalis.acoustic.ort_session import run, session
from vocalis.acoustic.staged_decoder import StagedDecoder

if TYPE_CHECKING:  # building the int8 decoder needs torch and onnx; running it does not
    from vocalis.acoustic.net.istftnet import Decoder

DECODER_VERSION = 6  # bump whenever the decoder code, the weight loading or the quantisation changes
STAGED_VERSION = 1  # bump whenever `staging` cuts the graph differently
INPUTS = ("asr", "f0", "energy", "style", "source")
Int8Decoder = Callable[[dict[str, np.ndarray]], np.ndarray]  # decoder inputs by INPUTS name -> audio [1, 1, N]
_FLOAT = ("/F0_conv/", "/N_conv/", "/generator/Conv", "/generator/noise_convs.", "/generator/conv_post/")


def _export(decoder: Decoder, out: Path) -> None:
    import torch

    frames = 8  # any length: every axis that depends on it is declared dynamic
    args = (torch.zeros(1, 512, frames), torch.full((1, 2 * frames), 100.0), torch.zeros(1, 2 * frames),
            torch.zeros(1, 128), torch.zeros(1, 600 * frames))
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # TorchScript tracer chatter about shape-dependent Python ints
        torch.onnx.export(
            decoder, args, str(tmp), dynamo=False, opset_version=17, input_names=list(INPUTS),
            output_names=["audio"],
            dynamic_axes={"asr": {2: "frames"}, "f0": {1: "frames2"}, "energy": {1: "frames2"},
                          "source": {1: "samples"}, "audio": {2: "samples"}},
        )
    tmp.replace(out)  # atomic: a concurrent or interrupted export never leaves a torn file behind


def _quantise(fp32: Path, out: Path, calibration: Iterable[dict[str, np.ndarray]]) -> None:
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    class Feeds(CalibrationDataReader):
        def __init__(self, feeds: Iterable[dict[str, np.ndarray]]):
            self._feeds: Iterator[dict[str, np.ndarray]] = iter(feeds)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._feeds, None)

    graph = onnx.load(str(fp32), load_external_data=False).graph
    convs = [n.name for n in graph.node if n.op_type == "Conv" and not n.name.startswith(_FLOAT)]
    del graph
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)  # the quantiser logs advice about pre-processing on every call
        try:
            quantize_static(
                str(fp32), str(tmp), Feeds(calibration), quant_format=QuantFormat.QDQ,
                op_types_to_quantize=["Conv"], nodes_to_quantize=convs, per_channel=True,
                activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                calibrate_method=CalibrationMethod.MinMax,
            )
        finally:
            logging.disable(logging.NOTSET)
    tmp.replace(out)


def int8_decoder(
    decoder: Callable[[], Decoder], calibration: Callable[[], Iterable[dict[str, np.ndarray]]],
    variant: str = "",
) -> Int8Decoder:
    """The int8 decoder, built on first use: `decoder()` gives the loaded PyTorch decoder to export,
    `calibration()` real decoder inputs (dicts keyed by INPUTS) to calibrate the int8 ranges. `variant` names a
    decoder with other weights (a trained voice's, by its adapter's hash): each has its own files in the cache.
    It runs staged (`staged_decoder`); a graph with nothing to cut out runs as one session."""
    stem = f"{Path(assets.MODEL_FILE).stem}.decoder{'.' + variant if variant else ''}"
    int8 = assets.cache_dir() / f"{stem}-int8-v{DECODER_VERSION}.onnx"
    staged = int8.with_name(f"{int8.stem}.staged-v{STAGED_VERSION}")
    if staged.exists():
        try:
            return StagedDecoder(staged)
        except Exception:  # noqa: BLE001 - ORT's load errors (InvalidProtobuf, Fail...) share no narrower base
            shutil.rmtree(staged, ignore_errors=True)  # unreadable: rebuild below
    from google.protobuf.message import DecodeError

    from vocalis.acoustic import staging  # onnx: only to build the plan, once

    if not int8.exists():
        _build(decoder, calibration, stem, int8)
    try:
        staging.build(int8, staged)
    except staging.NoKernels:
        return partial(_whole, session(int8))
    except DecodeError:  # a torn int8 file (an interrupted copy of the cache): build it again
        _build(decoder, calibration, stem, int8)
        staging.build(int8, staged)
    int8.with_suffix(".opt.onnx").unlink(missing_ok=True)  # the whole graph is no longer run
    for stale in int8.parent.glob(f"{int8.stem}.staged-v*"):  # plans of earlier STAGED_VERSIONs
        if stale != staged:
            shutil.rmtree(stale, ignore_errors=True)
    return StagedDecoder(staged)


def _build(decoder: Callable[[], Decoder], calibration: Callable[[], Iterable[dict[str, np.ndarray]]], stem: str,
           int8: Path) -> None:
    fp32 = assets.cache_dir() / f"{stem}-fp32-v{DECODER_VERSION}.onnx"
    _export(decoder(), fp32)
    try:
        _quantise(fp32, int8, calibration())
    finally:
        fp32.unlink(missing_ok=True)  # 213 MB only needed to quantise
    for stale in assets.cache_dir().glob(f"{stem}-*"):  # earlier versions' files, and what was built from them
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        elif stale != int8:
            stale.unlink(missing_ok=True)


def _whole(session_: ort.InferenceSession, feeds: dict[str, np.ndarray]) -> np.ndarray:
    return run(session_, feeds)[0]


def run_decoder(decoder: Int8Decoder, asr: np.ndarray, f0: np.ndarray, energy: np.ndarray,
                style: np.ndarray, source: np.ndarray) -> np.ndarray:
    feeds = dict(zip(INPUTS, (asr, f0, energy, style, source), strict=True))
    return decoder({k: np.asarray(v, dtype=np.float32) for k, v in feeds.items()})
