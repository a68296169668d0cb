"""onnxruntime sessions as every acoustic graph runs them (the decoder and the front), without torch: a render
loads onnxruntime and numpy only."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import numpy as np
import onnxruntime as ort


def threads() -> int:
    """Intra-op threads: the cores this process may use (torch's default, so both paths agree)."""
    return max(1, len(os.sched_getaffinity(0)))


def session(path: Path, shared_arena: bool = False) -> ort.InferenceSession:
    """A session of the model at `path`. The first one also saves the graph onnxruntime optimised beside it
    (`.opt.onnx`, for this machine): later processes load that without optimising again, a third of a second
    less of every cold start. An unreadable optimised file is rebuilt. `shared_arena`: allocate from the one
    arena of the sessions that ask for it (see `_share_arena`), and run without SHRINK."""
    optimised = path.with_suffix(".opt.onnx")
    if optimised.exists():
        try:
            return ort.InferenceSession(str(optimised), _options(ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
                                                                 shared_arena), providers=["CPUExecutionProvider"])
        except Exception:  # noqa: BLE001 - ORT's load errors share no narrower base
            optimised.unlink(missing_ok=True)
    options = _options(ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED, shared_arena)
    tmp = optimised.with_suffix(f".{os.getpid()}.tmp")
    options.optimized_model_filepath = str(tmp)
    built = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    if tmp.exists():
        tmp.replace(optimised)  # atomic: a concurrent or interrupted build never leaves a torn file behind
    return built


@cache
def _share_arena() -> None:
    """One arena for the sessions that run one after another on one input (the decoder's stages): each stage's
    outputs are freed into it while later stages run, and reused. With an arena per session, each kept what its
    outputs had held until its next run (1.9 GB for a 10 s segment); without one, glibc kept freed blocks
    fragmented. Chunks grow by powers of two: fewer misfits than sized to each request (0.6 GB against 1.0 GB
    at the peak of `bench/synthesis.py`'s paragraphs). The arena keeps its peak for the process's life."""
    memory = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
    ort.create_and_register_allocator(memory, ort.OrtArenaCfg(0, _POWERS_OF_TWO, -1, -1))


_POWERS_OF_TWO = 0  # OrtArenaCfg's arena_extend_strategy kNextPowerOfTwo


def _options(level: ort.GraphOptimizationLevel, shared_arena: bool = False) -> ort.SessionOptions:
    options = ort.SessionOptions()
    if shared_arena:
        _share_arena()
        options.add_session_config_entry("session.use_env_allocators", "1")
    options.intra_op_num_threads = threads()
    options.inter_op_num_threads = 1
    # EXTENDED, not ALL: ALL adds the NHWC layout pass for QLinearConv, whose transposes turn every
    # AdaIN time-reduction into a strided channel-last one (measured slower overall).
    options.graph_optimization_level = level
    # Activations scale with utterance length (hundreds of MB for a long segment). ORT's arena reuses
    # them within a run and `SHRINK` hands them back after it. Without the arena, glibc keeps the
    # freed blocks, fragmented: a 10 s segment then peaked 2.4 GB above the model instead of 0.2 GB.
    # Shapes change with every call, so no memory pattern is planned.
    options.enable_mem_pattern = False
    # Idle pool threads sleep instead of spinning: the element-wise ops between convolutions are mostly
    # single-threaded, and a spinning thread steals the core they (or a concurrent process) need.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


SHRINK = ort.RunOptions()
SHRINK.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")


def run(session_: ort.InferenceSession, feeds: dict[str, np.ndarray], shrink: bool = True) -> list[np.ndarray]:
    return session_.run(None, {k: np.ascontiguousarray(v, dtype=v.dtype) for k, v in feeds.items()},
                        SHRINK if shrink else None)
