"""Audio as plain data: mono float32 samples plus a sample rate; load, resample, save."""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np

from vocalis.errors import VocalisError

# extension -> (libsndfile format, subtype) of plain files (recordings)
FORMATS: dict[str, tuple[str, str]] = {
    ".wav": ("WAV", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
    ".ogg": ("OGG", "VORBIS"),
}


@dataclass(frozen=True)
class Audio:
    samples: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate

    @classmethod
    def concat(cls, parts: list[Audio]) -> Audio:
        if not parts:
            raise ValueError("nothing to concatenate")
        rate = parts[0].sample_rate
        if any(p.sample_rate != rate for p in parts):
            raise ValueError("cannot concatenate audio of different sample rates")
        return cls(np.concatenate([p.samples for p in parts]).astype(np.float32), rate)

    def resample(self, sample_rate: int) -> Audio:
        if sample_rate == self.sample_rate:
            return self
        from scipy.signal import resample_poly

        g = gcd(sample_rate, self.sample_rate)
        out = resample_poly(self.samples, sample_rate // g, self.sample_rate // g)
        return Audio(out.astype(np.float32), sample_rate)

    @classmethod
    def load(cls, path: str | Path) -> Audio:
        """Any common format, mixed down to mono. libsndfile reads wav, flac, mp3 and ogg; what it can't
        (m4a/aac, opus, webm: what phones and browsers record) is decoded by the FFmpeg inside PyAV."""
        import soundfile as sf

        if not Path(path).is_file():
            raise VocalisError(f"cannot read audio file {path}: no such file")
        try:
            data, rate = sf.read(str(path), dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError):
            return cls._load_ffmpeg(path)
        return cls(data.mean(axis=1).astype(np.float32), int(rate))

    @classmethod
    def _load_ffmpeg(cls, path: str | Path) -> Audio:
        """Decode the first audio track with PyAV; channels are averaged, as in the libsndfile path."""
        import av

        try:
            with av.open(str(path)) as container:
                if not container.streams.audio:
                    raise VocalisError(f"cannot read audio file {path}: it has no audio track")
                stream = container.streams.audio[0]
                # planar float at the stream's rate, whatever the codec's own sample format
                resampler = av.AudioResampler(format="fltp", rate=stream.rate)
                chunks = [
                    out.to_ndarray().mean(axis=0)
                    for frame in container.decode(stream)
                    for out in resampler.resample(frame)
                ]
                chunks += [out.to_ndarray().mean(axis=0) for out in resampler.resample(None)]
                rate = stream.rate
        except av.FFmpegError as e:
            reason = getattr(e, "strerror", None) or "not an audio file this build can decode"
            raise VocalisError(f"cannot read audio file {path}: {reason}") from None
        samples = np.concatenate(chunks) if chunks else np.zeros(0)
        return cls(samples.astype(np.float32), int(rate))

    def save(self, path: str | Path) -> Path:
        """Write a plain, unsigned file by extension (.wav .flac .mp3 .ogg): recordings, not outputs (the
        service layer writes outputs, marked and signed)."""
        import soundfile as sf

        path = Path(path)
        if path.suffix.lower() not in FORMATS:
            raise VocalisError(f"unsupported audio format {path.suffix!r}: use one of {', '.join(FORMATS)}")
        container, subtype = FORMATS[path.suffix.lower()]
        sf.write(str(path), file_samples(self.samples, subtype), self.sample_rate, format=container, subtype=subtype)
        return path


def to_pcm16(samples: np.ndarray) -> np.ndarray:
    """16-bit little-endian samples, clipped to full scale: raw PCM, and what players are handed."""
    return (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")


def file_samples(samples: np.ndarray, subtype: str) -> np.ndarray:
    """What a file of this libsndfile subtype is given: 16-bit files the very samples an audit record hashes
    (`to_pcm16`), so a lossless file matches its record exactly; other formats float, clipped to full scale."""
    return to_pcm16(samples) if subtype == "PCM_16" else np.clip(samples, -1.0, 1.0)


def stft(samples: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Centred STFT as torch computes it (reflect padding, periodic Hann window): [frames, n_fft // 2 + 1],
    complex64."""
    padded = np.pad(np.asarray(samples, np.float32), n_fft // 2, mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop]
    return np.fft.rfft(frames * _hann(n_fft), axis=1).astype(np.complex64)


def istft(spectrum: np.ndarray, n_fft: int, hop: int, length: int | None = None) -> np.ndarray:
    """The inverse of `stft` (overlap-add, divided by the summed squared window): `length` samples, zero-padded
    or cut, or without it the whole frames' span, as torch's `istft` gives it."""
    window = _hann(n_fft)
    frames = np.fft.irfft(spectrum, n=n_fft, axis=1) * window
    total = n_fft + hop * (len(frames) - 1)
    out, norm = np.zeros(total), np.zeros(total)
    for i, frame in enumerate(frames):
        out[i * hop:i * hop + n_fft] += frame
        norm[i * hop:i * hop + n_fft] += window**2
    out = out[n_fft // 2:] / np.maximum(norm[n_fft // 2:], 1e-11)
    if length is None:
        return out[: total - 2 * (n_fft // 2)]
    return np.pad(out, (0, max(length - len(out), 0)))[:length].astype(np.float32)


def _hann(n: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)).astype(np.float32)  # periodic, as torch's
