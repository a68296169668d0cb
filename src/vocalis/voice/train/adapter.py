"""The decoder adapter: what few-shot training changes in Kokoro's decoder, as plain tensors.

Two kinds of change, both merged into the decoder's own weights before inference (so a trained voice
renders at a built-in voice's speed):
* `bias`: every AdaIN layer's style projection gets its own bias offset, i.e. a free per-channel gain
  and shift in every block: the decoder's whole speaker-conditioning path, beyond what any 128-d style
  reaches (37 k numbers);
* `lora`: low-rank updates (rank `rank`) of the convolutions in the vocoder's residual blocks, which
  shape the spectrum the voice is made of (221 k numbers at rank 4).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils import parametrize

from vocalis.acoustic.net.istftnet import AdaIN1d, Decoder

PARTS = ("bias", "lora")


@dataclass
class DecoderAdapter:
    """Deltas keyed by decoder state-dict keys: '<key>' is added to that tensor, '<key>.lora_a' and
    '<key>.lora_b' give a low-rank delta (b @ a, reshaped to the weight)."""

    tensors: dict[str, torch.Tensor]


class _LoRA(nn.Module):
    """weight + b @ a, b starting at zero (the adapted conv starts as the base one)."""

    def __init__(self, weight: torch.Tensor, rank: int):
        super().__init__()
        out_ch, fan_in = weight.shape[0], weight[0].numel()
        self.a = nn.Parameter(torch.randn(rank, fan_in) / fan_in**0.5)
        self.b = nn.Parameter(torch.zeros(out_ch, rank))

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight + (self.b @ self.a).reshape(weight.shape)


class Trainable:
    """A copy of the decoder with the adapter's parameters attached (the base weights frozen)."""

    def __init__(self, decoder: Decoder, parts: tuple[str, ...], rank: int = 4):
        unknown = set(parts) - set(PARTS)
        if unknown:
            raise ValueError(f"unknown adapter parts {sorted(unknown)}: use {', '.join(PARTS)}")
        self.decoder = decoder
        decoder.requires_grad_(False)
        self._base_bias: dict[str, torch.Tensor] = {}
        self._lora: dict[str, _LoRA] = {}
        for name, module in decoder.named_modules():
            if "bias" in parts and isinstance(module, AdaIN1d):
                self._base_bias[f"{name}.fc.bias"] = module.fc.bias.detach().clone()
                module.fc.bias.requires_grad_(True)
            if "lora" in parts and isinstance(module, nn.Conv1d) and ".resblocks." in f".{name}" \
                    and module.weight.shape[1] > 1:
                lora = _LoRA(module.weight, rank)
                parametrize.register_parametrization(module, "weight", lora)
                self._lora[f"{name}.weight"] = lora

    def parameters(self) -> list[nn.Parameter]:
        """The trainable ones: the AdaIN biases and the LoRA factors (registered inside the decoder)."""
        return [p for p in self.decoder.parameters() if p.requires_grad]

    def adapter(self) -> DecoderAdapter:
        state = dict(self.decoder.named_parameters())
        tensors = {key: (state[key] - base).detach().clone() for key, base in self._base_bias.items()}
        for key, lora in self._lora.items():
            tensors[f"{key}.lora_a"] = lora.a.detach().clone()
            tensors[f"{key}.lora_b"] = lora.b.detach().clone()
        return DecoderAdapter(tensors)

    def load(self, adapter: DecoderAdapter) -> None:
        """Resume from a saved adapter of the same parts."""
        state = dict(self.decoder.named_parameters())
        with torch.no_grad():
            for key, base in self._base_bias.items():
                state[key].copy_(base + adapter.tensors[key])
            for key, lora in self._lora.items():
                lora.a.copy_(adapter.tensors[f"{key}.lora_a"])
                lora.b.copy_(adapter.tensors[f"{key}.lora_b"])

