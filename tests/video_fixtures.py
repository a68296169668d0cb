"""Real test videos, built with the FFmpeg inside PyAV: FFmpeg's `testsrc` picture (H.264) and a soundtrack of
real recorded speech laid at given times over a music bed (sustained chords and a little noise), so a dub has
dialogue to read emotions from and music to keep."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vocalis.audio import Audio

RATE = 48_000
FPS = 10


def music_bed(seconds: float, level_db: float = -26.0, seed: int = 0) -> np.ndarray:
    """Chords changing every two seconds and faint pink-ish noise, at `level_db` RMS: a score under dialogue."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    roots = [220.0, 174.6, 196.0, 261.6]
    chord = np.zeros_like(t)
    for k, root in enumerate(roots * int(seconds // 8 + 1)):
        part = (t >= 2 * k) & (t < 2 * k + 2)
        for ratio in (1.0, 1.26, 1.5):
            chord[part] += np.sin(2 * np.pi * root * ratio * t[part])
    noise = np.cumsum(rng.standard_normal(len(t))) * 0.002
    noise -= np.convolve(noise, np.ones(4801) / 4801, mode="same")  # no drift: what is left is a soft hiss
    bed = chord + noise * 3
    return (bed / np.sqrt(np.mean(bed ** 2)) * 10 ** (level_db / 20)).astype(np.float32)


def soundtrack(seconds: float, speech: Sequence[tuple[float, Audio]], music_db: float | None = -26.0) -> np.ndarray:
    """Mono float32 at RATE: the speech clips laid at their start times over the bed."""
    track = music_bed(seconds, music_db) if music_db is not None else np.zeros(int(seconds * RATE), np.float32)
    for start, clip in speech:
        samples = clip.resample(RATE).samples
        first = int(start * RATE)
        track[first:first + len(samples)] += samples[: len(track) - first]
    return track


def make_video(path: Path, seconds: float, audio: np.ndarray | None, size: tuple[int, int] = (160, 120),
               layout: str = "stereo") -> Path:
    """An H.264 testsrc picture `seconds` long with `audio` (mono float32 at RATE, spread to `layout`) as AAC;
    no audio track when `audio` is None."""
    import av

    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = *size, "yuv420p"
        sound = out.add_stream("aac", rate=RATE, layout=layout) if audio is not None else None
        graph = av.filter.Graph()
        source = graph.add("testsrc", f"size={size[0]}x{size[1]}:rate={FPS}")
        sink = graph.add("buffersink")
        source.link_to(sink)
        graph.configure()
        for _ in range(round(seconds * FPS)):
            out.mux(video.encode(sink.pull()))
        out.mux(video.encode(None))
        if sound is not None:
            channels = 2 if layout == "stereo" else 1
            planes = np.repeat(audio[None, :], channels, axis=0).astype(np.float32)
            for at in range(0, planes.shape[1], 1024):
                frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(planes[:, at:at + 1024]), format="fltp",
                                                   layout=layout)
                frame.sample_rate, frame.pts = RATE, at
                out.mux(sound.encode(frame))
            out.mux(sound.encode(None))
    return path
