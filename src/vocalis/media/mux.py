"""A new soundtrack muxed beside the original's video, whose packets are copied (never re-encoded: same
codec, frames and timing, and no quality lost)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vocalis.errors import VocalisError
from vocalis.media.probe import picture_stream

if TYPE_CHECKING:
    import av

# The audio codec each container gets, and the video codecs it may carry (None: any).
AUDIO_CODECS = {".mp4": "aac", ".m4v": "aac", ".mov": "aac", ".mkv": "aac", ".webm": "libopus", ".m4a": "aac"}
_VIDEO_CODECS = {".webm": {"vp8", "vp9", "av1"}, ".m4a": set()}
_BITRATE = 192_000


def check_container(suffix: str, video_codec: str | None) -> None:
    """A one-line VocalisError when the output's container cannot hold the new audio or the copied video."""
    if suffix not in AUDIO_CODECS:
        raise VocalisError(f"cannot write a {suffix or 'suffixless'} file: name the output "
                           f"{', '.join(AUDIO_CODECS)}")
    allowed = _VIDEO_CODECS.get(suffix)
    if video_codec and allowed is not None and video_codec not in allowed:
        raise VocalisError(f"a {suffix} file cannot hold this video's {video_codec} stream without re-encoding "
                           "it: write .mp4, .mov or .mkv")


def mux_audio(source: str | Path, target: str | Path, blocks: Iterator[np.ndarray], sample_rate: int,
              layout: str, keep_original: bool = False) -> None:
    """Write `target`: the source's video stream copied, and a new audio track encoded from `blocks`
    ((channels, samples) float32 at `sample_rate` in `layout`); `keep_original` copies the source's audio
    as a second track. Packets are interleaved as they come, so memory stays flat."""
    import av

    target = Path(target)
    try:
        _mux(source, target, blocks, sample_rate, layout, keep_original)
    except av.FFmpegError as e:
        reason = getattr(e, "strerror", None) or str(e)
        raise VocalisError(f"cannot write {target.name}: {reason}") from None


def _mux(source: str | Path, target: Path, blocks: Iterator[np.ndarray], sample_rate: int, layout: str,
         keep_original: bool) -> None:
    import av

    with av.open(str(source)) as src, av.open(str(target), "w") as out:
        video = picture_stream(src)
        check_container(target.suffix.lower(), video.codec_context.name if video else None)
        copied = {video: out.add_stream_from_template(video)} if video and target.suffix.lower() != ".m4a" else {}
        encoder = out.add_stream(AUDIO_CODECS[target.suffix.lower()], rate=sample_rate, layout=layout)
        encoder.bit_rate = _BITRATE
        if keep_original:
            original = src.streams.audio[0]
            copied[original] = out.add_stream_from_template(original)
            encoder.metadata["title"] = "dub"
        packets = src.demux(*copied) if copied else iter(())
        written = 0
        for block in blocks:
            written = _encode(out, encoder, block, layout, sample_rate, written)
            _copy_until(out, packets, copied, written / sample_rate)
        for packet in encoder.encode(None):
            out.mux(packet)
        _copy_until(out, packets, copied, float("inf"))


def _encode(out: av.container.OutputContainer, encoder: av.AudioStream, block: np.ndarray, layout: str,
            sample_rate: int, written: int) -> int:
    import av

    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block, np.float32), format="fltp", layout=layout)
    frame.sample_rate, frame.pts = sample_rate, written
    for packet in encoder.encode(frame):
        out.mux(packet)
    return written + block.shape[1]


def _copy_until(out: av.container.OutputContainer, packets: Iterator[av.Packet],
                copied: dict[av.Stream, av.Stream], seconds: float) -> None:
    """Copy source packets up to `seconds` of presentation time (the audio written so far), keeping the
    streams near each other in the file as players expect."""
    for packet in packets:
        if packet.dts is None:  # the demuxer's end-of-stream marker
            continue
        at = float(packet.pts * packet.time_base) if packet.pts is not None else 0.0
        packet.stream = copied[packet.stream]
        out.mux(packet)
        if at > seconds:
            return
