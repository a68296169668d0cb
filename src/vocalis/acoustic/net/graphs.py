"""The stages before the decoder as modules to export to ONNX (see `acoustic.onnx_front`): each forward is what
`stages.AcousticModel` runs for that stage, in one graph."""

from __future__ import annotations

import torch
from torch import nn

from vocalis.acoustic.net.model import KokoroNet


class EncodeGraph(nn.Module):
    """ids [1, n] (with the pads), style [1, 256] -> duration features [1, n, 640], text features [1, 512, n],
    durations [n] (frames, unrounded, speed 1)."""

    def __init__(self, net: KokoroNet):
        super().__init__()
        self.net = net

    def forward(self, ids: torch.Tensor, style: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        net = self.net
        d = net.predictor.text_encoder(net.bert_encoder(net.bert(ids)).transpose(1, 2), style[:, 128:])
        return d, net.text_encoder(ids), net.predictor.durations(d)


class ProsodyGraph(nn.Module):
    """Frame-aligned duration features [1, 640, T], the style's prosody half [1, 128] -> F0, energy [1, 2T]."""

    def __init__(self, net: KokoroNet):
        super().__init__()
        self.net = net

    def forward(self, features: torch.Tensor, style: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.net.predictor.f0_energy(features, style)
