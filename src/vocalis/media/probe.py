"""What a media file holds, read from its container's headers (no decoding)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from vocalis.errors import VocalisError

if TYPE_CHECKING:
    import av


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    duration: float  # seconds: the longest stream
    video_codec: str | None  # None for an audio-only file
    video_frames: int  # as the container counts them (0 where it does not)
    audio_rate: int  # the first audio track's sample rate
    audio_channels: int
    audio_layout: str  # "mono", "stereo", "5.1", ...

    @property
    def has_video(self) -> bool:
        return self.video_codec is not None


def probe(path: str | Path) -> MediaInfo:
    """The file's streams. One-line VocalisError for a missing or unreadable file, or one with no audio
    track (a dub takes its emotions, music and effects from the original soundtrack)."""
    import av

    path = Path(path)
    if not path.is_file():
        raise VocalisError(f"cannot read {path}: no such file")
    try:
        with av.open(str(path)) as container:
            video = picture_stream(container)
            if not container.streams.audio:
                raise VocalisError(f"{path.name} has no audio track: a video dub reads the original dialogue's "
                                   "emotion and keeps its music, so it needs the soundtrack")
            audio = container.streams.audio[0]
            duration = _duration(container)
            # A file that stores no channel layout (a plain wav) reads as "N channels", which encoders refuse:
            # FFmpeg's default layout for that many channels ("Nc") stands in.
            layout = audio.layout.name
            if layout.endswith("channels"):
                layout = av.AudioLayout(f"{int(audio.channels)}c").name
            return MediaInfo(path, duration, video.codec_context.name if video else None,
                             int(video.frames or 0) if video else 0, int(audio.rate), int(audio.channels), layout)
    except av.FFmpegError as e:
        reason = getattr(e, "strerror", None) or "not a container this build can read"
        raise VocalisError(f"cannot read {path.name}: {reason}") from None


def picture_stream(container: av.container.InputContainer) -> av.VideoStream | None:
    """The container's video stream, if it has one: an mp3's or m4a's embedded cover picture also shows up as a
    (one-frame) video stream, and is not one."""
    import av

    return next((s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic), None)


def _duration(container: av.container.InputContainer) -> float:
    if container.duration:  # microseconds
        return container.duration / 1_000_000
    longest = 0.0
    for stream in container.streams:
        if stream.duration and stream.time_base:
            longest = max(longest, float(stream.duration * stream.time_base))
    return longest
