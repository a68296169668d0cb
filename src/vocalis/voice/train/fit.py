"""Training the decoder adapter (and the timbre half of the style) by reconstruction: the decoder is fed
the recording's own alignment, F0 and energy, and its output is compared with the recording, one random
1.2 s window per step (one step takes ~1 s on 2 cores).

A speaker term (GE2E, as the instant clone is fitted; never the d-vector that judges voices) asks each window
to sound like the speaker's recordings as a whole. Reconstruction alone lets the timbre drift from where the
clone put it: on five speakers never seen in development the trained voice scored below its own start for 3 of
them, and with the term their mean normalised d-vector similarity rose from 0.71 to 0.79 (README, Training)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from vocalis.acoustic.assets import FRAME
from vocalis.voice.train.adapter import DecoderAdapter, Trainable
from vocalis.voice.train.corpus import Aligned
from vocalis.voice.train.losses import ReconstructionLoss
from vocalis.voice.train.options import DecoderFit

if TYPE_CHECKING:
    from vocalis.acoustic.stages import AcousticModel


class DecoderTrainer:
    """One optimiser over the adapter and the timbre; `state()` / `load_state()` make it resumable."""

    def __init__(self, model: AcousticModel, timbre: np.ndarray, config: DecoderFit, band_hz: float,
                 speaker: np.ndarray | None = None, seed: int = 0):
        """`band_hz`: the recordings' bandwidth (see `losses.bandwidth`). `speaker`: the recordings' GE2E
        embedding, the speaker term's target (None, or a zero `config.speaker_weight`: no speaker term)."""
        self.model, self.config = model, config
        self.speaker = None if speaker is None or not config.speaker_weight else torch.from_numpy(speaker).float()
        self.trainable = Trainable(copy.deepcopy(model.torch_decoder), config.parts, config.rank)
        self.timbre = torch.tensor(timbre, dtype=torch.float32, requires_grad=config.train_timbre)
        groups = [{"params": self.trainable.parameters(), "lr": config.lr}]
        if config.train_timbre:
            groups.append({"params": [self.timbre], "lr": config.timbre_lr})
        self.optimiser = torch.optim.Adam(groups)
        self.loss = ReconstructionLoss(band_hz)
        self.rng = np.random.default_rng(seed)
        self.steps_done = 0

    def step(self, train: Sequence[Aligned]) -> float:
        utt = train[int(self.rng.integers(len(train)))]
        loss = self._window_loss(utt, self.rng)
        self.optimiser.zero_grad()
        loss.backward()
        self.optimiser.step()
        self.steps_done += 1
        return loss.item()

    def held_out_loss(self, held_out: Sequence[Aligned], windows: int = 3) -> float:
        """Mean reconstruction loss on fixed windows of the held-out utterances (the same windows every time)."""
        rng = np.random.default_rng(1234)
        with torch.no_grad():
            losses = [self._window_loss(u, rng).item() for u in held_out for _ in range(windows)]
        return float(np.mean(losses))

    def _window_loss(self, utt: Aligned, rng: np.random.Generator) -> torch.Tensor:
        from vocalis.acoustic.stages import Prosody

        window = self.config.window
        enc = self.model.encode(utt.ids, np.zeros(256, np.float32))  # the decoder's input needs no style
        start = int(rng.integers(0, max(utt.frames - window, 0) + 1))
        frames = slice(start, min(start + window, utt.frames))
        asr, f0, energy, source = self.model._decoder_inputs(enc, Prosody(utt.durations, utt.f0, utt.energy), frames)
        out = self.trainable.decoder(asr, f0, energy, self.timbre[None], source).reshape(-1)
        target = torch.from_numpy(utt.samples[frames.start * FRAME:frames.stop * FRAME])
        loss = self.loss(out, target)
        if self.speaker is not None:
            from vocalis.voice.speaker import ge2e_loss

            loss = loss + self.config.speaker_weight * ge2e_loss()(out, self.speaker)
        return loss

    def adapter(self) -> DecoderAdapter:
        return self.trainable.adapter()

    def state(self) -> dict:
        return {"adapter": self.adapter().tensors, "timbre": self.timbre.detach().clone(),
                "optimiser": self.optimiser.state_dict(), "rng": self.rng.bit_generator.state,
                "steps_done": self.steps_done}

    def load_state(self, state: dict) -> None:
        self.trainable.load(DecoderAdapter(state["adapter"]))
        with torch.no_grad():
            self.timbre.copy_(state["timbre"])
        self.optimiser.load_state_dict(state["optimiser"])
        self.rng.bit_generator.state = state["rng"]
        self.steps_done = state["steps_done"]
