"""Audio to the bytes of a response format, whole or chunk by chunk for streaming."""

from __future__ import annotations

import io

import numpy as np

from vocalis.audio import Audio
from vocalis.errors import VocalisError

# pcm is raw 16-bit little-endian mono, as OpenAI sends it.
MEDIA_TYPES = {"wav": "audio/wav", "flac": "audio/flac", "mp3": "audio/mpeg", "opus": "audio/ogg",
               "aac": "audio/aac", "pcm": "audio/pcm"}
_SOUNDFILE = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "mp3": ("MP3", "MPEG_LAYER_III")}
_FFMPEG = {"opus": ("libopus", "ogg"), "aac": ("aac", "adts")}  # codec, container (through PyAV)


def check_format(fmt: str) -> str:
    if fmt not in MEDIA_TYPES:
        raise VocalisError(f"response format {fmt!r} is not supported: use {', '.join(MEDIA_TYPES)}")
    return fmt


def pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def encode(audio: Audio, fmt: str) -> bytes:
    if fmt == "pcm":
        return pcm16(audio.samples)
    if fmt in _FFMPEG:
        return _ffmpeg(audio, *_FFMPEG[fmt])
    import soundfile as sf

    container, subtype = _SOUNDFILE[fmt]
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(audio.samples, -1.0, 1.0), audio.sample_rate, format=container, subtype=subtype)
    return buffer.getvalue()


def _ffmpeg(audio: Audio, codec: str, container: str) -> bytes:
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as out:
        stream = out.add_stream(codec, rate=audio.sample_rate)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(np.frombuffer(pcm16(audio.samples), "<i2")[None], format="s16",
                                           layout="mono")
        frame.sample_rate = audio.sample_rate
        for packet in (*stream.encode(frame), *stream.encode(None)):  # None flushes the encoder
            out.mux(packet)
    return buffer.getvalue()


def wav_header(sample_rate: int) -> bytes:
    """A 16-bit mono WAV header for a stream of unknown length (sizes at their maximum, as streaming
    servers do; players read to the end of the data)."""
    byte_rate = sample_rate * 2
    return (b"RIFF" + (0xFFFFFFFF).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
            + (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + sample_rate.to_bytes(4, "little")
            + byte_rate.to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
            + b"data" + (0xFFFFFFFF - 36).to_bytes(4, "little"))
