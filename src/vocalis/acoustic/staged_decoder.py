"""The int8 decoder as onnxruntime stages with compiled kernels between them (`acoustic.kernels`: the Snakes
and the AdaIN statistics): the same graph and numbers as one session (within float rounding), in about half
the time (6.2 s against 12.2 s on one set of decoder inputs, 2 cores). The plan is built once per decoder file
(`staging.build`); running it needs onnxruntime, numpy and numba only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from vocalis.acoustic.kernels import moments, snake
from vocalis.acoustic.ort_session import run, session

PLAN = "plan.json"  # the steps in order: an ONNX stage or a kernel, what each reads and writes, what to drop
CONSTANTS = "constants.npz"  # the kernels' constant inputs (each Snake's k, computed from its alpha)


class StagedDecoder:
    def __init__(self, folder: Path):
        plan = json.loads((folder / PLAN).read_text())
        with np.load(folder / CONSTANTS) as constants:
            self._constants = {name: constants[name] for name in constants.files}
        self._output = plan["output"]
        self._steps = plan["steps"]
        self._sessions = {s["file"]: session(folder / s["file"], shared_arena=True) for s in self._steps
                          if "file" in s}

    def _quantised(self, names: list[str] | None) -> tuple[float, float] | None:
        return None if names is None else (float(self._constants[names[0]]), float(self._constants[names[1]]))

    def __call__(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        values = {**self._constants, **feeds}
        for step in self._steps:
            inputs = [values[name] for name in step["reads"]]
            if "file" in step:
                outputs = run(self._sessions[step["file"]], dict(zip(step["reads"], inputs, strict=True)),
                              shrink=False)
            elif step["kernel"] == "snake":
                outputs = [snake(*inputs, self._quantised(step["dequantise"]), self._quantised(step["quantise"]),
                                 in_place=step["in_place"])]
            else:
                outputs = list(moments(*inputs, self._quantised(step["dequantise"])))
            values.update(zip(step["writes"], outputs, strict=True))
            for name in step["drop"]:  # the activations of a long segment run to hundreds of MB
                del values[name]
        return values[self._output]
