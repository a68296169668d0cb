"""The prosody half of the style (the predictors' 128 numbers), fitted to the speaker's own pace and pitch
movement: the duration predictor against the aligned durations, the F0 and energy predictor against the
recording's curves. Cheap (no decoder in the loop) and free at synthesis: it is part of the style."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from vocalis.voice.train.corpus import Aligned
from vocalis.voice.voice import PROSODY

if TYPE_CHECKING:
    from vocalis.acoustic.stages import AcousticModel

STEPS = 60
LR = 0.02
REGULARISER = 0.05  # squared distance from the start, per dimension: the packs' prosody stays readable


def fit_prosody(model: AcousticModel, utts: Sequence[Aligned], style: np.ndarray, steps: int = STEPS,
                seed: int = 0) -> tuple[np.ndarray, float]:
    """The style with its prosody half fitted, and the mean loss of the last pass."""
    start = torch.from_numpy(style[PROSODY].astype(np.float32))
    prosody = start.clone().requires_grad_(True)
    timbre = torch.from_numpy(style[:128].astype(np.float32))
    optimiser = torch.optim.Adam([prosody], lr=LR)
    rng = np.random.default_rng(seed)
    losses: list[float] = []
    for _ in range(steps):
        utt = utts[int(rng.integers(len(utts)))]
        loss = _loss(model, utt, torch.cat([timbre, prosody])) + REGULARISER * ((prosody - start) ** 2).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    out = style.copy()
    out[PROSODY] = prosody.detach().numpy()
    return out, float(np.mean(losses[-len(utts):]))


def _loss(model: AcousticModel, utt: Aligned, style: torch.Tensor) -> torch.Tensor:
    """Log-duration L1 over the tokens between the pads, log-F0 L1 over frames voiced in the recording,
    and energy L1."""
    enc = model.encode(utt.ids, style)
    predicted = model.net.predictor.durations(enc.prosody_features)[1:-1]
    target = torch.from_numpy(utt.durations[1:-1].astype(np.float32))
    durations = (predicted.clamp(min=0.5).log() - target.log()).abs().mean()
    f0, energy = model._prosody_tensors(enc, utt.durations)
    real_f0, real_energy = torch.from_numpy(utt.f0), torch.from_numpy(utt.energy)
    voiced = real_f0 > 0
    pitch = (f0[0][voiced].clamp(min=20).log() - real_f0[voiced].log()).abs().mean() if voiced.any() else 0.0
    level = (energy[0] - real_energy).abs().mean() / 4  # energy moves in ~4x wider units than log-F0
    return durations + pitch + level
