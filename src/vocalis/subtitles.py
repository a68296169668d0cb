"""Subtitles in and out: read SRT and WebVTT cues, write them, and turn a synthesis's chunks into cues
of where each segment's speech really is. A small self-written parser: the two formats need little,
and what real files get wrong (BOM, CRLF, `.` for `,`, styling tags) is tolerated here."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vocalis.audio import Audio
from vocalis.errors import VocalisError

if TYPE_CHECKING:  # the pipeline loads torch: only its type is needed here
    from vocalis.engine import Chunk

FORMATS = (".srt", ".vtt")
# [hh:]mm:ss[,.]fff: SRT wants hours and a comma, WebVTT allows no hours and wants a dot; files mix
# them, and some tools leave the milliseconds out.
_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[,.](\d{1,3}))?"
_TIMING_RE = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?:\s+.*)?$")  # WebVTT cue settings may follow
# Styling, not text: <i>, </font>, <c.yellow>, <v Speaker>, karaoke <00:01.500>, SSA overrides {\an8}.
# A tag starts with a letter, '/' or a digit right after '<', so "a < b" stays text.
_TAG_RE = re.compile(r"<(?:/?[A-Za-z][^<>]*|\d[\d:.]*)>|\{\\[^{}]*\}")
_VTT_SKIPPED = ("NOTE", "STYLE", "REGION")
# Speech detection for `speech_span`: 10 ms windows, quieter than -40 dB under the chunk's peak = silence.
_WINDOW_S = 0.01
_SILENCE_DB = 40.0


@dataclass(frozen=True)
class Cue:
    start: float  # seconds
    end: float  # seconds
    text: str  # one line: a multi-line cue's lines joined with spaces, tags removed


def read_subtitles(path: str | Path) -> list[Cue]:
    """Cues of an SRT or WebVTT file (a WEBVTT header or a .vtt name makes it WebVTT), in order.
    Raises VocalisError naming the line for a malformed file, and for no cues, a cue that ends before
    it starts, or cues that overlap (a dub renders one voice: it cannot speak two cues at once)."""
    path = Path(path)
    text = _read_text(path)
    vtt = text.lstrip().startswith("WEBVTT") or path.suffix.lower() == ".vtt"
    lines = text.split("\n")
    cues, lines_of = _parse(lines, path, vtt)
    if not cues:
        raise VocalisError(f"{path} has no subtitle cues")
    _check(cues, lines_of, path, "." if vtt else ",")
    return cues


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise VocalisError(f"cannot read subtitle file {path}: {e.strerror or e}") from None
    # Windows tools often save UTF-16 with a BOM; everything else is expected in UTF-8 (BOM or not).
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise VocalisError(f"cannot read subtitle file {path}: it is not UTF-8 text (save it as UTF-8)") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _blocks(lines: list[str]) -> Iterable[tuple[int, list[str]]]:
    """Runs of non-blank lines, each with the 1-based line number of its first line."""
    block: list[str] = []
    first = 0
    for number, line in enumerate(lines, 1):
        if line.strip():
            if not block:
                first = number
            block.append(line.rstrip())
        elif block:
            yield first, block
            block = []
    if block:
        yield first, block


def _parse(lines: list[str], path: Path, vtt: bool) -> tuple[list[Cue], list[int]]:
    """Cues and the line number of each cue's timing line."""
    cues: list[Cue] = []
    lines_of: list[int] = []
    blocks = iter(_blocks(lines))
    if vtt:
        first, header = next(blocks, (1, [""]))
        if not header[0].startswith("WEBVTT"):
            raise VocalisError(f"{path}, line {first}: a WebVTT file must start with WEBVTT")
    for first, block in blocks:
        if vtt and block[0].split(maxsplit=1)[0] in _VTT_SKIPPED:
            continue
        timings = [i for i, line in enumerate(block) if _TIMING_RE.match(line)]
        # The timing line comes first, or second after a cue number (SRT) or identifier (WebVTT).
        if not timings or timings[0] > 1:
            at = 1 if len(block) > 1 and "-->" not in block[0] else 0
            raise VocalisError(f"{path}, line {first + at}: expected a cue time like "
                               f"'00:00:01,000 --> 00:00:02,500', found {block[at][:60]!r}")
        # A missing blank line runs two cues into one block: split them again at their timing lines,
        # the next cue's number (a line of digits just before its timing) not being text.
        for at, following in zip(timings, [*timings[1:], len(block)], strict=True):
            end = following - 1 if following < len(block) and block[following - 1].strip().isdigit() else following
            match = _TIMING_RE.match(block[at])
            start, stop = _seconds(match.groups()[:4], path, first + at), _seconds(match.groups()[4:], path, first + at)
            text = _clean(block[at + 1:end])
            if text:  # a cue with no text (only tags, or blank) says nothing: skipped
                cues.append(Cue(start, stop, text))
                lines_of.append(first + at)
    return cues, lines_of


