"""Audio to the bytes of an output format: whole, chunk by chunk for streaming, or chunk by chunk into a file
(the one file writer of every surface)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np

from vocalis.audio import Audio, file_samples, to_pcm16
from vocalis.errors import VocalisError
from vocalis.service.request import FORMATS

# pcm is raw 16-bit little-endian mono, as OpenAI sends it.
MEDIA_TYPES = {"wav": "audio/wav", "flac": "audio/flac", "mp3": "audio/mpeg", "ogg": "audio/ogg",
               "opus": "audio/ogg", "aac": "audio/aac", "pcm": "audio/pcm"}
_SOUNDFILE = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "mp3": ("MP3", "MPEG_LAYER_III"),
              "ogg": ("OGG", "VORBIS")}
_FFMPEG = {"opus": ("libopus", "ogg"), "aac": ("aac", "adts")}  # codec, container (through PyAV)


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise VocalisError(f"format {fmt!r} is not supported: use {', '.join(FORMATS)}")
    return fmt


def pcm16(samples: np.ndarray) -> bytes:
    return to_pcm16(samples).tobytes()


def encode(audio: Audio, fmt: str) -> bytes:
    """The whole audio in `fmt`, in memory (the same encoders a file or a stream gets)."""
    buffer = io.BytesIO()
    encoder = _encoder(buffer, check_format(fmt), audio.sample_rate)
    encoder.write(audio.samples)
    encoder.close()
    return buffer.getvalue()


def _encoder(target: Path | BinaryIO, fmt: str, sample_rate: int) -> _AvEncoder | _SoundFileEncoder | _PcmEncoder:
    if fmt in _FFMPEG:
        return _AvEncoder(str(target) if isinstance(target, Path) else target, *_FFMPEG[fmt], sample_rate)
    if fmt in _SOUNDFILE:
        return _SoundFileEncoder(target, fmt, sample_rate)
    return _PcmEncoder(target)


class _AvEncoder:
    """A codec in a container through PyAV, fed chunk by chunk."""

    def __init__(self, target: str | BinaryIO, codec: str, container: str, sample_rate: int):
        import av

        self._out = av.open(target, "w", format=container)
        self._stream = self._out.add_stream(codec, rate=sample_rate)
        self._stream.layout = "mono"
        self._sample_rate = sample_rate
        self._frames = 0

    def write(self, samples: np.ndarray) -> None:
        import av

        frame = av.AudioFrame.from_ndarray(to_pcm16(samples)[None], format="s16", layout="mono")
        frame.sample_rate = self._sample_rate
        frame.pts = self._frames  # chunks follow each other: each starts where the last ended
        self._frames += len(samples)
        for packet in self._stream.encode(frame):
            self._out.mux(packet)

    def close(self) -> None:
        for packet in self._stream.encode(None):  # None flushes the encoder
            self._out.mux(packet)
        self._out.close()


class _SoundFileEncoder:
    def __init__(self, target: Path | BinaryIO, fmt: str, sample_rate: int):
        import soundfile as sf

        container, subtype = _SOUNDFILE[fmt]
        self._file = sf.SoundFile(str(target) if isinstance(target, Path) else target, "w", samplerate=sample_rate,
                                  channels=1, format=container, subtype=subtype)

    def write(self, samples: np.ndarray) -> None:
        self._file.write(file_samples(samples, self._file.subtype))

    def close(self) -> None:
        self._file.close()


class _PcmEncoder:
    def __init__(self, target: Path | BinaryIO):
        self._owned = isinstance(target, Path)  # a file opened here is closed here; a caller's buffer is not
        self._file = target.open("wb") if isinstance(target, Path) else target

    def write(self, samples: np.ndarray) -> None:
        self._file.write(pcm16(samples))

    def close(self) -> None:
        if self._owned:
            self._file.close()


class FileEncoder:
    """Audio chunks into a file of an output format, memory flat however long the audio. It is written
    under a temporary name, `finish(path)` (the trust stage's signature) runs on it, and it is renamed when
    the `with` block ends without error: an error or a stop leaves nothing half-written behind."""

    def __init__(self, path: Path, fmt: str, sample_rate: int, finish: Callable[[Path], None] | None = None):
        self.path, self.sample_rate, self.frames = path, sample_rate, 0
        self._tmp = path.with_name(f".{path.stem}.part{path.suffix}")  # the suffix says the format
        self._finish = finish
        try:
            self._encoder = _encoder(self._tmp, check_format(fmt), sample_rate)
        except (OSError, RuntimeError) as e:  # libsndfile's and FFmpeg's errors are both of these kinds
            raise VocalisError(f"cannot write {path}: {e}") from None

    def write(self, audio: Audio) -> None:
        if audio.sample_rate != self.sample_rate:
            audio = audio.resample(self.sample_rate)
        self._encoder.write(audio.samples)
        self.frames += len(audio.samples)

    def __enter__(self) -> FileEncoder:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        complete = False
        try:
            self._encoder.close()
            if exc_type is None and self._finish is not None:
                self._finish(self._tmp)
            complete = exc_type is None
        finally:
            if complete:
                self._tmp.replace(self.path)
            else:
                self._tmp.unlink(missing_ok=True)


def wav_header(sample_rate: int) -> bytes:
    """A 16-bit mono WAV header for a stream of unknown length (sizes at their maximum, as streaming
    servers do; players read to the end of the data)."""
    byte_rate = sample_rate * 2
    return (b"RIFF" + (0xFFFFFFFF).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
            + (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + sample_rate.to_bytes(4, "little")
            + byte_rate.to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
            + b"data" + (0xFFFFFFFF - 36).to_bytes(4, "little"))
