"""The decoder's per-channel passes over its large activations, compiled (numba) and split over the cores:
what onnxruntime runs slowest between the int8 convolutions (see `staged_decoder`).

- `snake`: the Snake activation after its AdaIN affine, y = (z + 1 - cos z) * k with z = x * a + b, per channel
  a, b, k (see `net.istftnet._adain_snake`). onnxruntime runs it as six element-wise passes, one of them (Cos) on
  a single thread: a third of the int8 decoder's time; here it is one pass. Its cosine is a polynomial after
  reduction to [-pi, pi] (within 4e-6 of float64 numpy's), so that the loop vectorises; libm's cosf would not.
- `moments`: each channel's mean and L2 norm over time, the AdaIN's statistics, in one pass. onnxruntime reads
  the tensor once per reduction, and before each it dequantises the convolution output again (it gives every
  consumer of a DequantizeLinear its own copy).

Both read a convolution's uint8 output as it is (dequantised in the loop), and the Snake writes the next
convolution's uint8 input: a quarter of float32's bytes, and no DequantizeLinear or QuantizeLinear pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import numba
import numpy as np

from vocalis.acoustic.ort_session import threads

_TWO_PI_HI = np.float32(6.28125)  # 2 pi in two parts (Cody-Waite): the high part is exact in float32,
_TWO_PI_LO = np.float32(2 * math.pi - 6.28125)  # so z - n * 2 pi keeps its precision for large n
_INV_TWO_PI = np.float32(1 / (2 * math.pi))
# Taylor coefficients of cos in r^2, highest first: to r^16 the error on [-pi, pi] is below float32's step.
_COS = tuple(np.float32((-1) ** j / math.factorial(2 * j)) for j in range(8, -1, -1))
# Compiled on first use for each input type (float32 or uint8), and cached beside this file: about 0.3 s to load
# the cache in a fresh process, ~1 s to compile once. nogil: the cores each run a share of the channels.
_JIT = {"nogil": True, "fastmath": True, "cache": True}


@numba.njit(**_JIT)
def _snake_of(v, a, b, k):  # noqa: ANN001, ANN202 - numba types it
    z = np.float32(v) * a + b
    n = np.float32(np.floor(z * _INV_TWO_PI + np.float32(0.5)))
    r = (z - n * _TWO_PI_HI) - n * _TWO_PI_LO
    r2 = r * r
    c0, c1, c2, c3, c4, c5, c6, c7, c8 = _COS
    cos = (((((((c0 * r2 + c1) * r2 + c2) * r2 + c3) * r2 + c4) * r2 + c5) * r2 + c6) * r2 + c7) * r2 + c8
    return (z + np.float32(1.0) - cos) * k


@numba.njit(**_JIT)
def _snake(x, a, b, k, out, first, stop):  # noqa: ANN001 - numba types them at the first call
    for c in range(first, stop):
        ac, bc, kc = a[0, c, 0], b[0, c, 0], k[0, c, 0]
        for t in range(x.shape[2]):
            out[0, c, t] = _snake_of(x[0, c, t], ac, bc, kc)


@numba.njit(**_JIT)
def _snake_quantised(x, a, b, k, zero, out, first, stop):  # noqa: ANN001 - numba types them at the first call
    for c in range(first, stop):
        ac, bc, kc = a[0, c, 0], b[0, c, 0], k[0, c, 0]
        for t in range(x.shape[2]):
            q = np.rint(_snake_of(x[0, c, t], ac, bc, kc)) + zero  # ONNX QuantizeLinear: half to even, saturate
            out[0, c, t] = np.uint8(min(max(q, np.float32(0.0)), np.float32(255.0)))


@numba.njit(**_JIT)
def _moments(x, zero, total, squares, first, stop):  # noqa: ANN001 - numba types them at the first call
    for c in range(first, stop):
        sum1 = sum2 = 0.0  # float64: a long segment sums ~10^5 values
        for t in range(x.shape[2]):
            v = np.float32(x[0, c, t]) - zero
            sum1 += v
            sum2 += v * v
        total[0, c, 0] = sum1
        squares[0, c, 0] = sum2


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max(threads() - 1, 1), thread_name_prefix="kernels")


Quantised = tuple[float, float]  # (scale, zero point) of a uint8 tensor: value = scale * (q - zero point)


def snake(x: np.ndarray, a: np.ndarray, b: np.ndarray, k: np.ndarray, x_quantised: Quantised | None = None,
          out_quantised: Quantised | None = None, in_place: bool = False) -> np.ndarray:
    """(z + 1 - cos z) * k, z = x * a + b, for x [1, C, T] and a, b, k [1, C, 1]. x is float32, or uint8 with
    `x_quantised`; the result float32 (over x if `in_place` and x is a writable float32), or uint8 quantised as
    `out_quantised` says (what the next int8 convolution reads)."""
    x = np.ascontiguousarray(x)
    a, b, k = (np.asarray(v, np.float64) for v in (a, b, k))
    if x_quantised:  # fold the dequantisation into the affine: z = q * (a s) + (b - a s zero)
        scale, zero = x_quantised
        a, b = a * scale, b - a * scale * zero
    a, b = np.ascontiguousarray(a, np.float32), np.ascontiguousarray(b, np.float32)
    if out_quantised:
        scale, zero = out_quantised
        out = np.empty(x.shape, np.uint8)
        _by_channels(_snake_quantised, x.shape[1], x, a, b, np.ascontiguousarray(k / scale, np.float32),
                     np.float32(zero), out)
        return out
    out = x if in_place and x.dtype == np.float32 and x.flags.writeable else np.empty(x.shape, np.float32)
    _by_channels(_snake, x.shape[1], x, a, b, np.ascontiguousarray(k, np.float32), out)
    return out


def moments(x: np.ndarray, x_quantised: Quantised | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean and L2 norm over time of each channel of x [1, C, T] (float32, or uint8 with `x_quantised`), as
    [1, C, 1] float32: ONNX ReduceMean and ReduceL2 on the last axis, keepdims."""
    x = np.ascontiguousarray(x)
    scale, zero = x_quantised or (1.0, 0.0)
    total, squares = np.empty((1, x.shape[1], 1), np.float32), np.empty((1, x.shape[1], 1), np.float32)
    _by_channels(_moments, x.shape[1], x, np.float32(zero), total, squares)
    return (total * np.float32(scale / x.shape[2])), np.sqrt(squares) * np.float32(scale)


def _by_channels(kernel: Callable[..., None], channels: int, *arrays: np.ndarray) -> None:
    """kernel(*arrays, first, stop) on the cores at once, each over its share of the channels: the kernels hold
    no GIL."""
    parts = min(threads(), channels)
    bounds = [channels * i // parts for i in range(parts + 1)]
    others = [_pool().submit(kernel, *arrays, lo, hi) for lo, hi in zip(bounds[1:-1], bounds[2:], strict=True)]
    kernel(*arrays, bounds[0], bounds[1])
    for other in others:
        other.result()
