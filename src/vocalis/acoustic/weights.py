"""Kokoro's PyTorch weights, recovered from the int8 ONNX graph (the only copy we ship).

The ONNX was produced by `torch.onnx.export` (TorchScript) of KModel and then onnxruntime's dynamic
quantisation, so a weight appears in one of these forms:

* a float initialiser still named after its state-dict key (biases, norms, Snake alphas);
* `<name>_quantized` + `<name>_scale` feeding MatMulInteger / ConvInteger / Gather (+DequantizeLinear),
  the zero point being the op's own input (identical zero points were de-duplicated across layers);
  for anonymous initialisers (`onnx::MatMul_*`, `/scope/Mul_output_0`) the owning module is recovered
  from the consuming node's scope name. `Mul_output_0` weights are weight-norm already fused (g*v/|v|).
* DynamicQuantizeLSTM with W [dirs, in, 4h], R [dirs, h, 4h] (transposed, gate order i,o,f,c) and
  B [dirs, 8h] = input and recurrent biases.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

# ONNX gate blocks i,o,f,c -> PyTorch i,f,g(c),o
_LSTM_GATES = [0, 2, 3, 1]
# Scope of a node -> state-dict module path, for the modules the exporter did not name by their path.
_SCOPE_FIXES = [
    (re.compile(r"^encoder\.(F0|N|F0_proj|N_proj|shared)\b"), r"predictor.\1"),
    (re.compile(r"^encoder\."), ""),
    (re.compile(r"^decoder\.decoder\."), "decoder."),
    (re.compile(r"^decoder\.generator\.m_source\."), "source."),  # KokoroNet.source (see net.model)
]


def _module_path(node_name: str) -> str:
    """'/encoder/text_encoder/cnn.0/cnn.0.0/Conv_quant' -> 'text_encoder.cnn.0.0'."""
    parts: list[str] = []
    for part in node_name.strip("/").split("/")[:-1]:
        part = re.sub(r"_\d+$", "", part)  # repeated calls of a shared module: query_3 -> query
        if parts and part.startswith(parts[-1] + "."):  # Sequential children repeat the parent's name
            parts.pop()
        parts.append(part)
    path = ".".join(parts)
    for pattern, repl in _SCOPE_FIXES:
        path = pattern.sub(repl, path)
    return path


def _state_key(name: str) -> str:
    for pattern, repl in _SCOPE_FIXES:
        name = pattern.sub(repl, name)
    return name


def _lstm(w: np.ndarray, r: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    hidden = r.shape[1]

    def reorder(x: np.ndarray) -> np.ndarray:
        return np.concatenate([x[..., g * hidden:(g + 1) * hidden] for g in _LSTM_GATES], axis=-1)

    out = {}
    for d, suffix in enumerate(["", "_reverse"]):
        out[f"weight_ih_l0{suffix}"] = reorder(w[d]).T
        out[f"weight_hh_l0{suffix}"] = reorder(r[d]).T
        out[f"bias_ih_l0{suffix}"] = reorder(b[d, :4 * hidden])
        out[f"bias_hh_l0{suffix}"] = reorder(b[d, 4 * hidden:])
    return out


STATE_VERSION = 3  # bump whenever onnx_state_dict's output changes
_DECODER = "decoder."


def cached_state_dict(onnx_path: Path, cache: Path, decoder: bool) -> dict[str, torch.Tensor]:
    """`onnx_state_dict(onnx_path)` split in two, each saved once as a torch file in `cache`:
    `decoder=True` gives the decoder's entries (keys without the `decoder.` prefix), False the rest.

    Parsing the 92 MB protobuf and dequantising costs time and several hundred MB of transient memory
    on every start, and inference never needs the float decoder (two thirds of the weights), so the two
    halves load separately. Not memory-mapped: on the reference VM the kernel reclaims idle file-backed
    pages, and re-faulting the weights made the first calls after a pause ten times slower.
    A torn or stale file is rebuilt, not trusted."""
    paths = {part: cache / f"{onnx_path.stem}.state-v{STATE_VERSION}.{part}.pt" for part in ("front", "decoder")}
    path = paths["decoder" if decoder else "front"]
    if path.exists():
        try:
            return torch.load(path, weights_only=True)
        except Exception:  # noqa: BLE001 - truncated or corrupt (zip, pickle or I/O errors): rebuild
            pass
    state = onnx_state_dict(onnx_path)
    parts = {
        "decoder": {k.removeprefix(_DECODER): v for k, v in state.items() if k.startswith(_DECODER)},
        "front": {k: v for k, v in state.items() if not k.startswith(_DECODER)},
    }
    for part, out in paths.items():
        tmp = out.with_suffix(f".{os.getpid()}.tmp")
        torch.save(parts[part], tmp)
        tmp.replace(out)  # atomic: readers see the old file or the whole new one
    for stale in cache.glob(f"{onnx_path.stem}.state-v*.pt"):  # earlier versions' files
        if stale not in paths.values():
            stale.unlink(missing_ok=True)
    return parts["decoder" if decoder else "front"]


def onnx_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Dequantised float32 tensors keyed by KokoroNet state-dict keys."""
    graph = onnx.load(str(path)).graph
    init = {i.name: numpy_helper.to_array(i) for i in graph.initializer}

    def deq(q_name: str, zp_name: str) -> np.ndarray:
        scale = init[q_name.removesuffix("_quantized") + "_scale"]
        return (init[q_name].astype(np.float32) - init[zp_name].astype(np.float32)) * scale

    out: dict[str, np.ndarray] = {}
    for node in graph.node:
        op, ins = node.op_type, list(node.input)
        module = _module_path(node.name)
        if op in ("MatMulInteger", "ConvInteger") and ins[1] in init:
            w = deq(ins[1], ins[3])
            out[f"{module}.weight"] = w.T if op == "MatMulInteger" else w
        elif op in ("Conv", "ConvTranspose") and ins[1] in init and "istft" not in module:
            out[f"{module}.weight"] = init[ins[1]]
        elif op == "MatMul" and ins[1] in init:
            out[f"{module}.weight"] = init[ins[1]].T
        elif op == "DequantizeLinear" and node.name.endswith("Gather_quant_DequantizeLinear"):
            # Embedding lookups are quantised as Gather on the int8 table + DequantizeLinear.
            gather = next(n for n in graph.node if n.output[0] == ins[0])
            table = gather.input[0]
            out[f"{module}.weight"] = (init[table].astype(np.float32) - init[ins[2]]) * init[ins[1]]
        elif op == "DynamicQuantizeLSTM":
            w = init[ins[1]].astype(np.float32) - init[ins[9]].astype(np.float32)[:, None, None]
            r = init[ins[2]].astype(np.float32) - init[ins[11]].astype(np.float32)[:, None, None]
            w *= init[ins[8]][:, None, None]
            r *= init[ins[10]][:, None, None]
            for key, value in _lstm(w, r, init[ins[3]]).items():
                out[f"{module}.{key}"] = value
    for name, value in init.items():
        if name.startswith(("encoder.", "decoder.")) and not name.endswith(
            ("_quantized", "_scale", "_zero_point", "_shape")
        ) and value.dtype == np.float32 and ".stft." not in name:  # STFT bases are rebuilt, not loaded
            out.setdefault(_state_key(name), value)
    # Contiguous: the tensors are assigned to the modules as they are (no copy), and transposed
    # views (MatMul, LSTM weights) would send every matmul down a slow strided path.
    return {k: torch.from_numpy(np.array(v, dtype=np.float32, order="C")) for k, v in out.items()}


def merge_adapter(base: dict[str, torch.Tensor],
                  adapter: dict[str, np.ndarray | torch.Tensor]) -> dict[str, torch.Tensor]:
    """A decoder state dict with a trained voice's adapter added (see `voice.train.adapter`): '<key>' is a
    delta to that tensor; '<key>.lora_a' and '<key>.lora_b' a low-rank delta (b @ a, shaped as the weight).
    The tensors of `base` are not changed."""
    out = dict(base)
    deltas = {k: torch.as_tensor(v, dtype=torch.float32) for k, v in adapter.items()}
    for key, value in deltas.items():
        if key.endswith(".lora_b"):
            continue
        if key.endswith(".lora_a"):
            weight = key.removesuffix(".lora_a")
            out[weight] = base[weight] + (deltas[f"{weight}.lora_b"] @ value).reshape(base[weight].shape)
        else:
            out[key] = base[key] + value
    return out
