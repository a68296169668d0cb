# Adapted from hexgrad/kokoro (kokoro/istftnet.py and kokoro/custom_stft.py, Apache-2.0), itself adapted
# from yl4579/StyleTTS2 (Modules/istftnet.py, MIT). Trimmed to inference; weight norm removed (weights
# arrive fused); the harmonic source takes its noise as an argument so that runs are reproducible and the
# decoder exports to ONNX without random ops; the STFT pair is conv-based (exportable, differentiable).
"""iSTFTNet decoder: AdaIN residual blocks, harmonic-plus-noise source, and the iSTFT vocoder head."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class AdaIN1d(nn.Module):
    """Instance norm over time, then a style-conditioned affine.

    Kokoro's InstanceNorm1d(affine=True) carries an identity affine (the int8 ONNX folded it away), so
    it is not a parameter here. The normalisation is written out and folded into one scale and shift per
    channel: one pass over the (large) activations instead of several, and it exports to ONNX with a
    dynamic channel count (the InstanceNorm exporter can't)."""

    def __init__(self, style_dim: int, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.fc = nn.Linear(style_dim, num_features * 2)

    def forward(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        scale, shift = self.affine(x, s)
        return x * scale + shift

    def affine(self, x: torch.Tensor, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-channel scale and shift [B, C, 1] equal to normalising `x` then applying the style.

        The variance is E[x^2] - E[x]^2 from two reductions (ONNX ReduceMean and ReduceL2) that read
        `x` without writing a tensor of its size; var_mean materialises x - mean first."""
        gamma, beta = self.fc(s).unsqueeze(-1).chunk(2, dim=1)
        mean = x.mean(dim=-1, keepdim=True)
        mean_sq = torch.linalg.vector_norm(x, dim=-1, keepdim=True) ** 2 / x.shape[-1]
        scale = (1 + gamma) * torch.rsqrt((mean_sq - mean**2).clamp(min=0) + self.eps)
        return scale, beta - mean * scale


def _padding(kernel_size: int, dilation: int = 1) -> int:
    return (kernel_size * dilation - dilation) // 2


def _adain_snake(x: torch.Tensor, s: torch.Tensor, norm: AdaIN1d, alpha: torch.Tensor) -> torch.Tensor:
    """snake(norm(x, s)) with Snake(y) = y + sin(a y)^2 / a, written as (z + 1 - cos z) / 2a with
    z = 2a y: the AdaIN affine and the 2a fold into one scale and shift, so the activation takes six
    passes over the (large) tensor instead of nine; these element-wise passes, not the int8
    convolutions, dominate the decoder's time."""
    scale, shift = norm.affine(x, s)
    z = x * (2 * alpha * scale) + 2 * alpha * shift
    return (z + 1 - torch.cos(z)) * (0.5 / alpha)


class AdaINResBlock1(nn.Module):
    """HiFi-GAN ResBlock1 with AdaIN and Snake activations."""

    def __init__(self, channels: int, kernel_size: int, dilation: tuple[int, ...], style_dim: int):
        super().__init__()
        self.convs1 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, dilation=d, padding=_padding(kernel_size, d))
            for d in dilation
        )
        self.convs2 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, padding=_padding(kernel_size)) for _ in dilation
        )
        self.adain1 = nn.ModuleList(AdaIN1d(style_dim, channels) for _ in dilation)
        self.adain2 = nn.ModuleList(AdaIN1d(style_dim, channels) for _ in dilation)
        self.alpha1 = nn.ParameterList(nn.Parameter(torch.ones(1, channels, 1)) for _ in dilation)
        self.alpha2 = nn.ParameterList(nn.Parameter(torch.ones(1, channels, 1)) for _ in dilation)

    def forward(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        for c1, c2, n1, n2, a1, a2 in zip(
            self.convs1, self.convs2, self.adain1, self.adain2, self.alpha1, self.alpha2, strict=True
        ):
            xt = c1(_adain_snake(x, s, n1, a1))
            xt = c2(_adain_snake(xt, s, n2, a2))
            x = xt + x
        return x


class STFT(nn.Module):
    """Centred (reflect-padded) Hann STFT / iSTFT as strided convolutions.

    Matches torch.stft/torch.istft, but exports to plain ONNX Conv/ConvTranspose and has no complex ops.
    """

    def __init__(self, n_fft: int, hop: int):
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        window = torch.hann_window(n_fft, periodic=True, dtype=torch.float64)
        n = torch.arange(n_fft, dtype=torch.float64)
        k = torch.arange(n_fft // 2 + 1, dtype=torch.float64)
        angle = 2 * math.pi * k[:, None] * n[None, :] / n_fft
        forward = torch.cat([torch.cos(angle), -torch.sin(angle)]) * window
        # A real inverse DFT counts each bin between DC and Nyquist twice (its mirror image).
        twice = torch.full_like(k, 2.0)
        twice[0] = twice[-1] = 1.0
        scale = twice[:, None] / n_fft
        inverse = torch.cat([torch.cos(angle) * scale, -torch.sin(angle) * scale]) * window
        self.register_buffer("forward_basis", forward.float().unsqueeze(1), persistent=False)
        self.register_buffer("inverse_basis", inverse.float().unsqueeze(1), persistent=False)
        self.register_buffer("window_sq", (window**2).float().view(1, 1, -1), persistent=False)

    def transform(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """[B, L] -> magnitude, phase, each [B, n_fft/2+1, L/hop + 1]."""
        x = F.pad(x.unsqueeze(1), (self.n_fft // 2, self.n_fft // 2), mode="reflect")
        re, im = F.conv1d(x, self.forward_basis, stride=self.hop).chunk(2, dim=1)
        phase = torch.atan2(im, re)
        # atan2(-0.0, x<0) is -pi; torch.stft's complex angle gives +pi there.
        phase = torch.where((im == 0) & (re < 0), torch.full_like(phase, math.pi), phase)
        return torch.sqrt(re**2 + im**2), phase

    def inverse(self, magnitude: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
        """magnitude, phase [B, n_fft/2+1, F] -> [B, 1, hop * (F - 1)] (torch.istft, center=True)."""
        spec = torch.cat([magnitude * torch.cos(phase), magnitude * torch.sin(phase)], dim=1)
        y = F.conv_transpose1d(spec, self.inverse_basis, stride=self.hop)
        ones = torch.ones_like(magnitude[:, :1])
        envelope = F.conv_transpose1d(ones, self.window_sq, stride=self.hop)
        half = self.n_fft // 2
        # Trim before dividing: the envelope is zero at the outermost samples, and dividing there would
        # send NaN gradients (0 * inf) back through the trimmed-away samples.
        return y[..., half:-half] / envelope[..., half:-half]


class SourceModuleHnNSF(nn.Module):
    """Harmonic-plus-noise excitation from a frame-rate F0 curve (neural source filter).

    Kokoro's SineGen upsamples F0 to samples, then linearly resamples the phase increments back to frame
    rate before integrating; the increments are piecewise constant per frame, so integrating at frame
    rate directly is the same computation (its random initial phase landed on a sample that the
    resampling never reads, so it had no effect and is dropped).
    """

    def __init__(self, sampling_rate: int, upsample_scale: int, harmonic_num: int = 8,
                 sine_amp: float = 0.1, noise_std: float = 0.003, voiced_threshold: float = 10):
        super().__init__()
        self.sampling_rate = sampling_rate
        self.upsample_scale = upsample_scale
        self.harmonics = harmonic_num + 1
        self.sine_amp, self.noise_std, self.voiced_threshold = sine_amp, noise_std, voiced_threshold
        self.l_linear = nn.Linear(self.harmonics, 1)

    def forward(self, f0: torch.Tensor, noise: torch.Tensor, steps: slice | None = None) -> torch.Tensor:
        """f0 [B, F] Hz at frame rate, noise [B, F * upsample_scale, harmonics] ~ N(0, 1) -> [B, L].

        `steps`: only the samples of these F0 steps, exactly as in the whole (the phase is integrated
        from the start at frame rate, which is cheap; the per-sample work is done for the window only),
        so that pieces of a segment decoded apart stay phase-coherent where they overlap. `noise` then
        covers at least the window's samples from the start."""
        a, b, _ = (steps or slice(None)).indices(f0.shape[1])
        u = self.upsample_scale
        harmonics = torch.arange(1, self.harmonics + 1, dtype=f0.dtype, device=f0.device)
        rad = (f0.unsqueeze(-1) * harmonics / self.sampling_rate) % 1
        # One step of margin each side: linear interpolation reads a neighbour, clamped at the true ends.
        lo, hi = max(a - 1, 0), min(b + 1, f0.shape[1])
        phase = torch.cumsum(rad, dim=1)[:, lo:hi] * 2 * math.pi
        phase = F.interpolate(phase.transpose(1, 2) * u, scale_factor=float(u), mode="linear").transpose(1, 2)
        phase = phase[:, (a - lo) * u:(b - lo) * u]
        uv = (f0[:, a:b] > self.voiced_threshold).to(f0.dtype).repeat_interleave(u, dim=1).unsqueeze(-1)
        noise_amp = uv * self.noise_std + (1 - uv) * self.sine_amp / 3
        sines = torch.sin(phase) * self.sine_amp * uv + noise_amp * noise[:, a * u:b * u]
        return torch.tanh(self.l_linear(sines)).squeeze(-1)


class Generator(nn.Module):
    def __init__(self, style_dim: int, resblock_kernel_sizes: list[int], upsample_rates: list[int],
                 upsample_initial_channel: int, resblock_dilation_sizes: list[list[int]],
                 upsample_kernel_sizes: list[int], gen_istft_n_fft: int, gen_istft_hop_size: int):
        super().__init__()
        self.num_kernels = len(resblock_kernel_sizes)
        self.num_upsamples = len(upsample_rates)
        self.noise_convs = nn.ModuleList()
        self.noise_res = nn.ModuleList()
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        for i, (u, k) in enumerate(zip(upsample_rates, upsample_kernel_sizes, strict=True)):
            ch = upsample_initial_channel // (2 ** (i + 1))
            self.ups.append(nn.ConvTranspose1d(2 * ch, ch, k, u, padding=(k - u) // 2))
            for k_res, d in zip(resblock_kernel_sizes, resblock_dilation_sizes, strict=True):
                self.resblocks.append(AdaINResBlock1(ch, k_res, tuple(d), style_dim))
            if i + 1 < len(upsample_rates):
                stride = math.prod(upsample_rates[i + 1:])
                self.noise_convs.append(nn.Conv1d(gen_istft_n_fft + 2, ch, kernel_size=stride * 2,
                                                  stride=stride, padding=(stride + 1) // 2))
                self.noise_res.append(AdaINResBlock1(ch, 7, (1, 3, 5), style_dim))
            else:
                self.noise_convs.append(nn.Conv1d(gen_istft_n_fft + 2, ch, kernel_size=1))
                self.noise_res.append(AdaINResBlock1(ch, 11, (1, 3, 5), style_dim))
        self.post_n_fft = gen_istft_n_fft
        self.conv_post = nn.Conv1d(ch, self.post_n_fft + 2, 7, 1, padding=3)
        self.stft = STFT(gen_istft_n_fft, gen_istft_hop_size)

    def forward(self, x: torch.Tensor, s: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
        """`source`: the excitation [B, L] from SourceModuleHnNSF (a fixed function of F0, no gradient)."""
        with torch.no_grad():
            har = torch.cat(self.stft.transform(source), dim=1)
        for i in range(self.num_upsamples):
            x = F.leaky_relu(x, negative_slope=0.1)
            x_source = self.noise_res[i](self.noise_convs[i](har), s)
            x = self.ups[i](x)
            if i == self.num_upsamples - 1:
                x = F.pad(x, (1, 0), mode="reflect")
            x = x + x_source
            blocks = self.resblocks[i * self.num_kernels:(i + 1) * self.num_kernels]
            x = sum(block(x, s) for block in blocks) / self.num_kernels
        x = self.conv_post(F.leaky_relu(x))
        spec = torch.exp(x[:, :self.post_n_fft // 2 + 1])
        phase = torch.sin(x[:, self.post_n_fft // 2 + 1:])
        return self.stft.inverse(spec, phase)


class AdainResBlk1d(nn.Module):
    def __init__(self, dim_in: int, dim_out: int, style_dim: int = 64, upsample: bool = False):
        super().__init__()
        self.upsample = upsample
        self.learned_sc = dim_in != dim_out
        self.conv1 = nn.Conv1d(dim_in, dim_out, 3, 1, 1)
        self.conv2 = nn.Conv1d(dim_out, dim_out, 3, 1, 1)
        self.norm1 = AdaIN1d(style_dim, dim_in)
        self.norm2 = AdaIN1d(style_dim, dim_out)
        if self.learned_sc:
            self.conv1x1 = nn.Conv1d(dim_in, dim_out, 1, 1, 0, bias=False)
        self.pool = (
            nn.ConvTranspose1d(dim_in, dim_in, kernel_size=3, stride=2, groups=dim_in, padding=1,
                               output_padding=1)
            if upsample else nn.Identity()
        )

    def _shortcut(self, x: torch.Tensor) -> torch.Tensor:
        if self.upsample:
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        return self.conv1x1(x) if self.learned_sc else x

    def _residual(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        x = self.pool(F.leaky_relu(self.norm1(x, s), 0.2))
        x = self.conv1(x)
        return self.conv2(F.leaky_relu(self.norm2(x, s), 0.2))

    def forward(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        return (self._residual(x, s) + self._shortcut(x)) * (1 / math.sqrt(2))


class Decoder(nn.Module):
    def __init__(self, dim_in: int, style_dim: int, **istftnet: object):
        super().__init__()
        self.encode = AdainResBlk1d(dim_in + 2, 1024, style_dim)
        self.decode = nn.ModuleList([
            AdainResBlk1d(1024 + 2 + 64, 1024, style_dim),
            AdainResBlk1d(1024 + 2 + 64, 1024, style_dim),
            AdainResBlk1d(1024 + 2 + 64, 1024, style_dim),
            AdainResBlk1d(1024 + 2 + 64, 512, style_dim, upsample=True),
        ])
        self.F0_conv = nn.Conv1d(1, 1, kernel_size=3, stride=2, groups=1, padding=1)
        self.N_conv = nn.Conv1d(1, 1, kernel_size=3, stride=2, groups=1, padding=1)
        self.asr_res = nn.Sequential(nn.Conv1d(512, 64, kernel_size=1))
        self.generator = Generator(style_dim, **istftnet)  # type: ignore[arg-type]

    def forward(self, asr: torch.Tensor, f0_curve: torch.Tensor, n: torch.Tensor, s: torch.Tensor,
                source: torch.Tensor) -> torch.Tensor:
        """asr [1, C, T], F0/energy [1, 2T], style [1, 128], excitation [1, 600T] -> audio [1, 1, 600T]."""
        f0 = self.F0_conv(f0_curve.unsqueeze(1))
        n = self.N_conv(n.unsqueeze(1))
        x = self.encode(torch.cat([asr, f0, n], dim=1), s)
        asr_res = self.asr_res(asr)
        for block in self.decode:
            # Every decode block sees the text, F0 and energy features again.
            x = block(torch.cat([x, asr_res, f0, n], dim=1), s)
        return self.generator(x, s, source)
