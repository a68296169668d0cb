"""Everything before the decoder as ONNX, so that a render loads neither torch nor the PyTorch model (torch's
import alone is over a second of every cold start).

Two float32 graphs, exported once from our PyTorch model (`stages.acoustic_model`) into the cache beside the
int8 decoder, under names carrying FRONT_VERSION:

- `encode`: token ids with the pads, style [1, 256] -> the duration encoder's features [1, n, 640], the text
  encoder's [1, 512, n] and the predicted durations [n] (frames, unrounded, at speed 1);
- `prosody`: frame-aligned duration features [1, 640, T], the prosody half of the style [1, 128] -> F0 and
  energy [1, 2T].

The harmonic source's mix of harmonics (a Linear(9, 1)) is saved beside them for `source.harmonic_source`.
Training and cloning keep the PyTorch model: they need gradients.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from vocalis.acoustic import assets
from vocalis.acoustic.ort_session import run, session

FRONT_VERSION = 1  # bump whenever the front's code or weight loading changes


@dataclass(frozen=True)
class Front:
    encode: ort.InferenceSession
    prosody: ort.InferenceSession
    source_mix: np.ndarray  # float32 [9]
    source_bias: float

    def run_encode(self, ids: np.ndarray, style: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return tuple(run(self.encode, {"ids": ids[None].astype(np.int64), "style": style.astype(np.float32)}))

    def run_prosody(self, features: np.ndarray, style: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        f0, energy = run(self.prosody, {"features": features.astype(np.float32), "style": style.astype(np.float32)})
        return f0, energy


def _paths() -> dict[str, Path]:
    stem = assets.cache_dir() / f"{Path(assets.MODEL_FILE).stem}.front"
    return {"encode": Path(f"{stem}.encode-v{FRONT_VERSION}.onnx"),
            "prosody": Path(f"{stem}.prosody-v{FRONT_VERSION}.onnx"),
            "source": Path(f"{stem}.source-v{FRONT_VERSION}.npz")}


def load_front() -> Front:
    """The front's sessions, exported from the PyTorch model first if the cache lacks them (or holds a file that
    does not load)."""
    paths = _paths()
    try:
        return _open(paths)
    except Exception:  # noqa: BLE001 - missing, torn or stale: ORT's load errors share no narrower base
        _export(paths)
        return _open(paths)


def _open(paths: dict[str, Path]) -> Front:
    with np.load(paths["source"]) as mix:
        weight, bias = mix["weight"].astype(np.float32), float(mix["bias"])
    return Front(session(paths["encode"]), session(paths["prosody"]), weight, bias)


def _export(paths: dict[str, Path]) -> None:
    import torch

    from vocalis.acoustic.net.graphs import EncodeGraph, ProsodyGraph
    from vocalis.acoustic.stages import acoustic_model

    net = acoustic_model().net
    n, frames = 12, 20  # any lengths: every axis that depends on them is dynamic
    graphs = {
        "encode": (EncodeGraph(net), (torch.randint(1, 100, (1, n)), torch.zeros(1, 256)), ["ids", "style"],
                   ["prosody_features", "text_features", "durations"],
                   {"ids": {1: "n"}, "prosody_features": {1: "n"}, "text_features": {2: "n"}, "durations": {0: "n"}}),
        "prosody": (ProsodyGraph(net), (torch.zeros(1, 640, frames), torch.zeros(1, 128)), ["features", "style"],
                    ["f0", "energy"], {"features": {2: "frames"}, "f0": {1: "frames2"}, "energy": {1: "frames2"}}),
    }
    for name, (module, args, inputs, outputs, axes) in graphs.items():
        tmp = paths[name].with_suffix(f".{os.getpid()}.tmp")
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # TorchScript tracer chatter about shape-dependent Python ints
            torch.onnx.export(module, args, str(tmp), dynamo=False, opset_version=17, input_names=inputs,
                              output_names=outputs, dynamic_axes=axes)
        tmp.replace(paths[name])  # atomic: a concurrent or interrupted export never leaves a torn file behind
    linear = net.source.l_linear
    tmp = paths["source"].with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez(tmp, weight=linear.weight.detach().numpy()[0], bias=linear.bias.detach().numpy()[0])
    tmp.replace(paths["source"])
    for stale in assets.cache_dir().glob(f"{Path(assets.MODEL_FILE).stem}.front.*"):  # earlier versions' files
        if stale not in paths.values():
            stale.unlink(missing_ok=True)
