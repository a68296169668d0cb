"""The decoder exported once to fp32 ONNX and run with onnxruntime: the fast inference path.

On this project's reference CPU (2 cores) onnxruntime runs the decoder about 1.4x faster than eager
PyTorch, and the int8 Kokoro ONNX is slower still (ConvInteger), so inference decodes here while
PyTorch keeps the other stages and the differentiable decode. The export is derived from our own
dequantised weights, so it is cached under `assets.cache_dir()` and rebuilt when EXPORT_VERSION changes.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from vocalis.acoustic import assets
from vocalis.acoustic.net.istftnet import Decoder

EXPORT_VERSION = 1  # bump whenever the decoder code or the weight loading changes
_INPUTS = ["asr", "f0", "energy", "style", "noise"]


def _export(decoder: Decoder, out: Path) -> None:
    frames = 8  # any length: every axis that depends on it is declared dynamic
    args = (torch.zeros(1, 512, frames), torch.full((1, 2 * frames), 100.0), torch.zeros(1, 2 * frames),
            torch.zeros(1, 128), torch.zeros(1, 600 * frames, 9))
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # TorchScript tracer chatter about shape-dependent Python ints
        torch.onnx.export(
            decoder, args, str(tmp), dynamo=False, opset_version=17, input_names=_INPUTS,
            output_names=["audio"],
            dynamic_axes={"asr": {2: "frames"}, "f0": {1: "frames2"}, "energy": {1: "frames2"},
                          "noise": {1: "samples"}, "audio": {2: "samples"}},
        )
    tmp.replace(out)  # atomic: a concurrent or interrupted export never leaves a torn file behind


def decoder_session(decoder: Decoder) -> ort.InferenceSession:
    path = assets.cache_dir() / f"{Path(assets.MODEL_FILE).stem}.decoder-fp32-v{EXPORT_VERSION}.onnx"
    if not path.exists():
        _export(decoder, path)
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.enable_cpu_mem_arena = False  # activations scale with utterance length: return them
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def run_decoder(session: ort.InferenceSession, asr: np.ndarray, f0: np.ndarray, energy: np.ndarray,
                style: np.ndarray, noise: np.ndarray) -> np.ndarray:
    feeds = dict(zip(_INPUTS, (asr, f0, energy, style, noise), strict=True))
    return session.run(None, {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in feeds.items()})[0]