def _seconds(parts: Sequence[str | None], path: Path, line: int) -> float:
    hours, minutes, seconds, fraction = parts
    if int(minutes) > 59 or int(seconds) > 59:
        raise VocalisError(f"{path}, line {line}: minutes and seconds must be under 60")
    fraction = fraction or "0"  # decimal: ",5" is half a second, ",500" too
    # Whole milliseconds first, one division last: 2.829 reads as 2.829, not 2.8289999999999997.
    whole = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    ms = whole * 1000 + round(int(fraction) * 1000 / 10 ** len(fraction))
    return ms / 1000


def _clean(lines: list[str]) -> str:
    text = " ".join(_TAG_RE.sub("", line) for line in lines)
    return " ".join(html.unescape(text).split())


def _check(cues: list[Cue], lines_of: list[int], path: Path, sep: str) -> None:
    for k, (cue, line) in enumerate(zip(cues, lines_of, strict=True)):
        if cue.end <= cue.start:
            raise VocalisError(f"{path}, line {line}: cue {k + 1} ends ({_stamp(cue.end, sep)}) "
                               f"at or before its start ({_stamp(cue.start, sep)})")
        if k and cue.start < cues[k - 1].end:
            raise VocalisError(f"{path}, line {line}: cue {k + 1} starts at {_stamp(cue.start, sep)}, before "
                               f"cue {k} ends at {_stamp(cues[k - 1].end, sep)}: cues must not overlap")


def _stamp(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"


def check_subtitle_path(path: str | Path, folder: bool = True) -> Path:
    """A .srt or .vtt name (in an existing folder, unless `folder` is False): checked before any work."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise VocalisError(f"unsupported subtitle format {path.suffix!r}: use a .srt or .vtt name")
    if folder and not path.parent.is_dir():
        raise VocalisError(f"cannot write {path}: folder {path.parent} does not exist")
    return path


def write_subtitles(cues: Sequence[Cue], path: str | Path) -> Path:
    """SRT or WebVTT, by the extension of `path`."""
    path = check_subtitle_path(path, folder=False)
    return write_srt(cues, path) if path.suffix.lower() == ".srt" else write_vtt(cues, path)


def write_srt(cues: Sequence[Cue], path: str | Path) -> Path:
    blocks = [f"{k}\n{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}\n{_one_line(c.text)}\n"
              for k, c in enumerate(cues, 1)]
    return _write(path, "\n".join(blocks))


def write_vtt(cues: Sequence[Cue], path: str | Path) -> Path:
    # WebVTT text is HTML-like: &, < and > must be escaped (the reader unescapes them).
    blocks = [f"{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}\n{html.escape(_one_line(c.text), quote=False)}\n"
              for c in cues]
    return _write(path, "\n".join(["WEBVTT\n", *blocks]))


def _one_line(text: str) -> str:
    return " ".join(text.split())  # a blank line inside a cue's text would end the cue


def _write(path: str | Path, text: str) -> Path:
    path = Path(path)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise VocalisError(f"cannot write {path}: {e.strerror or e}") from None
    return path


def speech_span(audio: Audio) -> tuple[int, int]:
    """First and last-plus-one sample of `audio` louder than silence (40 dB under its peak, in 10 ms
    windows); (0, 0) for silent audio. A window straddling speech counts as speech."""
    x = audio.samples
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak == 0.0:
        return 0, 0
    window = max(1, round(_WINDOW_S * audio.sample_rate))
    padded = np.concatenate([x, np.zeros(-len(x) % window, np.float32)])  # the last window may be partial
    rms = np.sqrt(np.mean(np.square(padded.reshape(-1, window), dtype=np.float64), axis=1))
    loud = np.flatnonzero(rms > peak * 10 ** (-_SILENCE_DB / 20))
    return int(loud[0]) * window, min(len(x), (int(loud[-1]) + 1) * window)


class CueTracker:
    """Cues of a synthesis as its chunks go by, one per segment, timed where its speech really is: from its
    first to its last sound, so the pause after it and the model's own silence at either end are left out.
    The parts of a segment sent in parts are joined first; only the segment being rendered is held. The text
    is the segment's normalised text ("twenty three" for "23"). A segment with no sound gives no cue."""

    def __init__(self) -> None:
        self.cues: list[Cue] = []
        self._parts: list[Chunk] = []

    def add(self, chunk: Chunk) -> None:
        self._parts.append(chunk)
        if not chunk.final:
            return
        audio = Audio.concat([p.audio for p in self._parts])
        a, b = speech_span(audio)
        if b > a:
            start, rate = self._parts[0].start, audio.sample_rate
            self.cues.append(Cue(start + a / rate, start + b / rate, chunk.segment.text))
        self._parts = []


def cues_of(chunks: Iterable[Chunk]) -> list[Cue]:
    """The cues of a whole synthesis (see CueTracker)."""
    tracker = CueTracker()
    for chunk in chunks:
        tracker.add(chunk)
    return tracker.cues
