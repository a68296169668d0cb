# Adapted from hexgrad/kokoro (kokoro/modules.py, Apache-2.0), itself adapted from
# yl4579/StyleTTS2 (models.py, MIT). Trimmed to batch-1 inference: masks, packing and dropout are gone.
"""Text encoder, duration encoder and prosody (F0 / energy) predictor."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vocalis.acoustic.net.istftnet import AdainResBlk1d


class ChannelLayerNorm(nn.Module):
    """LayerNorm over the channel axis of a [B, C, T] tensor (StyleTTS2's `LayerNorm`)."""

    def __init__(self, channels: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.gamma = nn.Parameter(torch.ones(channels))
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.layer_norm(x.transpose(1, -1), self.gamma.shape, self.gamma, self.beta, self.eps)
        return x.transpose(1, -1)


class ConvBlock(nn.Sequential):
    """conv -> channel LayerNorm -> LeakyReLU; a Sequential so state-dict keys stay `cnn.i.0/1`."""

    def __init__(self, channels: int, kernel_size: int):
        super().__init__(
            nn.Conv1d(channels, channels, kernel_size, padding=(kernel_size - 1) // 2),
            ChannelLayerNorm(channels),
            nn.LeakyReLU(0.2),
        )


class TextEncoder(nn.Module):
    """Phoneme ids [1, N] -> acoustic text features [1, C, N] (the decoder's `asr` input)."""

    def __init__(self, channels: int, kernel_size: int, depth: int, n_symbols: int):
        super().__init__()
        self.embedding = nn.Embedding(n_symbols, channels)
        self.cnn = nn.ModuleList([ConvBlock(channels, kernel_size) for _ in range(depth)])
        self.lstm = nn.LSTM(channels, channels // 2, 1, batch_first=True, bidirectional=True)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.embedding(ids).transpose(1, 2)
        for block in self.cnn:
            x = block(x)
        x, _ = self.lstm(x.transpose(1, 2))
        return x.transpose(1, 2)


class AdaLayerNorm(nn.Module):
    """LayerNorm over the last axis, scaled and shifted by a style-conditioned affine."""

    def __init__(self, style_dim: int, channels: int, eps: float = 1e-5):
        super().__init__()
        self.channels = channels
        self.eps = eps
        self.fc = nn.Linear(style_dim, channels * 2)

    def forward(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.fc(s).unsqueeze(1).chunk(2, dim=-1)
        return (1 + gamma) * F.layer_norm(x, (self.channels,), eps=self.eps) + beta


class DurationEncoder(nn.Module):
    """BERT features [1, C, N] + style -> [1, N, C + style_dim] (style appended to every token)."""

    def __init__(self, sty_dim: int, d_model: int, nlayers: int):
        super().__init__()
        # Alternating LSTM / AdaLayerNorm in one list keeps Kokoro's `lstms.{i}` state-dict keys.
        self.lstms = nn.ModuleList()
        for _ in range(nlayers):
            self.lstms.append(nn.LSTM(d_model + sty_dim, d_model // 2, batch_first=True, bidirectional=True))
            self.lstms.append(AdaLayerNorm(sty_dim, d_model))

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        s = style.unsqueeze(1).expand(-1, x.shape[-1], -1)
        x = torch.cat([x.transpose(1, 2), s], dim=-1)
        for block in self.lstms:
            if isinstance(block, AdaLayerNorm):
                x = torch.cat([block(x, style), s], dim=-1)
            else:
                x, _ = block(x)
        return x


class ProsodyPredictor(nn.Module):
    def __init__(self, style_dim: int, d_hid: int, nlayers: int, max_dur: int):
        super().__init__()
        self.text_encoder = DurationEncoder(sty_dim=style_dim, d_model=d_hid, nlayers=nlayers)
        self.lstm = nn.LSTM(d_hid + style_dim, d_hid // 2, 1, batch_first=True, bidirectional=True)
        self.duration_proj = nn.Module()
        self.duration_proj.linear_layer = nn.Linear(d_hid, max_dur)
        self.shared = nn.LSTM(d_hid + style_dim, d_hid // 2, 1, batch_first=True, bidirectional=True)
        self.F0 = self._curve_blocks(d_hid, style_dim)
        self.N = self._curve_blocks(d_hid, style_dim)
        self.F0_proj = nn.Conv1d(d_hid // 2, 1, 1)
        self.N_proj = nn.Conv1d(d_hid // 2, 1, 1)

    @staticmethod
    def _curve_blocks(d_hid: int, style_dim: int) -> nn.ModuleList:
        return nn.ModuleList([
            AdainResBlk1d(d_hid, d_hid, style_dim),
            AdainResBlk1d(d_hid, d_hid // 2, style_dim, upsample=True),
            AdainResBlk1d(d_hid // 2, d_hid // 2, style_dim),
        ])

    def durations(self, d: torch.Tensor) -> torch.Tensor:
        """[1, N, C] -> per-token duration in frames: Kokoro sums max_dur sigmoid 'bins'."""
        x, _ = self.lstm(d)
        return torch.sigmoid(self.duration_proj.linear_layer(x)).sum(dim=-1)[0]

    def f0_energy(self, en: torch.Tensor, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Frame-aligned features [1, C, T] -> F0 (Hz) and energy curves, each [1, 2T]."""
        x, _ = self.shared(en.transpose(1, 2))
        f0 = n = x.transpose(1, 2)
        for block in self.F0:
            f0 = block(f0, s)
        for block in self.N:
            n = block(n, s)
        return self.F0_proj(f0).squeeze(1), self.N_proj(n).squeeze(1)
